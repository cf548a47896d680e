"""Dependencies, declared once as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from handler.settings import Settings


async def get_app_settings(request: Request) -> Settings:
    # async: a sync dependency would cost a threadpool hop on every request
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
