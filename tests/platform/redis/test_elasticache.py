"""What the cache and the limiter send would run on ElastiCache Serverless: cluster mode,
database 0 only (no SELECT), every command and Lua script within one hash slot.

The commands are observed, not assumed: MONITOR on the real Redis records what the app's
own connections (found by their client name) send while `/cached` misses and hits
(signed) and `/limited` admits and refuses; Redis itself names each command's keys
(COMMAND GETKEYS)."""

from __future__ import annotations

import shlex
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from fastapi.testclient import TestClient
from redis.crc import key_slot

from handler.platform.settings import PlatformSettings
from tests.support.platform_app import cache_and_limits_app

# What the app may send: keyed GET/SET and INCR/PEXPIRE (the cache), MGET of a lookup's
# generations (one hash tag: one slot), EVALSHA/EVAL with one key and SCRIPT LOAD (limits'
# moving window), and the connection's own PING/HELLO/CLIENT SETNAME.
ALLOWED = {
    *("GET", "MGET", "SET", "INCR", "PEXPIRE"),
    *("EVALSHA", "EVAL", "SCRIPT", "PING", "CLIENT", "HELLO"),
}


class Monitor:
    """MONITOR on its own connection, read by a thread until stopped."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname or "", parts.port or 6379))
        if parts.password:
            self.sock.sendall(f"AUTH {parts.username or 'default'} {parts.password}\r\n".encode())
        self.sock.sendall(b"MONITOR\r\n")
        self.sock.settimeout(0.1)
        self.lines: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # Commands sent before the server answers MONITOR would go unseen.
        deadline = time.monotonic() + 5
        while "+OK" not in self.lines and time.monotonic() < deadline:
            time.sleep(0.005)

    def _read(self) -> None:
        buffer = b""
        # After stop(), read on until the server has been silent for one timeout: lines
        # of the last commands may still be in flight.
        while True:
            try:
                buffer += self.sock.recv(65536)
            except TimeoutError:
                if self.stopped.is_set():
                    return
                continue
            *complete, buffer = buffer.split(b"\r\n")
            self.lines.extend(line.decode("utf-8", "replace") for line in complete)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def commands_of_any(self, prefix: str) -> list[list[str]]:
        """The commands on keys under `prefix`, whichever connection sent them."""
        commands = [shlex.split(line.split("]", 1)[1]) for line in self.lines if "]" in line]
        return [args for args in commands if any(a.startswith(prefix) for a in args[1:])]

    def commands_of(self, client_name: str) -> list[list[str]]:
        """The commands sent by connections that named themselves `client_name`."""
        parsed = []
        for line in self.lines:
            if not line.startswith("+") or "[" not in line:
                continue
            address = line.split("[", 1)[1].split("]", 1)[0].split(" ")[-1]
            parsed.append((address, shlex.split(line.split("]", 1)[1])))
        ours = {a for a, args in parsed if args[:3] == ["CLIENT", "SETNAME", client_name]}
        return [args for address, args in parsed if address in ours]


@pytest.fixture
def database_zero(redis_url: str) -> Iterator[tuple[str, str]]:
    """The test Redis on database 0, as on ElastiCache, under a prefix removed after."""
    url = urlsplit(redis_url)._replace(path="/0", query="").geturl()
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield url, prefix
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


def test_cache_and_limiter_commands_fit_elasticache_serverless(
    database_zero: tuple[str, str],
) -> None:
    url, prefix = database_zero
    name = f"audit-{uuid.uuid4().hex[:8]}"
    settings = PlatformSettings(
        environment="test",
        redis_url=url,
        redis_key_prefix=prefix,
        service_name=name,
        cache_secret="s" * 32,
        redis_timeout=2.0,  # MONITOR slows the server; the commands are the point here
    )
    monitor = Monitor(url)
    try:
        with TestClient(cache_and_limits_app(settings)) as client:
            outcomes = [client.get("/cached").headers["x-cache"] for _ in range(2)]
            statuses = [client.get("/limited").status_code for _ in range(6)]
            client.get("/cached", headers={"Cache-Control": "no-cache"})
            # Generations: a listing's, read by MGET.
            outcomes += [client.get("/things").headers["x-cache"] for _ in range(2)]
    finally:
        monitor.stop()
    assert outcomes == ["MISS", "HIT"] * 2
    assert statuses == [200] * 5 + [429]

    sent = monitor.commands_of(name)
    names = {args[0].upper() for args in sent}
    assert {"GET", "MGET", "SET", "EVALSHA"} <= names, f"the audit saw the traffic: {names}"
    assert names <= ALLOWED, f"unexpected commands: {names - ALLOWED}"
    assert "SELECT" not in names, "database 0: no SELECT"
    with redis.Redis.from_url(url) as admin:
        for args in sent:
            keys = _keys(admin, args)
            assert all(key.startswith(prefix) for key in keys), args
            assert len({key_slot(key.encode()) for key in keys}) <= 1, f"cross-slot: {args}"


def _keys(admin: redis.Redis, args: list[str]) -> list[str]:
    try:
        keys = admin.command_getkeys(*args)
    except redis.ResponseError:  # "the command has no key arguments"
        return []
    return [key.decode() if isinstance(key, bytes) else str(key) for key in keys]


@pytest.mark.parametrize(
    "url",
    ["rediss://cache.example.com:6379/3", "rediss://cache.example.com:6379/0?db=2"],
)
def test_production_refuses_a_redis_database_other_than_zero(url: str) -> None:
    with pytest.raises(ValueError, match="database 0 only"):
        PlatformSettings(environment="production", redis_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "rediss://cache.example.com:6379",
        "rediss://cache.example.com:6379/",
        "rediss://cache.example.com:6379/0",
        "rediss://cache.example.com:6379/5?db=0",
    ],
)
def test_production_accepts_database_zero(url: str) -> None:
    assert PlatformSettings(environment="production", redis_url=url).redis_url == url


def test_other_environments_may_use_any_database() -> None:
    # Tests and local runs share one Redis across databases (this suite uses 15).
    assert PlatformSettings(environment="test", redis_url="redis://127.0.0.1:6379/15").redis_url


def test_a_cache_hit_is_one_mget_and_one_get(database_zero: tuple[str, str]) -> None:
    """A lookup reads all its generations in one round trip, then the entry: two
    commands per hit, whatever the number of generations."""
    url, prefix = database_zero
    name = f"hit-{uuid.uuid4().hex[:8]}"
    settings = PlatformSettings(
        environment="test",
        redis_url=url,
        redis_key_prefix=prefix,
        service_name=name,
        redis_timeout=2.0,
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        assert client.get("/things").headers["x-cache"] == "MISS"
        monitor = Monitor(url)
        try:
            assert client.get("/things").headers["x-cache"] == "HIT"
        finally:
            monitor.stop()
    sent = [args for args in monitor.commands_of_any(prefix)]
    # One pipeline: the MGET and the GET of the entry under the generations it confirms.
    assert [args[0].upper() for args in sent] == ["MGET", "GET"], sent
    assert sent[0][1:] == [f"{prefix}cache:{{gen}}:things"]
