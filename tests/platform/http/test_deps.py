"""The settings dependency: `SettingsDep` reads the app's settings as the platform's
class; `settings_dependency(kind)` reads them as an app's subclass, checked."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from handler.platform.http.deps import SettingsDep, settings_dependency
from handler.platform.settings import PlatformSettings
from tests.support.platform_app import platform_app


class ShopSettings(PlatformSettings):
    orders_table: str = ""


ShopSettingsDep = Annotated[ShopSettings, Depends(settings_dependency(ShopSettings))]


def test_each_alias_reads_the_settings_the_app_was_built_with() -> None:
    app = platform_app(ShopSettings(environment="test", orders_table="orders"))

    @app.get("/platform")
    async def platform(settings: SettingsDep) -> dict[str, str]:
        return {"environment": settings.environment}

    @app.get("/shop")
    async def shop(settings: ShopSettingsDep) -> dict[str, str]:
        return {"orders_table": settings.orders_table}

    with TestClient(app) as client:
        assert client.get("/platform").json() == {"environment": "test"}
        assert client.get("/shop").json() == {"orders_table": "orders"}


def test_settings_of_another_class_are_a_clear_error() -> None:
    app = platform_app(PlatformSettings(environment="test"))

    @app.get("/shop")
    async def shop(settings: ShopSettingsDep) -> dict[str, str]:
        return {"orders_table": settings.orders_table}

    with TestClient(app) as client, pytest.raises(RuntimeError, match="no ShopSettings"):
        client.get("/shop")
