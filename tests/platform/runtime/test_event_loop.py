"""One event loop per execution environment, whichever entry point runs there."""

from __future__ import annotations

import asyncio

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.realtime import Hub
from handler.platform.realtime.drivers.api_gateway import ApiGatewayWebSocketDriver
from handler.platform.realtime.drivers.local_socket import LocalSocketSender
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.runtime.event_loop import environment_loop
from handler.platform.tasks.envelope import encode_task
from handler.platform.tasks.idempotency import InMemoryPersistenceLayer
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.worker import TaskWorker
from tests.support.chat_endpoint import endpoint
from tests.support.events import LambdaContext
from tests.support.platform_app import platform_app
from tests.support.task_queues import message, sqs_event

tasks = TaskRegistry()
seen: list[asyncio.AbstractEventLoop] = []


@tasks.task
async def note_loop() -> None:
    seen.append(asyncio.get_running_loop())


def test_http_websocket_and_worker_entries_share_the_current_loop(
    lambda_context: LambdaContext,
) -> None:
    http = LambdaHttpAdapter(platform_app())
    try:
        ws = ApiGatewayWebSocketDriver(endpoint, lambda: Hub(MemoryRegistry(), LocalSocketSender()))
        worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=None, tasks=tasks)
        spec = tasks.get("note_loop")
        for n in range(2):  # two tasks, two invocations: warm ones reuse the loop
            body = encode_task(spec, (), {}, request_id=None, max_bytes=4096).body
            worker.handle(sqs_event(message(f"m-{n}", body)), lambda_context)

        assert http.loop is ws.loop is environment_loop()
        assert asyncio.get_event_loop() is http.loop
        assert seen == [http.loop, http.loop]
    finally:
        http.close()
    assert not http.loop.is_closed(), "the loop belongs to the environment, not the adapter"
    assert environment_loop() is http.loop
