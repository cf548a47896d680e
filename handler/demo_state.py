"""The demo app's lifespan state: the platform's backends, and the users resource's
store (`handler.composition.open_app_state` builds it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from handler.platform.http.app_state import PlatformState, state_of

if TYPE_CHECKING:
    from handler.api.users.user_store import UserStore
    from handler.platform.graphql_ws.protocol import GraphQLWsProtocol


@dataclass(frozen=True, kw_only=True)
class AppState(PlatformState):
    users: UserStore
    subscriptions: GraphQLWsProtocol  # graphql-transport-ws on this server's /graphql


def app_state(connection: HTTPConnection) -> AppState:
    return state_of(connection, AppState)
