"""`python -m local aws`: start the whole emulated topology, print its URLs, stop cleanly.

One asyncio loop holds the gateways (uvicorn servers embedded in it, `servers.py`), the
SQS event source (`sqs/`) and the function pools (`lambda_/`); moto server runs in a
thread (`moto_server.py`); each function's execution environments and the stream app are
child processes. Ctrl+C or SIGTERM stops all of it within a few seconds and frees every
port.

Ports (`--port BASE`): HTTP API BASE, WebSocket API (and @connections) BASE+1, stream
BASE+2, moto BASE+3. BASE 0 picks free ports (the tests do).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.credentials import Credentials

from local.aws import topology
from local.aws.apigateway.http_api import http_api_app
from local.aws.apigateway.websocket_api import websocket_api_app
from local.aws.lambda_.functions import FunctionPool, write_line
from local.aws.lambda_.web_adapter import WebAdapterFunction
from local.aws.moto_server import FAKE_CREDENTIALS, MotoServices, Resources
from local.aws.outputs import Outputs, write_outputs
from local.aws.preflight import check_redis, check_settings
from local.aws.servers import EmbeddedServer, free_port, serve
from local.aws.sqs.event_source import SqsEventSource

logger = logging.getLogger("local.aws")


@dataclass(frozen=True, kw_only=True)
class EmulatorOptions:
    base_port: int = 9000  # 0: free ports
    redis_url: str = ""  # empty: each execution environment caches and limits in memory
    max_environments: int = 3
    websocket_idle_seconds: float = topology.WEBSOCKET_IDLE_SECONDS
    websocket_max_connection_seconds: float = topology.WEBSOCKET_MAX_CONNECTION_SECONDS
    # Per function name ("http", "worker", "websocket"): a shorter timeout (tests).
    timeouts: Mapping[str, float] = field(default_factory=dict)
    log_format: str = ""  # LOG_FORMAT for the functions; empty: the stack's (JSON on Lambda)
    stage: str = topology.DEFAULT_STAGE  # names the stack, the WebSocket stage and STAGE


class Emulator:
    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self._moto: MotoServices | None = None
        self._pools: list[FunctionPool] = []
        self._servers: dict[EmbeddedServer, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[Any]] = []  # the event source, log forwarders
        self._stream: WebAdapterFunction | None = None
        self.outputs: Outputs | None = None
        self._cursor_secret = secrets.token_urlsafe(32)

    def _ports(self) -> tuple[int, int, int, int]:
        """HTTP, WebSocket, stream and moto ports. Known before anything starts: the
        functions' environments name them (WS_CALLBACK_URL, CHAT_WEBSOCKET_URL)."""
        base = self.options.base_port
        if base:
            return base, base + 1, base + 2, base + 3
        return free_port(), free_port(), free_port(), free_port()

    async def start(self) -> Outputs:
        """Serve the whole topology; `NotReady` (nothing left running) when a function's
        settings are refused or the Redis given does not answer."""
        started = time.perf_counter()
        http_port, ws_port, stream_port, moto_port = self._ports()
        stage = self.options.stage
        self._moto = MotoServices(port=moto_port, prefix=topology.stack_name(stage))
        resources = await asyncio.to_thread(self._moto.start)
        callback_url = f"http://127.0.0.1:{ws_port}/{stage}"
        websocket_url = f"ws://127.0.0.1:{ws_port}/{stage}"
        environments = self._environments(resources, callback_url, websocket_url, stream_port)
        await check_settings(environments)
        await check_redis(self.options.redis_url)
        await self._serve_websockets(resources, ws_port, environments[topology.WEBSOCKET])
        await self._serve_http(http_port, environments[topology.HTTP])
        self._start_worker(resources, environments[topology.WORKER])
        stream_url = await self._start_stream(stream_port, environments[topology.STREAM])
        self.outputs = Outputs(
            http_url=f"http://127.0.0.1:{http_port}/",
            websocket_url=websocket_url,
            websocket_callback_url=callback_url,
            stream_url=stream_url,
            resources=resources,
            stack_name=topology.stack_name(stage),
        )
        logger.info("emulator ready in %.1f s", time.perf_counter() - started)
        return self.outputs

    def _environments(
        self, resources: Resources, callback_url: str, websocket_url: str, stream_port: int
    ) -> dict[topology.FunctionSpec, dict[str, str]]:
        """Each function's variables, as the stack sets them, with local values."""
        sockets = {
            "CONNECTIONS_TABLE": resources.table(topology.CONNECTIONS_TABLE),
            "SUBSCRIPTIONS_TABLE": resources.table(topology.SUBSCRIPTIONS_TABLE),
            "WS_CALLBACK_URL": callback_url,
        }
        tables = {
            variable: resources.table(spec) for variable, spec in topology.APP_TABLE_SPECS.items()
        }
        # The user pool's issuer, client and keys: the functions that verify tokens.
        identity = resources.user_pool.environment()
        return {
            topology.WEBSOCKET: self._environment(
                topology.WEBSOCKET, tables, **sockets, **identity
            ),
            topology.HTTP: self._environment(
                topology.HTTP,
                tables,
                REDIS_URL=self.options.redis_url,
                TASK_QUEUE_URL=resources.task_queue_url,
                TASK_MAX_MESSAGE_BYTES=str(topology.TASK_QUEUE.max_message_bytes),
                CHAT_WEBSOCKET_URL=websocket_url,
                # The stack's is a Secrets Manager secret; here one per run, shared by every
                # execution environment, as there (a cursor one signs, another checks).
                CURSOR_SECRET=self._cursor_secret,
                **identity,
            ),
            topology.WORKER: self._environment(
                topology.WORKER,
                tables,
                **sockets,
                TASK_DLQ_URL=resources.task_dlq_url,
                IDEMPOTENCY_TABLE=resources.table(topology.IDEMPOTENCY_TABLE),
            ),
            # handler/run_stream.sh (uvicorn on PORT), as Lambda Web Adapter starts it.
            topology.STREAM: self._environment(
                topology.STREAM,
                tables,
                PORT=str(stream_port),
                AWS_LAMBDA_EXEC_WRAPPER="/opt/bootstrap",
                AWS_LWA_INVOKE_MODE="response_stream",
                AWS_LWA_PORT=str(stream_port),
                AWS_LWA_READINESS_CHECK_PATH="/health",
                AWS_LWA_READINESS_CHECK_HEALTHY_STATUS="200-299",
            ),
        }

    def _environment(
        self, spec: topology.FunctionSpec, tables: Mapping[str, str], **values: str
    ) -> dict[str, str]:
        """The variables the stack sets on `spec` (names checked against the template);
        of the app's `tables` (variable -> name), those the function is given."""
        environment = {
            **topology.BASE_ENVIRONMENT,
            topology.STAGE_VARIABLE: self.options.stage,
            **{name: value for name, value in tables.items() if name in spec.environment},
            **values,
        }
        missing = set(spec.environment) - set(environment)
        if missing:
            raise RuntimeError(f"{spec.name}: no local value for {sorted(missing)}")
        if self.options.log_format:
            environment["LOG_FORMAT"] = self.options.log_format
        return environment

    def _pool(self, spec: topology.FunctionSpec, environment: dict[str, str]) -> FunctionPool:
        endpoint = self._moto.resources.endpoint_url if self._moto and self._moto.resources else ""
        pool = FunctionPool(
            spec,
            environment,
            max_environments=self.options.max_environments,
            timeout_seconds=self.options.timeouts.get(spec.name),
            endpoint_url=endpoint,
            log=write_line,
        )
        self._pools.append(pool)
        return pool

    async def _serve(self, app: Any, port: int, **config: Any) -> EmbeddedServer:
        server, serving = await serve(app, port, **config)
        self._servers[server] = serving
        return server

    async def _serve_websockets(
        self, resources: Resources, port: int, environment: dict[str, str]
    ) -> EmbeddedServer:
        app = websocket_api_app(
            self._pool(topology.WEBSOCKET, environment),
            region=resources.region,
            credentials=Credentials(
                FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"], FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
            ),
            idle_timeout=self.options.websocket_idle_seconds,
            max_connection_seconds=self.options.websocket_max_connection_seconds,
        )
        # One byte over the limit reaches the app, which closes with 1009 as API Gateway
        # does; anything larger uvicorn refuses itself, so memory stays bounded.
        return await self._serve(app, port, ws_max_size=topology.WEBSOCKET_MAX_MESSAGE_BYTES + 1)

    async def _serve_http(self, port: int, environment: dict[str, str]) -> EmbeddedServer:
        return await self._serve(http_api_app(self._pool(topology.HTTP, environment)), port)

    def _start_worker(self, resources: Resources, environment: dict[str, str]) -> None:
        source = SqsEventSource(
            self._pool(topology.WORKER, environment),
            queue_url=resources.task_queue_url,
            endpoint_url=resources.endpoint_url,
            region=resources.region,
        )
        self._tasks.append(asyncio.create_task(source.run()))

    async def _start_stream(self, port: int, environment: dict[str, str]) -> str:
        self._stream = WebAdapterFunction(topology.STREAM, environment, log=write_line)
        return await self._stream.start(port)

    async def stop(self) -> None:
        """Everything this emulator started, stopped; safe to call twice."""
        for server in self._servers:
            server.should_exit = True  # stop taking connections; close the open ones
        for task in self._tasks:
            task.cancel()
        closing = [pool.close() for pool in self._pools]
        if self._stream is not None:
            closing.append(self._stream.stop())
        await asyncio.gather(*closing, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*self._tasks, *self._servers.values(), return_exceptions=True)
        if self._moto is not None:
            await asyncio.to_thread(self._moto.stop)
            self._moto = None


async def run(options: EmulatorOptions, outputs_file: Path | None) -> None:
    """Start, print the URLs, serve until SIGINT/SIGTERM, stop. `NotReady` comes out
    before anything is printed, with everything started stopped again."""
    emulator = Emulator(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        outputs = await emulator.start()
    except BaseException:
        await emulator.stop()
        raise
    try:
        if outputs_file is not None:
            write_outputs(outputs, outputs_file)
        for name, value in outputs.as_cdk_outputs()[outputs.stack_name].items():
            write_line(f"{name:22} {value}")
        write_line(f"chat: open {outputs.http_url}chat in two tabs. Ctrl+C stops everything.")
        await stopping.wait()
    finally:
        logger.info("stopping")
        await emulator.stop()
