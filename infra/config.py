"""Deployment choices read from CDK context (`cdk synth -c nat=true`), validated once.

Every key this app reads is a field of InfraConfig; any other key that looks like one of
ours (no `:` and no leading `@`, the marks of CDK's own keys and feature flags) is refused,
so a typo (`-c stagee=prod`) fails synth instead of deploying the default.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from constructs import Node

from infra.stages import DEFAULT_STAGE, STAGES, Stage

BundleMode = Literal["pip", "stub"]
StreamAuth = Literal["none", "iam"]

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}
# Keys CDK itself keeps without a colon (cdk.context.json, the CLI).
CDK_KEYS = frozenset({"acknowledged-issue-numbers", "cli-telemetry"})
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,63}$", re.IGNORECASE)
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_OIDC_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)


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


def _matching(name: str, value: Any, pattern: re.Pattern[str], expected: str) -> str:
    text = str(value).strip()
    if text and not pattern.match(text):
        raise ConfigError(f"context {name}={value!r}: expected {expected}")
    return text


@dataclass(frozen=True, kw_only=True)
class InfraConfig:
    stage: str = DEFAULT_STAGE
    # One NAT gateway (about 33 USD a month) for functions in the VPC that need the internet.
    nat: bool = False
    # "stub" bundles handler/ without dependencies: fast synth for unit tests, never deploy it.
    bundle: BundleMode = "pip"
    # Function URL auth of the streaming function (see notes in streaming.py).
    stream_auth: StreamAuth = "none"
    # Origins whose pages may call the stream URL (CORS), besides the HTTP API's own.
    stream_origins: tuple[str, ...] = ()
    # Origins whose pages may call the HTTP API with a token (CORS_ORIGINS on the HTTP
    # function). The HTTP API has no CORS configuration of its own: its $default route
    # passes OPTIONS preflights to the app, which answers them (docs/auth.md).
    cors_origins: tuple[str, ...] = ()
    # False: no reserved concurrency (accounts still at the default quota of 10).
    reserved_concurrency: bool = True
    # Alarm notifications by email (an SNS subscription the address must confirm).
    alarm_email: str = ""
    # Custom domains: the HTTP API's and the WebSocket API's, each with an ACM
    # certificate in the stack's region (ws_certificate_arn defaults to certificate_arn).
    domain: str = ""
    certificate_arn: str = ""
    ws_domain: str = ""
    ws_certificate_arn: str = ""
    # `owner/name`: also synthesize the CI stack (GitHub OIDC deploy role, infra.pipeline).
    github_repo: str = ""
    # An existing GitHub OIDC provider (one per account); empty: the CI stack creates it.
    github_oidc_arn: str = ""

    @property
    def stage_choices(self) -> Stage:
        return STAGES[self.stage]

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def from_node(cls, node: Node) -> InfraConfig:
        return cls.from_context(node.get_all_context())

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> InfraConfig:
        check_keys(context)

        def get(name: str, default: Any = "") -> Any:
            value = context.get(name)
            return default if value is None else value

        origins = _origins("stream_origins", get("stream_origins"))
        config = cls(
            stage=_choice("stage", get("stage", DEFAULT_STAGE), tuple(STAGES)),
            nat=_flag("nat", get("nat", False)),
            bundle=_choice("bundle", get("bundle", "pip"), ("pip", "stub")),  # type: ignore[arg-type]
            stream_auth=_choice("stream_auth", get("stream_auth", "none"), ("none", "iam")),  # type: ignore[arg-type]
            stream_origins=origins,
            cors_origins=_origins("cors_origins", get("cors_origins")),
            reserved_concurrency=_flag("reserved_concurrency", get("reserved_concurrency", True)),
            alarm_email=_matching("alarm_email", get("alarm_email"), _EMAIL, "an email address"),
            domain=_matching("domain", get("domain"), _DOMAIN, "a lower-case host name"),
            certificate_arn=_matching(
                "certificate_arn", get("certificate_arn"), _CERTIFICATE, "an ACM certificate ARN"
            ),
            ws_domain=_matching("ws_domain", get("ws_domain"), _DOMAIN, "a lower-case host name"),
            ws_certificate_arn=_matching(
                "ws_certificate_arn",
                get("ws_certificate_arn"),
                _CERTIFICATE,
                "an ACM certificate ARN",
            ),
            github_repo=_matching("github_repo", get("github_repo"), _REPO, "owner/name"),
            github_oidc_arn=_matching(
                "github_oidc_arn",
                get("github_oidc_arn"),
                _OIDC_ARN,
                "the ARN of the token.actions.githubusercontent.com OIDC provider",
            ),
        )
        config.check_domains()
        return config

    def check_domains(self) -> None:
        if self.domain and not self.certificate_arn:
            raise ConfigError("context domain needs certificate_arn (an ACM certificate ARN)")
        if self.certificate_arn and not self.domain:
            raise ConfigError("context certificate_arn is given without domain")
        if self.ws_domain and not (self.ws_certificate_arn or self.certificate_arn):
            raise ConfigError("context ws_domain needs ws_certificate_arn (or certificate_arn)")
        if self.ws_certificate_arn and not self.ws_domain:
            raise ConfigError("context ws_certificate_arn is given without ws_domain")
        if self.github_oidc_arn and not self.github_repo:
            raise ConfigError("context github_oidc_arn is given without github_repo")

    @property
    def websocket_certificate_arn(self) -> str:
        return self.ws_certificate_arn or self.certificate_arn


def _origins(name: str, value: Any) -> tuple[str, ...]:
    origins = tuple(o.strip() for o in str(value).split(",") if o.strip())
    for origin in origins:
        _matching(name, origin, _ORIGIN, "comma-separated https://host origins")
    return origins


def check_keys(context: Mapping[str, Any]) -> None:
    """Refuse a key that is neither ours nor CDK's, naming the nearest one of ours."""
    known = InfraConfig.keys()
    for key in context:
        if key in known or key in CDK_KEYS or ":" in key or key.startswith("@"):
            continue
        near = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ConfigError(
            f"unknown context key {key!r}{hint}: this app reads {', '.join(sorted(known))}"
        )
