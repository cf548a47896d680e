"""Deployment choices read from CDK context (`cdk synth -c nat=true`), validated once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from constructs import Node

BundleMode = Literal["pip", "stub"]
StreamAuth = Literal["none", "iam"]

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


class ConfigError(ValueError):
    """A context value this app does not understand (named in the message)."""


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ConfigError(f"context {name}={value!r}: expected true or false")


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    text = str(value).lower()
    if text not in allowed:
        raise ConfigError(f"context {name}={value!r}: expected one of {', '.join(allowed)}")
    return text


@dataclass(frozen=True, kw_only=True)
class InfraConfig:
    # One NAT gateway (about 33 USD a month) for functions in the VPC that need the internet.
    nat: bool = False
    # "stub" bundles handler/ without dependencies: fast synth for unit tests, never deploy it.
    bundle: BundleMode = "pip"
    # Function URL auth of the streaming function (see notes in streaming.py).
    stream_auth: StreamAuth = "none"
    # The users table is kept on `cdk destroy` unless this is set (infra/users.py).
    destroy_users: bool = False

    @classmethod
    def from_node(cls, node: Node) -> InfraConfig:
        def get(name: str, default: Any) -> Any:
            value = node.try_get_context(name)
            return default if value is None else value

        return cls(
            nat=_flag("nat", get("nat", False)),
            bundle=_choice("bundle", get("bundle", "pip"), ("pip", "stub")),  # type: ignore[arg-type]
            stream_auth=_choice("stream_auth", get("stream_auth", "none"), ("none", "iam")),  # type: ignore[arg-type]
            destroy_users=_flag("destroy_users", get("destroy_users", False)),
        )
