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

from tests.e2e.conftest import Users
from tests.support.browser import chromium
from tests.support.cognito import SignedIn
from tests.support.servers import handshake_refusal
from tests.support.stack import Stack

if TYPE_CHECKING:
    from collections.abc import Callable

WAIT = 20.0  # seconds: a task crosses SQS, a batching window and a cold worker


def client_url(stack: Stack, user: SignedIn) -> str:
    """The chat, signed in as `user` (its access token on the URL, the scripts' form)."""
    return f"{stack['WebSocketUrl']}?token={user.access_token}"


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


def test_two_clients_chat_through_the_websocket_api(stack: Stack, users: Users) -> None:
    alice, bob = users.alice, users.bob
    expected = f"Client {alice.subject}: hello over API Gateway"

    async def scenario() -> list[str]:
        async with connect(client_url(stack, alice)) as one, connect(client_url(stack, bob)) as two:
            await one.send("hello over API Gateway")
            return [await received(ws, expected.__eq__) for ws in (one, two)]

    assert asyncio.run(scenario()) == [expected] * 2


def test_a_connect_without_an_access_token_is_refused_401(stack: Stack, users: Users) -> None:
    url = stack["WebSocketUrl"]
    assert handshake_refusal(url) == 401
    assert handshake_refusal(f"{url}?client_id=1") == 401
    assert handshake_refusal(f"{url}?token={users.alice.id_token}") == 401, "an ID token"
    assert handshake_refusal(f"{url}?token={users.alice.access_token[:-4]}AAAA") == 401


def test_a_token_in_the_bearer_subprotocol_opens_the_chat(stack: Stack, users: Users) -> None:
    bob = users.bob

    async def scenario() -> tuple[str | None, str]:
        protocols: Any = ["chat", f"bearer.{bob.access_token}"]
        async with connect(stack["WebSocketUrl"], subprotocols=protocols) as ws:
            await ws.send("via the subprotocol")
            expected = f"Client {bob.subject}: via the subprotocol"
            return ws.subprotocol, await received(ws, expected.__eq__)

    protocol, text = asyncio.run(scenario())
    assert (protocol, text) == ("chat", f"Client {bob.subject}: via the subprotocol")


def test_an_announcement_crosses_sqs_and_the_worker_to_every_socket(
    stack: Stack, users: Users
) -> None:
    text = f"deploy {uuid.uuid4().hex[:8]}"
    one_url, two_url = client_url(stack, users.alice), client_url(stack, users.bob)

    async def scenario() -> tuple[list[str], float]:
        async with connect(one_url) as one, connect(two_url) as two:
            started = time.perf_counter()
            async with httpx.AsyncClient(timeout=WAIT) as http:
                answer = await http.post(
                    f"{stack['HttpUrl']}api/v2/announcements",
                    json={"text": text},
                    headers=users.admin.headers,
                )
            assert answer.status_code == 202
            wanted = f"Announcement: {text}"
            got = [await received(ws, wanted.__eq__) for ws in (one, two)]
            return got, time.perf_counter() - started

    got, seconds = asyncio.run(scenario())
    assert got == [f"Announcement: {text}"] * 2
    print(f"announcement: HTTP 202 to both sockets in {seconds:.2f} s")


def test_a_task_runs_once_on_the_worker(stack: Stack, users: Users) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    started = time.perf_counter()
    answer = httpx.post(
        f"{stack['HttpUrl']}send-notification/",
        params={"email": email},
        headers=users.alice.headers,
        timeout=WAIT,
    )
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


def test_a_user_is_stored_announced_welcomed_and_read_over_graphql(
    stack: Stack, users: Users
) -> None:
    name = f"E2e{uuid.uuid4().hex[:8]}"
    email = f"{name.lower()}@example.com"
    alice = users.alice.headers
    collection = f"{stack['HttpUrl']}api/v2/users"

    async def scenario() -> dict[str, Any]:
        async with connect(client_url(stack, users.bob)) as ws:
            async with httpx.AsyncClient(timeout=WAIT) as http:
                created = await http.post(
                    collection, json={"name": name, "email": email, "age": 4}, headers=alice
                )
            assert created.status_code == 201, created.text
            wanted = f"Announcement: User {name} joined"
            assert await received(ws, wanted.__eq__) == wanted
            return dict(created.json())

    user = asyncio.run(scenario())
    query = f"{{ user(id: {user['id']}) {{ name email age version }} }}"
    # The owner reads the email; anyone else gets null.
    read = httpx.post(
        f"{stack['HttpUrl']}graphql", json={"query": query}, headers=alice, timeout=WAIT
    )
    assert read.json() == {"data": {"user": {"name": name, "email": email, "age": 4, "version": 1}}}
    if stack.emulated:
        assert stack.logged(f"email to {email}: Welcome, {name}!"), "the worker sent it"
    one = f"{collection}/{user['id']}"
    duplicate = httpx.post(
        collection, json={"name": "x", "email": email.upper(), "age": 1}, headers=alice
    )
    assert duplicate.status_code == 409
    changed = httpx.patch(one, json={"age": 5}, headers={**alice, "if-match": '"1"'}, timeout=WAIT)
    assert (changed.status_code, changed.headers["etag"]) == (200, '"2"')
    stale = httpx.patch(one, json={"age": 6}, headers={**alice, "if-match": '"1"'}, timeout=WAIT)
    assert stale.status_code == 412
    gone_answer = httpx.delete(one, headers={**alice, "if-match": '"2"'}, timeout=WAIT)
    assert gone_answer.status_code == 204
    gone = httpx.post(f"{stack['HttpUrl']}graphql", json={"query": query}, timeout=WAIT)
    assert gone.json() == {"data": {"user": None}}


