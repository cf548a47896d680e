"""API Gateway's ids and clocks, as both emulated APIs write them into events."""

from __future__ import annotations

import base64
import os
import time

# API Gateway writes its request time in English whatever the locale: no strftime("%b").
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def new_gateway_id() -> str:
    """An API Gateway-style id (request, connection and message ids): 11 random bytes,
    URL-safe base64, 16 characters ending in `=`, e.g. `L0SM9cOFvHcCIhw=`."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def request_time(epoch_ms: int) -> str:
    """`28/Nov/2026:05:10:00 +0000`, API Gateway's `time` / `requestTime`."""
    t = time.gmtime(epoch_ms / 1000)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


def trace_id(epoch_ms: int) -> str:
    """An X-Ray root id, as API Gateway adds in `x-amzn-trace-id`."""
    return f"Root=1-{epoch_ms // 1000:08x}-{os.urandom(12).hex()}"
