"""Settings: one validated object; unsafe production values are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handler.settings import Settings


def test_empty_environment_selects_local_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "TASK_QUEUE_URL", "CONNECTIONS_TABLE", "AWS_LAMBDA_FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.redis_url, settings.task_queue_url, settings.connections_table) == ("", "", "")
    assert not settings.on_lambda
    assert not settings.json_logs


def test_environment_variables_fill_the_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "rediss://cache.example:6379")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "http")
    monkeypatch.setenv("PORT", "9000")
    settings = Settings()
    assert settings.redis_url == "rediss://cache.example:6379"
    assert settings.on_lambda
    assert settings.json_logs
    assert settings.port == 9000


@pytest.mark.parametrize(
    "fields",
    [
        {"environment": "production", "redis_url": "redis://cache.internal:6379"},
        {"port": 0},
        {"stream_interval": -1},
        {"log_level": "CHATTY"},
    ],
)
def test_unsafe_or_invalid_values_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["rediss://cache.internal:6379", "redis://127.0.0.1:6379/0", "redis://:pw@localhost"]
)
def test_production_accepts_tls_or_loopback_redis(url: str) -> None:
    assert Settings(environment="production", redis_url=url).redis_url == url


def test_production_with_a_users_table_needs_a_cursor_secret() -> None:
    with pytest.raises(ValidationError, match="CURSOR_SECRET must be set"):
        Settings(environment="production", users_table="users")
    secret = "k" * 32
    assert Settings(environment="production", users_table="users", cursor_secret=secret)
    # Outside production, or with the memory store, the public development key will do.
    assert Settings(environment="test", users_table="users")
    assert Settings(environment="production")


def test_a_short_cursor_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="CURSOR_SECRET must be at least 32"):
        Settings(cursor_secret="short")


def test_an_api_without_an_issuer_is_refused_at_start_up_in_production() -> None:
    from handler.app import create_app
    from handler.composition import require_issuer
    from handler.settings import ConfigError

    with pytest.raises(ConfigError, match="AUTH_ISSUER must be set in production"):
        create_app(Settings(environment="production"))
    require_issuer(Settings(environment="test"))  # elsewhere: the development issuer
    require_issuer(Settings(environment="production", auth_issuer="https://issuer.example/p"))
