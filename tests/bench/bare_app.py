"""The reference for the throughput bench: a bare FastAPI app serving the same route and
body as the full stack's `GET /api/v1/users`, run under uvicorn's defaults."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/api/v1/users")
async def users() -> dict[str, object]:
    return {"version": "1", "users": []}
