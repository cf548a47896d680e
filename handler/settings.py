"""The app's settings: the platform's (`handler.platform.settings.PlatformSettings`) and
the demo's own, in one class, read once from the environment.

Only the composition root (`handler.composition`), the app (`handler.app`) and the
entries read these; every platform factory gets the values it needs as arguments. Infra
sets exactly these names on the functions (a test checks it).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, model_validator

from handler.platform import settings as platform_settings
from handler.platform.settings import ConfigError, PlatformSettings, refuse_short_secret

__all__ = ["ConfigError", "Settings", "get_settings", "load_settings"]


class Settings(PlatformSettings):
    # Demo surface knobs.
    custom_header_value: str = "fastapi-serverless"
    stream_interval: float = Field(default=1.0, ge=0.0, le=60.0)
    # The WebSocket URL the /chat page connects to (`wss://{api}.execute-api.{region}.
    # amazonaws.com/{stage}` on AWS, filled by the stack); empty: this server's /ws route.
    chat_websocket_url: str = Field(default="", pattern=r"^(wss?://[^\s\"'<>]+)?$")

    # The users resource (handler.api.users): empty selects the memory store, seeded.
    users_table: str = ""
    # HMAC-SHA256 key of its pagination cursors (handler.platform.pagination); empty: a
    # fixed development key, refused in production with USERS_TABLE set. Every environment
    # of the fleet must share it: a cursor one signs, another checks.
    cursor_secret: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _refuse_unsafe_app_values(self) -> Settings:
        refuse_short_secret("CURSOR_SECRET", self.cursor_secret)
        if self.is_production and self.users_table and not self.cursor_secret.get_secret_value():
            raise ValueError(
                "CURSOR_SECRET must be set in production with USERS_TABLE: pagination cursors"
                " are signed with it, and the development key is public"
            )
        return self


def load_settings() -> Settings:
    """`Settings()` from the environment, or `ConfigError` naming the variables at fault
    (what a function's init does; the emulator's preflight runs it too)."""
    return platform_settings.load_settings(Settings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; raises `ConfigError` for an invalid environment."""
    return load_settings()
