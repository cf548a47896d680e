"""`RedisFanout`: the fan-out between local processes over Redis pub/sub.

Each process subscribes once, on a connection of its own (a pub/sub connection can do
nothing else), to every channel under its prefix. A publish delivers to this process's
listeners directly and PUBLISHes the message tagged with the process's origin id; every
process's subscriber delivers what it receives, except its own (it was delivered already).
So each process hears a message exactly once, and this process's clients hear it even
when Redis is down.

Redis down: the subscriber is the probe. While it is not subscribed, publishes skip Redis
without a network call (nobody could hear them, and each would pay a timeout); it tries
again after `backoff` seconds, doubling up to `cap`. The outage is logged once when it
starts and once when it ends (with how many messages stayed in this process), never per
message: the breaker's idea (`handler.platform.redis.breaker`) with the reconnect loop as
its only probe, and no line per failed probe. Messages published while it is down are not
replayed: pub/sub keeps nothing for a subscriber that is away.

Importing this module imports redis-py: only the composition root does, and only for the
local server with REDIS_URL (never the WebSocket Lambda).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from handler.platform.realtime.fanout import Fanout
from handler.platform.redis.budget import PoolExhausted, redis_budget
from handler.platform.redis.first_use import OnFirstUse
from handler.platform.redis.pool import RedisPool

logger = logging.getLogger(__name__)

ORIGIN_LENGTH = 32  # a uuid4 in hex: every message starts with its publisher's


class RedisFanout(Fanout):
    """Fan-out through Redis pub/sub. `async with RedisFanout(...)` (or `start()` /
    `aclose()`) runs the subscriber on the current loop.

    `pool`: the process's Redis pool (its TLS, timeouts and client name); the subscriber
    holds one of its connections. `prefix`: channels are `prefix + channel`, so apps (or
    tests) sharing one Redis never hear each other. `timeout` bounds each publish and the
    subscribe; `keepalive`: seconds of silence before the subscriber pings Redis, and a
    second such wait without an answer counts as Redis gone (a network that drops packets
    closes nothing)."""

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

    async def start(self) -> None:
        """Start the subscriber; returns once its first attempt is over (subscribed, or
        the outage logged), so a server takes no client before it can forward."""
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._subscribe_forever(), name="fanout-subscriber")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout + 1.0):
                await self._first_attempt.wait()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.connected = False

    async def __aenter__(self) -> RedisFanout:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def forward(self, channel: str, message: str) -> None:
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            # A broadcast from another thread's loop (a sync task): the pool lives here.
            call = self._publish(channel, message)
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, loop))
            return
        await self._publish(channel, message)

    async def _publish(self, channel: str, message: str) -> None:
        if not self.connected:
            self._kept_here += 1
            return
        data = self.origin + message.encode("utf-8", "surrogatepass")
        try:
            pool = await self._pool.get()
            client = self._client = self._client or Redis(connection_pool=pool)
            async with redis_budget(self.timeout):
                await client.publish(self.prefix + channel, data)
        except PoolExhausted:
            self._kept_here += 1  # a burst, not an outage: the pool logs it, throttled
        except Exception as exc:
            # Skip Redis until the subscriber hears it again (a message or a pong).
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
        pool = await self._pool.get()
        pubsub = Redis(connection_pool=pool).pubsub()
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
            elif not pinged and now - heard > self.keepalive:
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
