"""The stack's AWS services in moto server: the task queue, its dead-letter queue, the
tables and the user pool (local/aws/cognito.py), created with the keys and settings
infra/ gives them.

moto server (not an in-process `mock_aws`) because the functions run in their own
processes and reach it over HTTP through `AWS_ENDPOINT_URL`, as they reach AWS. It runs in
a thread of the emulator, on 127.0.0.1 only, with fake credentials.

The settings follow infra/tasks.py (queues), infra/websockets.py, infra/tables.py and
infra/users.py (tables); topology.py holds the numbers and
tests/infra/test_emulator_topology.py holds those against the synthesized template.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from local.aws.cognito import UserPool, create_user_pool
from local.aws.topology import REGION, STACK_NAME, TABLES, TASK_QUEUE, QueueSpec, TableSpec

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

# moto accepts any key pair; these names say it is not a real one.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# infra/tasks.py: the queue keeps messages 4 days, the dead-letter queue 14.
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class Resources:
    """What the stack's outputs and the functions' environments are made of."""

    endpoint_url: str
    region: str
    task_queue_name: str
    task_queue_url: str
    task_queue_arn: str
    task_dlq_name: str
    task_dlq_url: str
    task_dlq_arn: str
    tables: dict[str, str]  # TableSpec.name ("connections", "users", ...) -> table name
    user_pool: UserPool

    def table(self, spec: TableSpec) -> str:
        return self.tables[spec.name]


def sqs_client(endpoint_url: str, *, region: str = REGION, read_timeout: float = 30) -> SQSClient:
    """A client of moto's SQS with the fake credentials (this process's own AWS settings,
    profile or keys, are never used)."""
    return _client("sqs", endpoint_url, region, read_timeout)  # type: ignore[no-any-return]


def dynamodb_client(endpoint_url: str, *, region: str = REGION) -> DynamoDBClient:
    return _client("dynamodb", endpoint_url, region, 30)  # type: ignore[no-any-return]


def cognito_client(endpoint_url: str, *, region: str = REGION) -> CognitoIdentityProviderClient:
    return _client("cognito-idp", endpoint_url, region, 30)  # type: ignore[no-any-return]


def _client(service: str, endpoint_url: str, region: str, read_timeout: float) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=read_timeout, retries={"mode": "standard"})
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def create_resources(
    endpoint_url: str,
    *,
    queue: QueueSpec = TASK_QUEUE,
    tables: tuple[TableSpec, ...] = TABLES,
    prefix: str = STACK_NAME,
    region: str = REGION,
) -> Resources:
    """Create the queues and tables in the moto server at `endpoint_url`.

    `queue` may carry test values (a visibility timeout of 1 s); `prefix` keeps several
    sets apart in one server (moto's state is per process, not per server).
    """
    sqs = sqs_client(endpoint_url, region=region)
    dlq_name, queue_name = f"{prefix}-TaskDlq", f"{prefix}-TaskQueue"
    common: dict[QueueAttributeNameType, str] = {
        "MaximumMessageSize": str(queue.max_message_bytes),
        "SqsManagedSseEnabled": "true",
    }
    dlq_url = sqs.create_queue(
        QueueName=dlq_name,
        Attributes={**common, "MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)},
    )["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
    queue_url = sqs.create_queue(
        QueueName=queue_name,
        Attributes={
            **common,
            "MessageRetentionPeriod": str(QUEUE_RETENTION_SECONDS),
            "VisibilityTimeout": str(queue.visibility_timeout_seconds),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    dynamodb = dynamodb_client(endpoint_url, region=region)
    names = {spec.name: create_table(dynamodb, f"{prefix}-{spec.name}", spec) for spec in tables}
    user_pool = create_user_pool(
        cognito_client(endpoint_url, region=region),
        name=f"{prefix}-UserPool",
        endpoint_url=endpoint_url,
        region=region,
    )
    return Resources(
        endpoint_url=endpoint_url,
        region=region,
        task_queue_name=queue_name,
        task_queue_url=queue_url,
        task_queue_arn=_queue_arn(sqs, queue_url),
        task_dlq_name=dlq_name,
        task_dlq_url=dlq_url,
        task_dlq_arn=dlq_arn,
        tables=names,
        user_pool=user_pool,
    )


def _queue_arn(sqs: SQSClient, url: str) -> str:
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return answer["Attributes"]["QueueArn"]


def create_table(dynamodb: DynamoDBClient, name: str, spec: TableSpec) -> str:
    """As infra/ creates `spec` (tables.py `ttl_table`, `keyed_ttl_table`, users.py): on
    demand, string keys, the GSI when the spec has one, TTL when it has one,
    point-in-time recovery."""
    keys: list[tuple[str, Literal["HASH", "RANGE"]]] = [(spec.partition_key, "HASH")]
    if spec.sort_key:
        keys.append((spec.sort_key, "RANGE"))
    attributes = [key for key, _ in keys] + ([spec.index[1]] if spec.index else [])
    extra: dict[str, Any] = {}
    if spec.index is not None:
        index_name, index_key = spec.index
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index_name,
                "KeySchema": [{"AttributeName": index_key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    if spec.ttl_attribute is not None:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
    dynamodb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    return name


class MotoServices:
    """moto server on 127.0.0.1:`port` (0: a free port) holding the stack's resources.

    `with MotoServices() as resources:` or `start()` / `stop()`.
    """

    def __init__(
        self, *, port: int = 0, queue: QueueSpec = TASK_QUEUE, prefix: str = STACK_NAME
    ) -> None:
        self._port = port
        self._queue = queue
        self._prefix = prefix
        self._server: ThreadedMotoServer | None = None
        self.resources: Resources | None = None

    def start(self) -> Resources:
        from moto.server import ThreadedMotoServer

        # werkzeug logs every request (the functions' every SQS and DynamoDB call) at INFO:
        # noise in the emulator's output, where the functions' own lines belong.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        try:
            self.resources = create_resources(
                f"http://{host}:{port}", queue=self._queue, prefix=self._prefix
            )
        except BaseException:
            self.stop()
            raise
        return self.resources

    def stop(self) -> None:
        """Stop serving and free the port (requests in flight finish on their threads)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Resources:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
