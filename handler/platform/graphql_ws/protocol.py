"""graphql-transport-ws, written once: a state machine over one connection's messages.

Both drivers feed it: a real socket under uvicorn (`drivers.local_socket`) and API
Gateway's `$connect`/`$default`/`$disconnect` events (`drivers.api_gateway`). It keeps no
state of its own: the session (initialised or not, who) and the subscriptions live in a
`SubscriptionStore`, so one message per Lambda invocation runs the same code as a
socket's loop. What it does to a connection goes through a `Link`: send text, or close
with a code (a socket closes with it; API Gateway can only drop the connection).

- `connection_init`: within `init_timeout` of connecting (else 4408); a second one is
  4429. Its payload may carry `{"Authorization": "Bearer <token>"}`: subscriptions are
  reads, so no token is fine, but a token that is sent and refused is 4403 (as is one
  that cannot be checked now: the issuer's keys unreadable).
- `ping` is answered `pong` (its payload echoed), before or after the ack; `pong` is
  taken and ignored.
- `subscribe` before the ack is 4401; a taken id is 4409. An operation that does not
  pass the cost limits or validation, or one past `max_subscriptions` on the connection,
  gets `error` (the socket stays open); a valid one is stored, and from then on each
  matching event is a `next`.
- `complete` forgets the subscription; anything unreadable is 4400.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from handler.platform.graphql_ws import messages
from handler.platform.graphql_ws.messages import Message, ProtocolClose
from handler.platform.graphql_ws.subscription_store import (
    DuplicateSubscription,
    Session,
    Subscription,
    SubscriptionStore,
    topic_key,
)
from handler.platform.realtime.types import MAX_MESSAGE_BYTES

if TYPE_CHECKING:
    from handler.platform.auth.verifier import TokenVerifier
    from handler.platform.graphql_ws.operations import Operations

logger = logging.getLogger(__name__)

BEARER = "bearer "


class Link(ABC):
    """What the protocol can do to one connection."""

    connection_id: str

    @abstractmethod
    async def send(self, text: str) -> None: ...

    @abstractmethod
    async def close(self, code: int, reason: str) -> None: ...


class GraphQLWsProtocol:
    """`operations`: built on the first `subscribe` (strawberry and the schema are heavy;
    a connect, a ping or an init needs neither). `verifier`: the token verifier, built on
    the first init that carries a token."""

    subprotocol = messages.SUBPROTOCOL

    def __init__(
        self,
        store: SubscriptionStore,
        operations: Callable[[], Operations],
        *,
        verifier: Callable[[], TokenVerifier] | None = None,
        init_timeout: float = 3.0,
        max_subscriptions: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.operations = operations
        self.verifier = verifier
        self.init_timeout = init_timeout
        self.max_subscriptions = max_subscriptions
        self.clock = clock

    async def opened(self, connection_id: str, *, connected_at: float, ttl: int | None) -> None:
        await self.store.open(Session(connection_id, connected_at, ttl=ttl))

    async def closed(self, connection_id: str) -> None:
        await self.store.drop(connection_id)

    async def init_expired(self, link: Link) -> None:
        """The init wait is over (a socket's timer): close 4408 unless initialised."""
        session = await self.store.session(link.connection_id, now=self.clock())
        if session is not None and not session.initialised:
            await self._close(link, ProtocolClose(messages.INIT_TIMEOUT, _TIMEOUT))

    async def received(self, link: Link, body: str | bytes | None) -> bool:
        """Handle one message; False when the connection has no session here (not a
        graphql-transport-ws connection, or one already dropped)."""
        session = await self.store.session(link.connection_id, now=self.clock())
        if session is None:
            return False
        try:
            await self._handle(link, session, _text_of(body))
        except ProtocolClose as close:
            await self._close(link, close)
        return True

    async def _close(self, link: Link, close: ProtocolClose) -> None:
        logger.info("graphql-ws %s closed %s", link.connection_id, close)
        await self.store.drop(link.connection_id)
        await link.close(close.code, close.reason)

    async def _handle(self, link: Link, session: Session, text: str) -> None:
        message = messages.read(text)
        if not session.initialised and self.clock() > session.connected_at + self.init_timeout:
            raise ProtocolClose(messages.INIT_TIMEOUT, _TIMEOUT)
        if message.type == messages.CONNECTION_INIT:
            await self._init(link, session, message)
        elif message.type == messages.PING:
            await link.send(messages.pong(message.payload))
        elif message.type == messages.SUBSCRIBE:
            await self._subscribe(link, session, message)
        elif message.type == messages.COMPLETE:
            assert message.id is not None  # noqa: S101 - `read` checked it
            await self.store.remove(link.connection_id, message.id)
        # PONG: taken, nothing to answer

    async def _init(self, link: Link, session: Session, message: Message) -> None:
        if session.initialised:
            raise ProtocolClose(messages.TOO_MANY_INITS, "Too many initialisation requests")
        subject = await self._subject(message.payload or {})
        if not await self.store.initialise(link.connection_id, subject):
            raise ProtocolClose(messages.TOO_MANY_INITS, "Too many initialisation requests")
        await link.send(messages.ack())

    async def _subject(self, payload: dict[str, Any]) -> str | None:
        header = payload.get("Authorization", payload.get("authorization"))
        if header is None:
            return None
        if not isinstance(header, str) or not header.lower().startswith(BEARER):
            raise ProtocolClose(messages.FORBIDDEN, "Forbidden")
        from handler.platform.auth.errors import InvalidToken, KeysUnavailable

        if self.verifier is None:
            raise ProtocolClose(messages.FORBIDDEN, "Forbidden")
        try:
            identity = await self.verifier().verify(header[len(BEARER) :].strip())
        except InvalidToken as exc:
            logger.info("graphql-ws init token refused: %s", exc.reason)
            raise ProtocolClose(messages.FORBIDDEN, "Forbidden") from None
        except KeysUnavailable as exc:
            logger.error("graphql-ws init refused, keys unavailable: %s", exc)
            raise ProtocolClose(messages.FORBIDDEN, "Forbidden") from None
        return identity.subject

    async def _subscribe(self, link: Link, session: Session, message: Message) -> None:
        if not session.initialised:
            raise ProtocolClose(messages.UNAUTHORIZED, "Unauthorized")
        operation_id = message.id
        assert operation_id is not None  # noqa: S101 - `read` checked it
        payload = messages.subscribe_payload(message)
        exists = ProtocolClose(
            messages.SUBSCRIBER_EXISTS, f"Subscriber for {operation_id[:100]} already exists"
        )
        if await self.store.subscribed(link.connection_id, operation_id):
            raise exists
        if await self.store.count(link.connection_id) >= self.max_subscriptions:
            detail = f"at most {self.max_subscriptions} subscriptions per connection"
            await link.send(messages.errors(operation_id, [{"message": detail}]))
            return
        prepared = self.operations().prepare(
            payload.query, payload.variables, payload.operation_name
        )
        if isinstance(prepared, list):
            await link.send(messages.errors(operation_id, prepared))
            return
        subscription = Subscription(
            connection_id=link.connection_id,
            operation_id=operation_id,
            topic_key=topic_key(prepared.topic, prepared.filters),
            query=prepared.query,
            variables=prepared.variables,
            operation_name=prepared.operation_name,
            ttl=session.ttl,
        )
        try:
            await self.store.add(subscription)
        except DuplicateSubscription:
            raise exists from None


_TIMEOUT = "Connection initialisation timeout"


def _text_of(body: str | bytes | None) -> str:
    if isinstance(body, bytes | bytearray):
        raise ProtocolClose(messages.BAD_REQUEST, "Invalid message received: binary frame")
    if not body:
        raise ProtocolClose(messages.BAD_REQUEST, "Invalid message received: empty")
    if len(body.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
        raise ProtocolClose(messages.BAD_REQUEST, "Invalid message received: over 128 KB")
    return body
