"""The stack's topology as the emulator runs it: functions (entry, environment variable
names, timeout), the task queue's event source, the tables and the user pool.

Written here, not read from infra/ (importing the CDK starts node), except the app's
tables: those are read from their one declaration, tables.toml (infra.app_tables, which
imports no CDK). A test holds these values against the synthesized template, so a change
to infra/ that the emulator does not follow fails (tests/infra/test_emulator_topology.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.app_tables import APP_TABLES, AppTable

# infra/stages.py: one stack per stage, the WebSocket stage named after it (`--stage`).
STAGES = ("dev", "prod")
DEFAULT_STAGE = "dev"
STACK_NAME = f"FastapiServerless-{DEFAULT_STAGE}"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
WEBSOCKET_STAGE = DEFAULT_STAGE


def stack_name(stage: str) -> str:
    return f"FastapiServerless-{stage}"


WEBSOCKET_ROUTES = ("$connect", "$default", "$disconnect")

# infra/stack.py BASE_ENVIRONMENT
BASE_ENVIRONMENT = {
    "ENVIRONMENT": "production",
    "SERVICE_NAME": "fastapi-serverless",
    "LOG_LEVEL": "INFO",
    "METRICS_NAMESPACE": "fastapi-serverless",
}
# Set per stage on every function (its value is the stage's name).
STAGE_VARIABLE = "STAGE"
# infra/stack.py _wire_identity: on the functions that verify bearer tokens. The emulator
# adds AUTH_JWKS_URL (moto's keys are not at the issuer's address).
AUTH_ENVIRONMENT = ("AUTH_ISSUER", "AUTH_AUDIENCE")


# The stack's function names (tables.toml's `functions`) -> the emulator's.
EMULATOR_NAMES = {"http": "http", "worker": "worker", "ws": "websocket", "stream": "stream"}


def app_table_variables(function: str) -> frozenset[str]:
    """The variables naming the app's tables that the emulator's `function` gets."""
    return frozenset(
        table.variable
        for table in APP_TABLES
        if function in {EMULATOR_NAMES[name] for name in table.functions}
    )


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the emulator's name for it: "http", "worker", "websocket", "stream"
    handler: str  # the Lambda handler string of the template
    timeout_seconds: int
    memory_mb: int
    # Environment variable names the stack sets (values are filled by the emulator).
    environment: frozenset[str] = field(default_factory=frozenset)


HTTP = FunctionSpec(
    "http",
    "handler.lambda_http.handler",
    timeout_seconds=29,
    memory_mb=1024,
    environment=frozenset(
        {
            *BASE_ENVIRONMENT,
            STAGE_VARIABLE,
            "REDIS_URL",
            "TASK_QUEUE_URL",
            "TASK_MAX_MESSAGE_BYTES",
            "CHAT_WEBSOCKET_URL",
            "CURSOR_SECRET",
            *AUTH_ENVIRONMENT,
            *app_table_variables("http"),
        }
    ),
)
WORKER = FunctionSpec(
    "worker",
    "handler.lambda_worker.handler",
    timeout_seconds=60,
    memory_mb=512,
    environment=frozenset(
        {
            *BASE_ENVIRONMENT,
            STAGE_VARIABLE,
            "CONNECTIONS_TABLE",
            "SUBSCRIPTIONS_TABLE",
            "WS_CALLBACK_URL",
            "TASK_DLQ_URL",
            "IDEMPOTENCY_TABLE",
            *app_table_variables("worker"),
        }
    ),
)
WEBSOCKET = FunctionSpec(
    "websocket",
    "handler.lambda_ws.handler",
    timeout_seconds=29,
    memory_mb=512,
    environment=frozenset(
        {
            *BASE_ENVIRONMENT,
            STAGE_VARIABLE,
            "CONNECTIONS_TABLE",
            "SUBSCRIPTIONS_TABLE",
            "WS_CALLBACK_URL",
            *AUTH_ENVIRONMENT,
            *app_table_variables("websocket"),
        }
    ),
)
STREAM = FunctionSpec(
    "stream",
    "handler/run_stream.sh",
    timeout_seconds=300,
    memory_mb=1024,
    environment=frozenset(
        {
            *BASE_ENVIRONMENT,
            STAGE_VARIABLE,
            "PORT",
            "AWS_LAMBDA_EXEC_WRAPPER",
            "AWS_LWA_INVOKE_MODE",
            "AWS_LWA_PORT",
            "AWS_LWA_READINESS_CHECK_PATH",
            "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS",
            *app_table_variables("stream"),
        }
    ),
)
FUNCTIONS = (HTTP, WORKER, WEBSOCKET, STREAM)


@dataclass(frozen=True)
class QueueSpec:
    """The task queue, its dead-letter queue, and the worker's event source mapping."""

    batch_size: int = 10
    batching_window_seconds: int = 2
    max_concurrency: int = 10
    visibility_timeout_seconds: int = 6 * 60 + 2  # 6 x the worker's timeout + the window
    max_receive_count: int = 5
    max_message_bytes: int = 1_048_576
    report_batch_item_failures: bool = True


