"""The platform's settings: every variable the platform's backends, middleware and
entries need, validated together, read once from the environment.

An app subclasses `PlatformSettings` with its own fields and rules (`handler.settings.
Settings` adds the demo's), so one class lists every variable its functions take:

    class Settings(PlatformSettings):
        orders_table: str = ""

    settings = load_settings(Settings)   # or ConfigError, one line naming each variable

Every adapter is chosen from these fields: an empty value selects the local, in-memory
implementation; a set value selects the AWS one. Platform code never reads these itself:
the app's composition root passes each factory the values it needs, as keyword
arguments. A rule across fields lives in a model validator here (or in the app's
subclass), so every mistake is refused while loading, with the one-line `ConfigError`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]
S = TypeVar("S", bound=BaseSettings)
MIN_SECRET_LENGTH = 32


class PlatformSettings(BaseSettings):
    # Each class's validator is built when it is first instantiated: a function
    # instantiates only the app's subclass, so this one's is never built there.
    model_config = SettingsConfigDict(extra="ignore", frozen=True, defer_build=True)

    environment: Environment = "development"
    service_name: str = "fastapi-serverless"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "auto" logs JSON on Lambda (AWS_LAMBDA_FUNCTION_NAME is set) and text elsewhere.
    log_format: Literal["auto", "json", "text"] = "auto"
    # Set by the Lambda runtime; read only to detect where we run.
    aws_lambda_function_name: str = ""
    # Set by the Lambda runtime: `snap-start` while it initialises a SnapStart snapshot
    # (handler.platform.runtime.snapstart), `on-demand` or `provisioned-concurrency` else.
    aws_lambda_initialization_type: str = ""
    # One line per HTTP request: `line` (method, path, status, time; written straight to
    # stdout, the cheapest), `log` (a record of the `handler.access` logger: JSON with the
    # request id on Lambda, ~10x the cost), `off`. `auto`: `line` locally, `off` on Lambda,
    # where API Gateway's access log already has every request.
    access_log: Literal["auto", "line", "log", "off"] = "auto"

    # Metrics (handler.platform.metrics): `emf` writes CloudWatch EMF lines to stdout (on
    # Lambda, CloudWatch Logs turns them into metrics: no API call), `off` records nothing.
    # `auto`: `emf` on Lambda, `off` elsewhere (set METRICS=emf to read them locally).
    metrics: Literal["auto", "emf", "off"] = "auto"
    # The CloudWatch namespace of every custom metric (the dashboard's and alarms' too).
    metrics_namespace: str = Field(
        default="fastapi-serverless", pattern=r"^[A-Za-z0-9._/#:-]{1,255}$"
    )
    # The deployment stage (`dev`, `prod`; set by the stack): a dimension of every metric.
    stage: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{0,31}$")

    # Local server (python -m local). Lambda Web Adapter also reads PORT.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Adapters: empty selects the in-memory/in-process implementation.
    redis_url: str = ""
    task_queue_url: str = ""
    task_dlq_url: str = ""
    connections_table: str = ""
    ws_callback_url: str = ""
    subscriptions_table: str = ""
    idempotency_table: str = ""
    aws_endpoint_url: str = ""

    # WebSockets: sends in flight per broadcast, and how long one send may take before the
    # target is dropped (local socket) or the post given up (@connections).
    ws_send_concurrency: int = Field(default=64, ge=1, le=512)
    ws_send_timeout: float = Field(default=5.0, gt=0.0, le=60.0)
    # graphql-transport-ws: how long a socket may wait before `connection_init` (4408).
    graphql_ws_init_timeout: float = Field(default=3.0, gt=0.0, le=60.0)
    # Subscriptions one graphql-transport-ws connection may hold (each is a stored row).
    graphql_ws_max_subscriptions: int = Field(default=100, ge=1, le=10_000)

    # Background tasks (handler.platform.tasks). SQS takes messages up to 1 MiB (256 KiB
    # before 2025); lower this if the queue's MaximumMessageSize is set lower.
    task_max_message_bytes: int = Field(default=1_048_576, ge=1024, le=1_048_576)
    # How long a finished task id is remembered: a redelivery within it does not rerun.
    task_idempotency_seconds: int = Field(default=3600, ge=60)

    # Cache and rate limits (handler.platform.cache.store, handler.platform.ratelimit.limiter).
    # Bound on every Redis operation (connect and read), in seconds: past it the cache
    # computes fresh and the limiter applies RATE_LIMIT_FAIL_OPEN.
    redis_timeout: float = Field(default=0.1, gt=0.0, le=10.0)
    # After a Redis failure, skip Redis for this long, doubling per failed probe up to 30 s.
    redis_backoff: float = Field(default=1.0, gt=0.0, le=30.0)
    # Redis connections per environment (Lambda uses one; uvicorn serves many requests at
    # once). A request finding all busy waits up to REDIS_TIMEOUT for one, then degrades.
    redis_max_connections: int = Field(default=64, ge=1, le=10_000)
    # Prepended to every cache and rate-limit key: several apps (or test runs) share a Redis.
    redis_key_prefix: str = "fs:"
    # HMAC-SHA256 key for cached values (always JSON, never pickle); empty: unsigned JSON.
    cache_secret: SecretStr = SecretStr("")
    # Redis unavailable: true lets requests through (logged), false answers 503.
    rate_limit_fail_open: bool = True
    # Proxies in front of the app that append to X-Forwarded-For; 0 ignores the header
    # (API Gateway's source IP is already the client address on Lambda).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)

    # Identity (handler.platform.auth, docs/auth.md). Bearer JWTs are checked against the
    # issuer's keys. AUTH_ISSUER empty: the development issuer (`python -m local token`),
    # refused in production. AUTH_JWKS_URL empty: `{AUTH_ISSUER}/.well-known/jwks.json`
    # (`s3://bucket/key` reads a mirror, for a function in a VPC without internet).
    # AUTH_AUDIENCE: comma-separated app client ids (`aud`, or a Cognito access token's
    # `client_id`); empty accepts any audience the issuer signed (development only).
    # Bounded by max_length, not by a `{1,500}` in the pattern: pydantic compiles that
    # (a Unicode class repeated 500 times) in ~10 ms, 1000 in ~20, at every cold start.
    auth_issuer: str = Field(default="", pattern=r"^(https?://[^\s\"'<>]+)?$", max_length=508)
    auth_jwks_url: str = Field(
        default="", pattern=r"^((https?|s3)://[^\s\"'<>]+)?$", max_length=1008
    )
    auth_audience: str = Field(default="", max_length=2000)
    # Allowed clock skew on `exp` and `nbf`, in seconds.
    auth_leeway: int = Field(default=30, ge=0, le=300)
    # The claim that lists the caller's groups (a dotted path for nested claims, e.g.
    # Keycloak's `realm_access.roles`), and the group that makes an admin.
    auth_groups_claim: str = Field(default="cognito:groups", min_length=1, max_length=200)
    auth_admin_group: str = Field(default="admin", min_length=1, max_length=200)
    # The development issuer's private key, created on first use (git-ignored).
    auth_development_key: str = Field(default=".local/auth-development-key.pem", max_length=1000)
    # Origins allowed to call the API from a browser (comma-separated, `*` for any
    # without credentials); empty: no cross-origin access.
    cors_origins: str = Field(default="", max_length=4000)

    # Request limits (handler.platform.http.limits), API Gateway's HTTP API quotas: a 10 MB
    # payload, 10240 bytes of request line and header values together. Enforced by the
    # app wherever API Gateway is not in front of it (uvicorn locally).
    http_max_body_bytes: int = Field(default=10_485_760, ge=1024, le=1_073_741_824)
    http_max_header_bytes: int = Field(default=10_240, ge=1024, le=1_048_576)

    # GraphQL cost (handler.platform.http.graphql_limits): a costly query is refused
    # before it runs, so one client cannot hold the event loop for everyone.
    graphql_max_body_bytes: int = Field(default=65_536, ge=1024, le=10_485_760)
    graphql_max_tokens: int = Field(default=2000, ge=200, le=1_000_000)
    graphql_max_depth: int = Field(default=10, ge=2, le=1000)
    graphql_max_aliases: int = Field(default=30, ge=0, le=100_000)

    @property
    def on_lambda(self) -> bool:
        return bool(self.aws_lambda_function_name)

    @property
    def snap_start(self) -> bool:
        """This init is SnapStart's: build now what is otherwise built on first use."""
        return self.aws_lambda_initialization_type == "snap-start"

    @property
    def access_log_mode(self) -> Literal["line", "log", "off"]:
        if self.access_log == "auto":
            return "off" if self.on_lambda else "line"
        return self.access_log

    @property
    def metrics_mode(self) -> Literal["emf", "off"]:
        if self.metrics == "auto":
            return "emf" if self.on_lambda else "off"
        return self.metrics

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format == "auto" and self.on_lambda)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @model_validator(mode="after")
    def _refuse_unsafe_platform_values(self) -> PlatformSettings:
        plain_remote_redis = self.redis_url.startswith("redis://") and urlsplit(
            self.redis_url
        ).hostname not in {"127.0.0.1", "localhost", "::1"}
        if self.is_production and plain_remote_redis:
            raise ValueError("REDIS_URL must use TLS (rediss://) in production")
        database = redis_database(self.redis_url)
        if self.is_production and database not in {"", "0"}:
            raise ValueError(
                f"REDIS_URL selects database {database!r}: ElastiCache Serverless runs in"
                " cluster mode, which has database 0 only (drop the /N or ?db=N)"
            )
        refuse_short_secret("CACHE_SECRET", self.cache_secret)
        # Local sockets with a shared table would delete other processes' connections.
        if bool(self.connections_table) != bool(self.ws_callback_url):
            raise ValueError("set CONNECTIONS_TABLE and WS_CALLBACK_URL together, or neither")
        if self.subscriptions_table and not self.ws_callback_url:
            raise ValueError("SUBSCRIPTIONS_TABLE needs WS_CALLBACK_URL (events go through it)")
        return self


