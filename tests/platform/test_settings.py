"""PlatformSettings: the platform's fields and the rules across them, refused while
loading with one line naming each variable; an app's subclass adds its fields and rules
and keeps the platform's."""

from __future__ import annotations

import pytest
from pydantic import ValidationError, model_validator

from handler.platform.settings import ConfigError, PlatformSettings, load_settings


class ShopSettings(PlatformSettings):
    """What a user's own app would declare: a table and a rule of its own."""

    orders_table: str = ""

    @model_validator(mode="after")
    def _orders_in_production(self) -> ShopSettings:
        if self.is_production and not self.orders_table:
            raise ValueError("ORDERS_TABLE must be set in production")
        return self


def test_the_platform_settings_hold_no_field_of_the_demo() -> None:
    demo = {"custom_header_value", "stream_interval", "users_table", "chat_websocket_url"}
    assert demo.isdisjoint(PlatformSettings.model_fields)
    assert "cursor_secret" not in PlatformSettings.model_fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"environment": "production", "redis_url": "redis://cache:6379"}, "rediss://"),
        ({"environment": "production", "redis_url": "rediss://cache:6379/3"}, "database '3'"),
        ({"cache_secret": "short"}, "CACHE_SECRET must be at least 32"),
        ({"connections_table": "t"}, "CONNECTIONS_TABLE and WS_CALLBACK_URL together"),
        ({"ws_callback_url": "https://x"}, "CONNECTIONS_TABLE and WS_CALLBACK_URL together"),
    ],
)
def test_the_platform_rules_are_refused_while_loading(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PlatformSettings(**fields)  # type: ignore[arg-type]


def test_an_apps_subclass_keeps_the_platform_rules_and_adds_its_own() -> None:
    with pytest.raises(ValidationError, match="CONNECTIONS_TABLE"):
        ShopSettings(connections_table="t")
    with pytest.raises(ValidationError, match="ORDERS_TABLE must be set"):
        ShopSettings(environment="production")
    assert ShopSettings(environment="production", orders_table="orders").orders_table


def test_load_settings_names_the_variables_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("ORDERS_TABLE", "orders")
    with pytest.raises(ConfigError) as refused:
        load_settings(ShopSettings)
    assert str(refused.value).startswith("invalid configuration: PORT='abc': ")
    assert "\n" not in str(refused.value)
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("ORDERS_TABLE")
    with pytest.raises(ConfigError, match=r"^invalid configuration: ORDERS_TABLE must be set"):
        load_settings(ShopSettings)
    monkeypatch.setenv("ORDERS_TABLE", "orders")
    loaded = load_settings(ShopSettings)
    assert (loaded.port, loaded.orders_table) == (9000, "orders")
