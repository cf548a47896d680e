"""What the demo app's requests read, typed as the app's own classes: its lifespan state
(the platform's backends and the users resource's store; `handler.composition.
open_app_state` builds it) and its settings (the platform's and the demo's fields).

Routes of this app import `SettingsDep` from here, not from the platform: the same
dependency, typed as `handler.settings.Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from handler.platform.http.app_state import PlatformState, state_of
from handler.platform.http.deps import settings_dependency, settings_of
from handler.settings import Settings

if TYPE_CHECKING:
    from handler.api.users.user_store import UserStore
    from handler.platform.graphql_ws.protocol import GraphQLWsProtocol


@dataclass(frozen=True, kw_only=True)
class AppState(PlatformState):
    users: UserStore
    subscriptions: GraphQLWsProtocol  # graphql-transport-ws on this server's /graphql


def app_state(connection: HTTPConnection) -> AppState:
    return state_of(connection, AppState)


def app_settings(connection: HTTPConnection) -> Settings:
    return settings_of(connection, Settings)


SettingsDep = Annotated[Settings, Depends(settings_dependency(Settings))]
