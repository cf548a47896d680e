"""Versioned users API: /api/v1 and /api/v2 side by side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

v1 = APIRouter(prefix="/api/v1", tags=["v1"])
v2 = APIRouter(prefix="/api/v2", tags=["v2"])


class UsersV1(BaseModel):
    version: str = "1"
    users: list[dict[str, Any]] = []


class UsersV2(BaseModel):
    version: str = "2"
    users: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}


@v1.get("/users")
async def list_users_v1() -> UsersV1:
    return UsersV1()


@v2.get("/users")
async def list_users_v2() -> UsersV2:
    return UsersV2()
