"""The emulator's answer to `cdk deploy --outputs-file`: the stack's output names, plus
the local extras (moto's endpoint, the queue URLs, the region)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from infra.app_tables import APP_TABLES
from local.aws import topology
from local.aws.moto_server import Resources


@dataclass(frozen=True)
class Outputs:
    """`cdk deploy --outputs-file` names, plus the local extras."""

    http_url: str
    websocket_url: str
    websocket_callback_url: str
    stream_url: str
    resources: Resources
    stack_name: str = topology.STACK_NAME

    def as_cdk_outputs(self) -> dict[str, dict[str, str]]:
        return {
            self.stack_name: {
                "HttpUrl": self.http_url,
                "WebSocketUrl": self.websocket_url,
                "WebSocketCallbackUrl": self.websocket_callback_url,
                "StreamUrl": self.stream_url,
                "ConnectionsTableName": self.resources.table(topology.CONNECTIONS_TABLE),
                **{table.output_name: self.resources.tables[table.name] for table in APP_TABLES},
                "TaskQueueName": self.resources.task_queue_name,
                "TaskDlqName": self.resources.task_dlq_name,
                "UserPoolId": self.resources.user_pool.pool_id,
                "UserPoolClientId": self.resources.user_pool.client_id,
                "AwsEndpointUrl": self.resources.endpoint_url,
                "TaskQueueUrl": self.resources.task_queue_url,
                "TaskDlqUrl": self.resources.task_dlq_url,
                "Region": self.resources.region,
            }
        }


def write_outputs(outputs: Outputs, path: Path) -> None:
    """Written whole or not at all (a reader polls for the file to appear)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(outputs.as_cdk_outputs(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