def refuse_short_secret(name: str, value: SecretStr) -> None:
    """An HMAC key, when set, of at least 32 characters: for a model validator's rule."""
    secret = value.get_secret_value()
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"{name} must be at least {MIN_SECRET_LENGTH} characters (or empty)")


def redis_database(url: str) -> str:
    """The database a `redis://` URL selects, as redis-py reads it: `?db=` wins over the
    path; "" when the URL names none."""
    parts = urlsplit(url)
    query = parse_qs(parts.query).get("db")
    return query[0] if query else parts.path.strip("/")


class ConfigError(ValueError):
    """The environment holds an invalid setting; the message names each variable, what it
    holds and what is allowed, one line each, with no traceback worth reading."""


def load_settings(kind: type[S]) -> S:
    """`kind()` from the environment, or `ConfigError` naming the variables at fault
    (pydantic names the lowercase field and prints a page; a person sets the variable)."""
    try:
        return kind()
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()]
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


def _problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a rule across fields: its message names the variables
        return message
    variable = str(error["loc"][0]).upper()
    shown = str(error["input"])
    shown = shown if len(shown) <= 60 else shown[:60] + "..."
    expected = (error.get("ctx") or {}).get("expected")
    if expected:
        message = f"expected one of {expected}"
    return f"{variable}={shown!r}: {message}"
