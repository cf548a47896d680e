"""`RedisFanout`: the fan-out between local processes over Redis pub/sub.

Each process subscribes once, on a connection of its own (a pub/sub connection can do
nothing else, so it is not one of the pool's), to every channel under its prefix. A
publish delivers to this process's listeners directly and PUBLISHes the message tagged
with the process's origin id; every process's subscriber delivers what it receives,
except its own (it was delivered already).
So each process hears a message exactly once, and this process's clients hear it even
when Redis is down.

Redis down: the subscriber is the probe. While it is not subscribed, publishes skip Redis
without a network call (nobody could hear them, and each would pay a timeout); it tries
again after `backoff` seconds, doubling up to `cap`. The outage is logged once when it
starts and once when it ends (with how many messages stayed in this process), never per
message: the breaker's idea (`handler.platform.redis.breaker`) with the reconnect loop as
its only probe, and no line per failed probe. Messages published while it is down are not
replayed: pub/sub keeps nothing for a subscriber that is away.

Nothing connects until it is needed: the subscriber starts with the first listener (the
hub's, when its first client joins) or the first publish, as the cache and the limiter
build their backends on first use. A server with REDIS_URL that never serves a WebSocket
never subscribes; importing this module does not import redis-py. Only the composition
root imports it, for the local server with REDIS_URL (never the WebSocket Lambda).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from handler.platform.realtime.fanout import Fanout, Listener
from handler.platform.redis.budget import PoolExhausted, redis_budget
from handler.platform.redis.first_use import OnFirstUse

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

    from handler.platform.redis.pool import RedisPool

logger = logging.getLogger(__name__)

ORIGIN_LENGTH = 32  # a uuid4 in hex: every message starts with its publisher's
T = TypeVar("T")


class RedisFanout(Fanout):
    """Fan-out through Redis pub/sub. Inside `async with RedisFanout(...)` its subscriber
    runs on that loop, from the first `listen` or publish until the block ends; `ready()`
    waits for its subscription.

    `pool`: the process's Redis pool: publishes use it; the subscriber's connection is
    made as its connections are (TLS, timeouts, client name) but outside it. `prefix`:
    channels are `prefix + channel`, so apps (or tests) sharing one Redis never hear each
    other. `timeout` bounds each publish and the subscribe; `keepalive`: seconds of
    silence before the subscriber pings Redis, and a second such wait without an answer
    counts as Redis gone (a network that drops packets closes nothing)."""

    def __init__(
        self,
        pool: OnFirstUse[RedisPool],
        *,
        prefix: str,
        timeout: float,
        backoff: float = 1.0,
        cap: float = 30.0,
        keepalive: float = 10.0,
    ) -> None:
        super().__init__()
        self._pool = pool
        self.prefix = prefix
        self.timeout = timeout
        self.backoff = backoff
        self.cap = cap
        self.keepalive = keepalive
        self.origin = uuid.uuid4().hex.encode("ascii")
        self._pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        # True while subscribed and Redis answers: publishes go to Redis only then.
        self.connected = False
        self._lost_at: float | None = None
        self._kept_here = 0

    def listen(self, channel: str, listener: Listener) -> None:
        # Registering connects nothing: a process without sockets has nobody to deliver
        # to. The first socket's `ready()` (or the first publish) starts the subscriber.
        super().listen(channel, listener)

    async def ready(self) -> None:
        """Start the subscriber if need be; return once its first attempt is over
        (subscribed, or the outage logged), at most `timeout` + 1 s."""
        await self._on_own_loop(self._first_subscription())

    async def _first_subscription(self) -> None:
        self._spawn()
        if self._first_attempt.is_set() or self._loop is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout + 1.0):
                await self._first_attempt.wait()

    def _spawn(self) -> None:
        loop = self._loop
        if self._task is not None or loop is None:
            return  # running already, or not entered yet (entering starts it)
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if not here:
            loop.call_soon_threadsafe(self._spawn)
            return
        self._task = loop.create_task(self._subscribe_forever(), name="fanout-subscriber")

    async def _on_own_loop(self, call: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None or loop is asyncio.get_running_loop():
            return await call
        # From another thread's loop (a sync task): the pool and the task live there.
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, loop))

    async def aclose(self) -> None:
        task, self._task, self._loop = self._task, None, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.connected = False

    async def __aenter__(self) -> RedisFanout:
        self._loop = asyncio.get_running_loop()
        if self._listeners:
            self._spawn()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def forward(self, channel: str, message: str) -> None:
        await self._on_own_loop(self._publish(channel, message))

    async def _publish(self, channel: str, message: str) -> None:
        await self._first_subscription()
        if not self.connected:
            self._kept_here += 1
            return
        data = self.origin + message.encode("utf-8", "surrogatepass")
        try:
            pool = await self._pool.get()
            client = self._client = self._client or _client(pool)
            async with redis_budget(self.timeout):
                await client.publish(self.prefix + channel, data)
        except PoolExhausted:
            self._kept_here += 1  # a burst, not an outage: the pool logs it, throttled
        except Exception as exc:
            # Skip Redis until the subscriber hears it again: it pings at once.
            self.connected = False
            self._lost(exc)
            self._kept_here += 1

    async def _subscribe_forever(self) -> None:
        failures = 0
        while True:
            was_up = False
            try:
                async with self._subscription() as pubsub:
                    was_up = True
                    self._back()
                    self._first_attempt.set()
                    await self._listen(pubsub)
            except Exception as exc:
                self.connected = False
                self._lost(exc)
            self._first_attempt.set()
            failures = 1 if was_up else failures + 1
            await asyncio.sleep(min(self.cap, self.backoff * 2 ** (failures - 1)))

    @contextlib.asynccontextmanager
    async def _subscription(self) -> AsyncIterator[PubSub]:
        from redis.asyncio import ConnectionPool

        shared = await self._pool.get()
        # A connection of its own, made as the pool makes them (URL, TLS, timeouts,
        # client name) but not one of its REDIS_MAX_CONNECTIONS: requests keep them all.
        own = ConnectionPool(connection_class=shared.connection_class, **shared.connection_kwargs)
        pubsub = _client(own).pubsub()
        try:
            async with redis_budget(self.timeout):
                await pubsub.psubscribe(self._pattern)
                # Subscribed once Redis confirms: a message published after that is heard.
                while not await pubsub.get_message(timeout=self.timeout):
                    pass
            yield pubsub
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.timeout):
                    await pubsub.aclose()
            with contextlib.suppress(Exception):
                await own.disconnect()

    async def _listen(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        heard = loop.time()
        pinged = False
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            now = loop.time()
            if message is not None:
                heard, pinged = now, False
                if not self.connected:
                    self._back()  # a publish failed meanwhile, but Redis answers again
                if message["type"] == "pmessage":
                    await self._received(message)
            elif pinged and now - heard > 2 * self.keepalive:
                raise TimeoutError(f"no answer from Redis for {now - heard:.0f} s")
            elif not pinged and (now - heard > self.keepalive or not self.connected):
                async with redis_budget(self.timeout):
                    await pubsub.ping()
                pinged = True

    async def _received(self, message: dict[str, Any]) -> None:
        data: bytes = message["data"]
        if data[:ORIGIN_LENGTH] == self.origin:
            return  # ours: delivered here when it was published
        channel = message["channel"].decode("utf-8", "replace")[len(self.prefix) :]
        text = data[ORIGIN_LENGTH:].decode("utf-8", "surrogatepass")
        await self.deliver(channel, text)

    def _lost(self, exc: BaseException) -> None:
        if self._lost_at is not None:
            return  # this outage is logged already
        self._lost_at = time.monotonic()
        self._kept_here = 0
        cause = exc.__cause__ or exc
        logger.warning(
            "fan-out: Redis unreachable (%s: %s); messages reach this process's clients"
            " only until it is back",
            type(cause).__name__,
            cause,
        )

    def _back(self) -> None:
        self.connected = True
        if self._lost_at is None:
            return
        logger.warning(
            "fan-out: Redis back after %.1f s; %d message(s) published meanwhile reached"
            " this process's clients only",
            time.monotonic() - self._lost_at,
            self._kept_here,
        )
        self._lost_at = None


def _client(pool: Any) -> Redis:
    from redis.asyncio import Redis

    return Redis(connection_pool=pool)