TASK_QUEUE = QueueSpec()


@dataclass(frozen=True)
class TableSpec:
    name: str  # the emulator's table name
    partition_key: str  # a string (S) attribute, as every key here
    ttl_attribute: str | None = None  # None: rows never expire
    sort_key: str | None = None
    index: tuple[str, str] | None = None  # one GSI: (name, partition key), ALL projected


def app_table_spec(table: AppTable) -> TableSpec:
    return TableSpec(table.name, table.partition_key, table.ttl_attribute)


CONNECTIONS_TABLE = TableSpec("connections", partition_key="connectionId", ttl_attribute="ttl")
IDEMPOTENCY_TABLE = TableSpec("idempotency", partition_key="id", ttl_attribute="expiration")
# GraphQL subscriptions (infra/websockets.py): sessions and subscriptions, read by topic.
SUBSCRIPTIONS_TABLE = TableSpec(
    "subscriptions",
    partition_key="connectionId",
    ttl_attribute="ttl",
    sort_key="sk",
    index=("byTopic", "topic"),
)
# tables.toml: the app's tables, each with the variable that names it.
APP_TABLE_SPECS = {table.variable: app_table_spec(table) for table in APP_TABLES}
# users, their email items and the id counter, all under `pk`.
USERS_TABLE = APP_TABLE_SPECS["USERS_TABLE"]
TABLES = (
    CONNECTIONS_TABLE,
    SUBSCRIPTIONS_TABLE,
    IDEMPOTENCY_TABLE,
    *APP_TABLE_SPECS.values(),
)


@dataclass(frozen=True)
class PasswordPolicySpec:
    min_length: int = 12
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_digits: bool = True
    require_symbols: bool = True
    temporary_password_days: int = 3


@dataclass(frozen=True)
class UserPoolSpec:
    """infra/identity.py: users sign in with their email, an operator creates them, the
    client has no secret and the password and SRP flows, `admin` makes admins."""

    admin_group: str = "admin"
    self_sign_up: bool = False
    username_attributes: tuple[str, ...] = ("email",)
    password_policy: PasswordPolicySpec = field(default_factory=PasswordPolicySpec)
    auth_flows: tuple[str, ...] = (
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    )


USER_POOL = UserPoolSpec()

# The HTTP API's WebSocket and payload limits the gateways enforce.
HTTP_API_MAX_REQUEST_BYTES = 10 * 1024 * 1024
LAMBDA_MAX_RESPONSE_BYTES = 6 * 1024 * 1024
HTTP_API_INTEGRATION_TIMEOUT_SECONDS = 30
WEBSOCKET_MAX_MESSAGE_BYTES = 128 * 1024
WEBSOCKET_FRAME_BYTES = 32 * 1024
WEBSOCKET_IDLE_SECONDS = 10 * 60
WEBSOCKET_MAX_CONNECTION_SECONDS = 2 * 60 * 60
