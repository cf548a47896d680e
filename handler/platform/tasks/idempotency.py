"""An in-memory idempotency store for the worker, for one process (`python -m local
worker`, tests). On AWS the worker uses Powertools' own DynamoDB layer
(`handler.composition.idempotency_store`)."""

from __future__ import annotations

import threading
import time

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
    STATUS_CONSTANTS,
    DataRecord,
)


class InMemoryPersistenceLayer(BasePersistenceLayer):
    """Powertools' persistence contract in a dict, for one process (`python -m local
    worker`, tests). Put follows the DynamoDB layer's condition: a key may be taken when
    absent, expired, or in progress past its in-progress expiry."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._records: dict[str, DataRecord] = {}
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key: str) -> DataRecord:
        with self._lock:
            record = self._records.get(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return record

    def _put_record(self, data_record: DataRecord) -> None:
        with self._lock:
            old = self._records.get(data_record.idempotency_key)
            if old is not None and not _replaceable(old):
                raise IdempotencyItemAlreadyExistsError(old_data_record=old)
            self._records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self._records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self._records.pop(data_record.idempotency_key, None)


def _replaceable(record: DataRecord) -> bool:
    if record.is_expired:
        return True
    in_progress_until = record.in_progress_expiry_timestamp  # milliseconds
    return (
        record.status == STATUS_CONSTANTS["INPROGRESS"]
        and in_progress_until is not None
        and in_progress_until < time.time() * 1000
    )
