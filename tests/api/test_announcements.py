"""`POST /api/v2/announcements` reaches every WebSocket client through a task."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient
from websockets.asyncio.client import connect

from handler import lambda_worker
from handler.composition import aws_hub
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings, get_settings
from tests.support.auth import bearer, socket_url
from tests.support.connections_api import ConnectionsApi
from tests.support.events import LambdaContext, http_event
from tests.support.servers import LiveServer
from tests.support.task_queues import REGION, Aws, sqs_event


def announcement(text: str, headers: dict[str, str]) -> dict[str, Any]:
    return http_event(
        "http_api_v2",
        method="POST",
        path="/api/v2/announcements",
        body=json.dumps({"text": text}),
        headers={"content-type": "application/json", **headers},
    )


def test_announcement_reaches_every_local_socket(
    live_server: LiveServer, settings: Settings
) -> None:
    admin = bearer(settings, "root", admin=True)

    async def scenario() -> list[str]:
        base = f"ws://127.0.0.1:{live_server.port}/ws"
        one_url, two_url = socket_url(base, settings, "1"), socket_url(base, settings, "2")
        async with connect(one_url) as one, connect(two_url) as two:
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"{live_server.url}/api/v2/announcements",
                    json={"text": "maintenance at 6"},
                    headers=admin,
                )
            assert response.status_code == 202
            assert response.json()["status"] == "queued"
            return [str(await asyncio.wait_for(ws.recv(), 10)) for ws in (one, two)]

    assert asyncio.run(scenario()) == ["Announcement: maintenance at 6"] * 2


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "x" * 4097}, {"words": "hi"}])
def test_invalid_announcements_are_refused(
    client: TestClient, settings: Settings, body: dict[str, str]
) -> None:
    admin = bearer(settings, "root", admin=True)
    assert client.post("/api/v2/announcements", json=body, headers=admin).status_code == 422


def test_only_an_admin_announces(client: TestClient, settings: Settings) -> None:
    body = {"text": "hi"}
    anonymous = client.post("/api/v2/announcements", json=body)
    signed_in = client.post("/api/v2/announcements", json=body, headers=bearer(settings, "bob"))

    assert (anonymous.status_code, signed_in.status_code) == (401, 403)


@pytest.mark.usefixtures("worker_env")
def test_announcement_through_both_lambdas_posts_to_every_connection(
    aws: Aws,
    sqs_lambda_handler: LambdaHttpAdapter,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    connections_api: ConnectionsApi,
) -> None:
    # Imported here: `connect` above is the WebSocket client's.
    from tests.support.websocket_api import TABLE, connect, create_connections_table, fresh, posted

    connections_api.reset(boto3.session.Session().get_credentials(), REGION)

    create_connections_table()
    monkeypatch.setenv("CONNECTIONS_TABLE", TABLE)
    monkeypatch.setenv("WS_CALLBACK_URL", connections_api.url)
    get_settings.cache_clear()
    aws_hub.cache_clear()
    # A worker environment starts with the stack's whole environment, WebSocket names included.
    lambda_worker.worker.cache_clear()
    from handler import lambda_ws

    for connection_id in ("conn-a=", "conn-b="):
        assert lambda_ws.handler(fresh(connect(connection_id)), lambda_context)["statusCode"] == 200

    admin = bearer(get_settings(), "root", admin=True)
    response = sqs_lambda_handler(announcement("deploy done", admin), lambda_context)
    assert response["statusCode"] == 202
    messages = aws.messages(aws.queue_url)
    assert [json.loads(m["Body"])["name"] for m in messages] == ["broadcast_announcement"]
    assert posted("conn-a=") == b"", "the HTTP function never posts itself"

    assert lambda_worker.handler(sqs_event(*messages), lambda_context) == {"batchItemFailures": []}
    assert posted("conn-a=") == b"Announcement: deploy done"
    assert posted("conn-b=") == b"Announcement: deploy done"
    aws_hub.cache_clear()
