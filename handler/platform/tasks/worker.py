"""The worker: an SQS batch in, `{"batchItemFailures": [...]}` out.

Per message, one of three outcomes:
- the task ran (or had already run: same task id) -> acknowledged;
- the task raised -> a batch item failure: SQS retries it, then its redrive policy
  moves it to the dead-letter queue;
- the idempotency table failed (throttled past botocore's retries): before the task ran
  -> a batch item failure (it runs on a later delivery); after it ran -> acknowledged
  with an ERROR line, since a retry would find the in-progress record expired and run it
  a second time;
- the message can never succeed (not an envelope, unknown task, arguments that do not
  bind or do not validate against the task's annotations) -> sent to the dead-letter
  queue with the reason, then acknowledged. If that send fails, it is a batch item
  failure instead: a message is never dropped.

`handle` never raises, whatever JSON value it is given. A record SQS could not have sent
(a body that is not text, attributes that are not an object) but whose message id is
readable is reported as a batch item failure (SQS keeps it; its redrive policy ends it);
a record without a readable id cannot be reported and is skipped. Either way one WARNING
line says so.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)

from handler.platform.metrics.names import (
    TASK_DURATION,
    TASKS_DEAD_LETTERED,
    TASKS_RETRIED,
    TASKS_RUN,
)
from handler.platform.metrics.recorder import NO_METRICS, Metrics, elapsed_ms
from handler.platform.runtime.event_loop import environment_loop
from handler.platform.runtime.trace_header import clean_trace_header, trace_id
from handler.platform.tasks.envelope import TaskEnvelope
from handler.platform.tasks.errors import PoisonMessage, UnknownTask
from handler.platform.tasks.log_context import log_keys, task_log_context
from handler.platform.tasks.registry import TaskRegistry, TaskSpec, registry

if TYPE_CHECKING:
    import inspect

    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

logger = logging.getLogger(__name__)

# SQS message ids are UUIDs; anything much longer did not come from SQS.
_MAX_MESSAGE_ID = 256


class DeadLetters(Protocol):
    def send(self, body: str, *, reason: str, detail: str, attributes: dict[str, str]) -> None:
        """Park the message; raise if it was not parked."""


class TaskWorker:
    def __init__(
        self,
        *,
        persistence: BasePersistenceLayer,
        dead_letters: DeadLetters | None,
        tasks: TaskRegistry = registry,
        idempotency_seconds: int = 3600,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._registry = tasks
        self.metrics = metrics
        self._dead_letters = dead_letters
        self._config = IdempotencyConfig(
            event_key_jmespath="id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=idempotency_seconds,
        )
        # The key is "task#<hash of the task id>": stable across function renames.
        self._run_once = idempotent_function(
            data_keyword_argument="key",
            persistence_store=persistence,
            config=self._config,
            key_prefix="task",
        )(self._execute)
        self._processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        records, unreadable = sqs_records(event)
        failures: list[Any] = [{"itemIdentifier": message_id} for message_id in unreadable]
        if records:
            if context is not None:
                # In-progress records expire with this invocation: a timed-out run can retry.
                self._config.register_lambda_context(context)
            response = process_partial_response(
                event={"Records": records},
                record_handler=self._handle_record,
                processor=self._processor,
            )
            failures = [*response.get("batchItemFailures", []), *failures]
        return {"batchItemFailures": failures}

    def _handle_record(self, record: SQSRecord) -> None:
        try:
            envelope = TaskEnvelope.decode(record.body)
            spec = self._spec(envelope.name)
            bound = spec.bind(envelope.args, envelope.keyword_args)
        except PoisonMessage as poison:
            self._dead_letter(record, poison)
            return
        attributes = record.raw_event.get("attributes", {})
        receives = attributes.get("ApproximateReceiveCount")
        # The request's trace (SQS copies AWSTraceHeader into the record's attributes).
        trace = clean_trace_header(attributes.get("AWSTraceHeader"))
        keys = log_keys(envelope, message_id=record.message_id, receive_count=receives)
        if trace:
            keys["trace_id"] = trace_id(trace)
        ran: list[bool] = []  # `_execute` marks it once the task has returned
        try:
            self._run_once(
                key={"id": envelope.id},
                envelope=envelope,
                spec=spec,
                bound=bound,
                ran=ran,
                trace=trace,
            )
        except IdempotencyAlreadyInProgressError:
            logger.warning("task %s is running elsewhere; retry later", envelope.id, extra=keys)
            self.metrics.count(TASKS_RETRIED, task=envelope.name)
            raise
        except IdempotencyPersistenceLayerError as exc:
            if not ran:
                # Before the task ran, or after it failed (the chain shows the task's own
                # error then): a later delivery runs it.
                logger.warning(
                    "task %s not done: %s; retry later", envelope.id, exc, extra=keys, exc_info=True
                )
                self.metrics.count(TASKS_RETRIED, task=envelope.name)
                raise
            # Its effect happened: failing the message would run it again once the
            # in-progress record expires (a duplicate delivery after that still could).
            logger.error(
                "task %s ran, but its completion was not recorded (%s); acknowledged",
                envelope.id,
                exc,
                extra=keys,
            )
        except Exception:
            logger.exception(
                "task %s (%s) failed; request %s, receive %s",
                envelope.id,
                envelope.name,
                envelope.request_id,
                receives,
                extra=keys,
            )
            self.metrics.count(TASKS_RETRIED, task=envelope.name)
            raise

    def _spec(self, name: str) -> TaskSpec:
        try:
            return self._registry.get(name)
        except UnknownTask as exc:
            raise PoisonMessage("unknown-task", str(exc)) from None

    def _execute(
        self,
        *,
        key: dict[str, str],
        envelope: TaskEnvelope,
        spec: TaskSpec,
        bound: inspect.BoundArguments,
        ran: list[bool],
        trace: str | None,
    ) -> dict[str, str]:
        """Runs once per task id (Powertools stores this return value, not the task's)."""
        started = time.perf_counter()
        with task_log_context(envelope, trace_header=trace):
            try:
                result = spec.call(bound)
                if spec.is_async:
                    # Asked for only here: a worker whose tasks are all sync never makes one.
                    environment_loop().run_until_complete(result)
            finally:
                ms = elapsed_ms(started)
                self.metrics.milliseconds(TASK_DURATION, ms, task=envelope.name)
        ran.append(True)
        self.metrics.count(TASKS_RUN, task=envelope.name)
        keys = log_keys(envelope, **({"trace_id": trace_id(trace)} if trace else {}))
        logger.info("task %s (%s) done in %.1f ms", envelope.id, envelope.name, ms, extra=keys)
        return {"task_id": envelope.id}

    def _dead_letter(self, record: SQSRecord, poison: PoisonMessage) -> None:
        extra = {"message_id": record.message_id, "reason": poison.reason}
        if self._dead_letters is None:
            # Without TASK_DLQ_URL, keep the message: the queue's redrive policy moves it
            # to its dead-letter queue after maxReceiveCount, and nothing is lost.
            logger.error("poison message %s (no TASK_DLQ_URL): %s", record.message_id, poison)
            raise poison
        try:
            self._dead_letters.send(
                record.body,
                reason=poison.reason,
                detail=poison.detail,
                attributes={"source_message_id": record.message_id},
            )
        except Exception:
            logger.exception("poison message %s not dead-lettered; left on the queue", poison)
            raise
        self.metrics.count(TASKS_DEAD_LETTERED, reason=poison.reason)
        logger.error("poison message %s dead-lettered: %s", record.message_id, poison, extra=extra)


def sqs_records(event: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The records of an SQS event that the batch can process, and the message ids of the
    records it cannot (reported as failures). Logs one WARNING line when it drops any."""
    batch = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(batch, list):
        logger.warning("not an SQS event (no Records list); nothing to process")
        return [], []
    records: list[dict[str, Any]] = []
    unreadable: list[str] = []
    anonymous = 0
    for record in batch:
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not 0 < len(message_id) <= _MAX_MESSAGE_ID:
            anonymous += 1
        elif _readable(record):
            records.append(record)
        else:
            unreadable.append(message_id)
    if unreadable or anonymous:
        logger.warning(
            "SQS event: %d unreadable records reported as failures %s, %d without a"
            " message id skipped",
            len(unreadable),
            unreadable[:10],
            anonymous,
        )
    return records, unreadable


def _readable(record: dict[str, Any]) -> bool:
    return isinstance(record.get("body"), str) and isinstance(record.get("attributes", {}), dict)