def connection_id_of(stack: Stack, client_id: str) -> str:
    """The API Gateway connection id of the (only) open connection of `client_id` (the
    subject it signed in as)."""
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


def test_connections_api_gets_posts_and_deletes(stack: Stack, users: Users) -> None:
    carol = users.new("carol")  # her own subject: her only connection is this one
    client_id = carol.subject
    callback = stack.client("apigatewaymanagementapi", endpoint_url=stack["WebSocketCallbackUrl"])

    async def scenario() -> None:
        async with connect(client_url(stack, carol)) as ws:
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
def test_the_chat_page_works_in_two_browsers(stack: Stack, users: Users) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    alice, bob = users.alice, users.bob
    with chromium() as browser:
        one, two = browser.new_page(), browser.new_page()
        # Outside development the page asks for an access token (docs/auth.md).
        for page, user in ((one, alice), (two, bob)):
            page.goto(f"{stack['HttpUrl']}chat")
            page.fill("input[name=token]", user.access_token)
            page.click("#join button")
            expect(page.locator("#status")).to_have_text(f"connected as {user.subject}")
        one.fill("input[name=text]", "hello through the gateway")
        one.press("input[name=text]", "Enter")
        expected = [f"Client {alice.subject}: hello through the gateway"]
        expect(two.locator("#messages li")).to_have_text(expected)


def test_who_may_do_what_through_the_gateway(stack: Stack, users: Users) -> None:
    """The contract's table, rule by rule, with the user pool's tokens."""
    base = stack["HttpUrl"]
    alice, bob, admin = users.alice, users.bob, users.admin
    collection = f"{base}api/v2/users"
    body = {"name": "Owned", "email": f"owned-{uuid.uuid4().hex[:8]}@example.com", "age": 3}

    with httpx.Client(timeout=WAIT) as http:
        assert http.get(collection).status_code == 200, "anyone reads"
        anonymous = http.post(collection, json=body)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        # An ID token is not an access token: refused, and the client is told so.
        with_id_token = http.post(
            collection, json=body, headers={"Authorization": f"Bearer {alice.id_token}"}
        )
        assert with_id_token.status_code == 401
        assert 'error="invalid_token"' in with_id_token.headers["www-authenticate"]

        created = http.post(collection, json=body, headers=alice.headers)
        assert created.status_code == 201, created.text
        assert created.json()["owner"] == alice.subject
        one = f"{collection}/{created.json()['id']}"
        assert "email" not in http.get(one).json(), "emails are for the owner and admins"
        assert http.get(one, headers=alice.headers).json()["email"] == body["email"]

        first, second = {"if-match": '"1"'}, {"if-match": '"2"'}
        assert http.patch(one, json={"age": 4}, headers=bob.headers | first).status_code == 403
        assert http.delete(one, headers=bob.headers | first).status_code == 403
        changed = http.patch(one, json={"age": 5}, headers=admin.headers | first)
        assert changed.status_code == 200
        assert http.delete(one, headers=admin.headers | second).status_code == 204

        announcement = {"text": "admins only"}
        announcements = f"{base}api/v2/announcements"
        assert http.post(announcements, json=announcement).status_code == 401
        assert http.post(announcements, json=announcement, headers=bob.headers).status_code == 403
        answer = http.post(announcements, json=announcement, headers=admin.headers)
        assert answer.status_code == 202

        email = f"gq-{uuid.uuid4().hex[:8]}@example.com"
        mutation = f'mutation {{ createUser(name: "Gq", email: "{email}", age: 1) {{ id owner }} }}'
        refused = http.post(f"{base}graphql", json={"query": mutation}).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        made = http.post(f"{base}graphql", json={"query": mutation}, headers=bob.headers).json()
        assert made["data"]["createUser"]["owner"] == bob.subject
        query = "{ user(id: 1) { name } }"
        assert http.post(f"{base}graphql", json={"query": query}).status_code == 200
