"""Server-sent events. Under uvicorn (locally, and on AWS behind Lambda Web Adapter in
response-stream mode) each event leaves as it is produced; Mangum would buffer them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse

from handler.demo_state import SettingsDep

router = APIRouter(tags=["stream"])


@router.get("/stream", response_class=EventSourceResponse)
async def stream(settings: SettingsDep) -> AsyncIterator[int]:
    """Ten events, `data: 0` to `data: 9`, one every `STREAM_INTERVAL` seconds."""
    for i in range(10):
        if i:
            await asyncio.sleep(settings.stream_interval)
        yield i
