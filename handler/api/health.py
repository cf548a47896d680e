"""`GET /health`: liveness, and proof that lifespan state reaches requests.

Lambda Web Adapter polls it (AWS_LWA_READINESS_CHECK_PATH) before the streaming function
takes traffic.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from handler.platform.http.app_state import StartedState, state_of

router = APIRouter(tags=["ops"])


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Lifespan state seen by this request: `started_at` stays fixed across requests."""
    started_at = state_of(request, StartedState).started_at
    return {"status": "ok", "started_at": started_at, "uptime": time.time() - started_at}
