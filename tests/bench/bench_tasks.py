"""Background tasks: worker overhead per message, enqueue cost per request, worker init.

moto answers SQS and DynamoDB calls in-process: its figures show our code's share plus
botocore's, never what AWS's network round trips cost (several ms each).
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, BackgroundTasks

from handler.api.notification_tasks import OUTBOX, send_email
from handler.app import create_app
from handler.composition import task_worker
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.tasks.envelope import encode_task
from handler.platform.tasks.idempotency import InMemoryPersistenceLayer
from handler.platform.tasks.queue import InProcessQueue
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.request_tasks import Tasks
from handler.platform.tasks.worker import TaskWorker
from handler.settings import Settings
from tests.bench.bench_http import _init_seconds
from tests.bench.common import per_call, ratio, show, spread
from tests.support.auth import bearer
from tests.support.events import LambdaContext, http_event

BATCH = 10
BATCHES = 60
REPEATS = 7

bench_tasks = TaskRegistry()
sink: list[str] = []


@bench_tasks.task
def note(email: str, message: str = "") -> None:
    sink.append(email)


@contextmanager
def logs_to_devnull() -> Iterator[None]:
    """The worker logs one INFO line per task: format it (that is part of the cost),
    but write it nowhere, so the terminal shows only figures."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    with open(os.devnull, "w") as devnull:
        handler = logging.StreamHandler(devnull)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        try:
            yield
        finally:
            root.handlers[:], _ = saved
            root.setLevel(saved[1])


def events(count: int) -> list[dict[str, Any]]:
    """`count` SQS events of BATCH fresh tasks each: every task id is new, so each runs."""
    spec = bench_tasks.get("note")
    batches = []
    for b in range(count):
        records = []
        for i in range(BATCH):
            task = encode_task(spec, ("ada@example.com",), {}, request_id="r", max_bytes=1 << 20)
            records.append(
                {
                    "messageId": f"{b}-{i}",
                    "receiptHandle": "h",
                    "body": task.body,
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                }
            )
        batches.append({"Records": records})
    return batches


def per_message(
    handle: Callable[[dict[str, Any]], object], batches: int = BATCHES, repeats: int = REPEATS
) -> list[float]:
    samples = []
    for _ in range(repeats):
        batch_events = events(batches)
        start = time.perf_counter()
        for event in batch_events:
            handle(event)
        samples.append((time.perf_counter() - start) / (batches * BATCH))
    return samples


def worker_overhead() -> None:
    context = LambdaContext()
    memory = InMemoryPersistenceLayer()
    worker = TaskWorker(persistence=memory, dead_letters=None, tasks=bench_tasks)
    with logs_to_devnull():
        worker.handle(events(1)[0], context)  # warm up
        ours = per_message(lambda event: worker.handle(event, context))
    direct = per_call(lambda: note("ada@example.com"), number=BATCHES * BATCH, repeats=REPEATS)
    sink.clear()
    t_ours = statistics.median(ours)
    show("worker, per message (in-memory idempotency)", t_ours, note=spread(ours))
    show("calling the task function directly", direct)
    show("worker overhead per message", t_ours - direct, note="target <= 1000 us (1 ms)")
    dynamo = dynamodb_worker_per_message(context)
    note_ = "moto, not AWS " + spread(dynamo)
    show("worker, per message (DynamoDB under moto)", statistics.median(dynamo), "ms", note_)


def dynamodb_worker_per_message(context: LambdaContext) -> list[float]:
    from moto import mock_aws

    from tests.support.task_queues import make_aws

    with mock_aws(), logs_to_devnull():
        aws = make_aws()
        settings = Settings(environment="test", idempotency_table=aws.table)
        worker = task_worker(settings, tasks=bench_tasks)
        worker.handle(events(1)[0], context)
        return per_message(lambda event: worker.handle(event, context), batches=5, repeats=3)


def add_task_cost() -> None:
    queue = InProcessQueue()
    email = "ada@example.com"

    def ours() -> None:
        Tasks(queue, BackgroundTasks(), max_message_bytes=1 << 20).add_task(
            send_email, email, message="some notification"
        )

    def stock() -> None:
        BackgroundTasks().add_task(send_email, email, message="some notification")

    t_ours, t_stock = per_call(ours, number=2000), per_call(stock, number=2000)
    show("add_task, ours (bind + JSON + size check)", t_ours)
    show("add_task, stock BackgroundTasks", t_stock)
    ratio("ours / stock add_task", t_ours / t_stock, "the cost of checking at add_task")


def stock_router() -> APIRouter:
    router = APIRouter()

    @router.post("/stock-notification/")
    async def stock_notification(email: str, background: BackgroundTasks) -> dict[str, str]:
        background.add_task(send_email, email, message="some notification")
        return {"message": "Notification sent in the background"}

    return router


def per_request(settings: Settings, path: str, number: int) -> float:
    app = create_app(settings)
    app.include_router(stock_router())
    adapter = LambdaHttpAdapter(app)
    signed_in = bearer(settings, "ada")
    event = http_event(
        "http_api_v2",
        method="POST",
        path=path,
        query=[("email", "ada@example.com")],
        headers=signed_in,
    )
    context = LambdaContext()
    try:
        response = adapter(event, context)
        assert response["statusCode"] == 200, response
        return per_call(lambda: adapter(event, context), number=number)
    finally:
        adapter.close()
        OUTBOX.clear()


def enqueue_cost() -> None:
    from moto import mock_aws

    from tests.support.task_queues import make_aws

    logging.disable(logging.INFO)  # Mangum logs every request
    # "test", not "production": the requests carry a development token, which production
    # never trusts (its issuer is the user pool's).
    local = Settings(environment="test", log_level="WARNING", access_log="off")
    t_stock = per_request(local, "/stock-notification/", 300)
    t_local = per_request(local, "/send-notification/", 300)
    with mock_aws():
        aws = make_aws()
        sqs = local.model_copy(update={"task_queue_url": aws.queue_url})
        t_sqs = per_request(sqs, "/send-notification/", 100)
        queued = int(
            aws.sqs.get_queue_attributes(
                QueueUrl=aws.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        )
    logging.disable(logging.NOTSET)
    assert queued > 100, queued
    show("POST via Lambda adapter, stock BackgroundTasks", t_stock)
    show("POST via Lambda adapter, TasksDep in-process", t_local)
    show("POST via Lambda adapter, TasksDep -> SQS (moto)", t_sqs, "ms", "moto, not AWS")
    ratio("in-process TasksDep / stock BackgroundTasks", t_local / t_stock, "local mode only")


WORKER_INIT = """
import time; t = time.perf_counter()
import handler.lambda_worker
handler.lambda_worker.worker()
print(time.perf_counter() - t)
"""


def worker_init() -> None:
    samples = _init_seconds(WORKER_INIT)
    show(
        "cold init, handler.lambda_worker (+ worker built)",
        statistics.median(samples),
        "ms",
        spread(samples),
    )


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    worker_overhead()
    add_task_cost()
    enqueue_cost()
    worker_init()


if __name__ == "__main__":
    main()
