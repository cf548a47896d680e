"""The deployed system as one whole: API Gateway HTTP -> lambda_http -> SQS -> lambda_worker
-> DynamoDB -> @connections -> WebSocket clients, plus the stream URL and the chat page.

Runs against the emulator in `make test`; after `cdk deploy --outputs-file out.json`,
`E2E_OUTPUTS=out.json pytest tests/e2e` runs the same tests against AWS.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.browser import chromium
from tests.support.stack import Stack

if TYPE_CHECKING:
    from collections.abc import Callable

WAIT = 20.0  # seconds: a task crosses SQS, a batching window and a cold worker


def client_url(stack: Stack, client_id: int | str) -> str:
    return f"{stack['WebSocketUrl']}?client_id={client_id}"


async def received(ws: ClientConnection, match: Callable[[str], bool]) -> str:
    """The first message `match` accepts (others, such as chat echoes, are skipped)."""
    async with asyncio.timeout(WAIT):
        while True:
            text = str(await ws.recv())
            if match(text):
                return text


def test_http_routes_answer_through_the_gateway(stack: Stack) -> None:
    base = stack["HttpUrl"]
    users = httpx.get(f"{base}api/v1/users", timeout=WAIT)
    assert users.status_code == 200
    assert users.json()["version"] == "1"
    assert float(users.headers["x-process-time"]) >= 0
    assert users.headers["apigw-requestid"] or not stack.emulated
    teapot = httpx.get(f"{base}unicorns/yolo", timeout=WAIT)
    assert (teapot.status_code, teapot.json()["error"]) == (418, "yolo")
    missing = httpx.get(f"{base}nope", timeout=WAIT)
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"
    docs = httpx.get(f"{base}docs", timeout=WAIT)
    assert docs.status_code == 200
    assert "openapi.json" in docs.text


def test_two_clients_chat_through_the_websocket_api(stack: Stack) -> None:
    async def scenario() -> list[str]:
        async with connect(client_url(stack, 1)) as one, connect(client_url(stack, 2)) as two:
            await one.send("hello over API Gateway")
            expected = "Client 1: hello over API Gateway"
            return [await received(ws, expected.__eq__) for ws in (one, two)]

    assert asyncio.run(scenario()) == ["Client 1: hello over API Gateway"] * 2


def test_an_announcement_crosses_sqs_and_the_worker_to_every_socket(stack: Stack) -> None:
    text = f"deploy {uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[list[str], float]:
        async with connect(client_url(stack, 3)) as one, connect(client_url(stack, 4)) as two:
            started = time.perf_counter()
            async with httpx.AsyncClient(timeout=WAIT) as http:
                answer = await http.post(
                    f"{stack['HttpUrl']}api/v2/announcements", json={"text": text}
                )
            assert answer.status_code == 202
            wanted = f"Announcement: {text}"
            got = [await received(ws, wanted.__eq__) for ws in (one, two)]
            return got, time.perf_counter() - started

    got, seconds = asyncio.run(scenario())
    assert got == [f"Announcement: {text}"] * 2
    print(f"announcement: HTTP 202 to both sockets in {seconds:.2f} s")


def test_a_task_runs_once_on_the_worker(stack: Stack) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    started = time.perf_counter()
    answer = httpx.post(f"{stack['HttpUrl']}send-notification/", params={"email": email})
    assert answer.status_code == 200
    task_id = answer.json()["task_id"]
    if not stack.emulated:
        pytest.skip("a deployed worker's log is in CloudWatch; the announcement test covers it")
    assert stack.logged(f"email to {email}"), "the worker ran send_email"
    assert stack.logged(f"task {task_id} (send_email) done")
    print(f"task: HTTP 200 to the worker's log in {time.perf_counter() - started:.2f} s")
    assert stack.log is not None
    assert stack.log.read_text().count(f"email to {email}") == 1


def test_a_poison_message_is_dead_lettered(stack: Stack) -> None:
    sqs = stack.client("sqs")
    body = json.dumps({"name": "no_such_task", "marker": uuid.uuid4().hex})
    sqs.send_message(QueueUrl=stack.queue_url("TaskQueueUrl"), MessageBody=body)
    dlq = stack.queue_url("TaskDlqUrl")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=dlq, WaitTimeSeconds=1, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for parked in messages:
            if parked["Body"] == body:
                reason = parked["MessageAttributes"]["reason"]["StringValue"]
                assert reason == "bad-envelope"
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=parked["ReceiptHandle"])
                return
    raise AssertionError("the poison message never reached the dead-letter queue")


def test_a_user_is_stored_announced_welcomed_and_read_over_graphql(stack: Stack) -> None:
    name = f"E2e{uuid.uuid4().hex[:8]}"
    email = f"{name.lower()}@example.com"
    users = f"{stack['HttpUrl']}api/v2/users"

    async def scenario() -> dict[str, Any]:
        async with connect(client_url(stack, 5)) as ws:
            async with httpx.AsyncClient(timeout=WAIT) as http:
                created = await http.post(users, json={"name": name, "email": email, "age": 4})
            assert created.status_code == 201, created.text
            wanted = f"Announcement: User {name} joined"
            assert await received(ws, wanted.__eq__) == wanted
            return dict(created.json())

    user = asyncio.run(scenario())
    query = f"{{ user(id: {user['id']}) {{ name email age version }} }}"
    read = httpx.post(f"{stack['HttpUrl']}graphql", json={"query": query}, timeout=WAIT)
    assert read.json() == {"data": {"user": {"name": name, "email": email, "age": 4, "version": 1}}}
    if stack.emulated:
        assert stack.logged(f"email to {email}: Welcome, {name}!"), "the worker sent it"
    one = f"{users}/{user['id']}"
    duplicate = httpx.post(users, json={"name": "x", "email": email.upper(), "age": 1})
    assert duplicate.status_code == 409
    changed = httpx.patch(one, json={"age": 5}, headers={"if-match": '"1"'}, timeout=WAIT)
    assert (changed.status_code, changed.headers["etag"]) == (200, '"2"')
    stale = httpx.patch(one, json={"age": 6}, headers={"if-match": '"1"'}, timeout=WAIT)
    assert stale.status_code == 412
    assert httpx.delete(one, headers={"if-match": '"2"'}, timeout=WAIT).status_code == 204
    gone = httpx.post(f"{stack['HttpUrl']}graphql", json={"query": query}, timeout=WAIT)
    assert gone.json() == {"data": {"user": None}}


def connection_id_of(stack: Stack, client_id: str) -> str:
    """The API Gateway connection id of the (only) open connection of `client_id`."""
    dynamodb = stack.client("dynamodb")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        items = dynamodb.scan(
            TableName=stack["ConnectionsTableName"],
            FilterExpression="clientId = :id AND attribute_not_exists(closedAt)",
            ExpressionAttributeValues={":id": {"S": client_id}},
        )["Items"]
        if items:
            return str(items[0]["connectionId"]["S"])
        time.sleep(0.1)
    raise AssertionError(f"no connection row for client {client_id}")


def test_connections_api_gets_posts_and_deletes(stack: Stack) -> None:
    client_id = str(int(time.time() * 1000) % 10**12)
    callback = stack.client("apigatewaymanagementapi", endpoint_url=stack["WebSocketCallbackUrl"])

    async def scenario() -> None:
        async with connect(client_url(stack, client_id)) as ws:
            connection_id = await asyncio.to_thread(connection_id_of, stack, client_id)
            about = await asyncio.to_thread(callback.get_connection, ConnectionId=connection_id)
            assert about["Identity"]["SourceIp"]
            assert about["ConnectedAt"] <= about["LastActiveAt"]
            await asyncio.to_thread(
                callback.post_to_connection, ConnectionId=connection_id, Data=b"direct"
            )
            assert await received(ws, "direct".__eq__) == "direct"
            await asyncio.to_thread(callback.delete_connection, ConnectionId=connection_id)
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(WAIT):
                    await ws.recv()
            with pytest.raises(callback.exceptions.GoneException):
                await asyncio.to_thread(
                    callback.post_to_connection, ConnectionId=connection_id, Data=b"too late"
                )

    asyncio.run(scenario())


def test_server_sent_events_arrive_one_by_one(stack: Stack) -> None:
    arrivals = []
    with httpx.stream("GET", f"{stack['StreamUrl']}stream", timeout=WAIT) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((line, time.perf_counter()))
            if len(arrivals) == 3:
                break
    assert [line for line, _ in arrivals] == ["data: 0", "data: 1", "data: 2"]
    # One event per second (STREAM_INTERVAL): buffered, all three would arrive together.
    assert arrivals[2][1] - arrivals[0][1] > 1.5


@pytest.mark.browser
def test_the_chat_page_works_in_two_browsers(stack: Stack) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    with chromium() as browser:
        one, two = browser.new_page(), browser.new_page()
        one.goto(f"{stack['HttpUrl']}chat?client=11")
        two.goto(f"{stack['HttpUrl']}chat?client=12")
        expect(one.locator("#status")).to_have_text("connected as client 11")
        expect(two.locator("#status")).to_have_text("connected as client 12")
        one.fill("input[name=text]", "hello through the gateway")
        one.press("input[name=text]", "Enter")
        expect(two.locator("#messages li")).to_have_text(["Client 11: hello through the gateway"])
