"""The development issuer's routes, installed only in development without AUTH_ISSUER:

    GET /.well-known/jwks.json     its public key, as an issuer publishes one
    GET /dev/token?sub=alice       a one-hour token for `alice` (never an admin's: those
                                   come from `python -m local token --sub NAME --admin`)

The chat page takes its token from the second. Neither exists in production, where
`create_app` refuses to start without AUTH_ISSUER.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from handler.platform.auth.development import DevelopmentIssuer

Subject = Annotated[str, Query(pattern=r"^[A-Za-z0-9._@-]{1,64}$", description="who to be")]


def development_router(issuer: DevelopmentIssuer) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        return JSONResponse(issuer.jwks(), headers={"Cache-Control": "public, max-age=300"})

    @router.get("/dev/token")
    async def token(sub: Subject) -> JSONResponse:
        body = {"access_token": issuer.issue(sub), "token_type": "Bearer", "expires_in": 3600}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return router
