"""The users flow through `python -m local` (real uvicorn, memory backends), as a new user
tries it: tokens from `python -m local token`, a create over HTTP, the announcement on a
chat socket, the welcome email in the server's log, the user read back over GraphQL
(its email for its owner only), and another user's delete refused."""

from __future__ import annotations

import asyncio
import subprocess

import httpx
from websockets.asyncio.client import connect

from tests.support.processes import PYTHON, child_env, serving
from tests.support.servers import free_port


def token(env: dict[str, str], subject: str) -> str:
    command = [PYTHON, "-m", "local", "token", "--sub", subject]
    return subprocess.run(
        command, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_a_user_created_over_http_is_announced_emailed_and_readable() -> None:
    port = free_port()
    env = child_env(drop=("REDIS_", "TASK_", "AWS_", "USERS_", "CURSOR_"), PORT=str(port))
    alice = {"Authorization": f"Bearer {token(env, 'alice')}"}
    bob = {"Authorization": f"Bearer {token(env, 'bob')}"}
    with serving([PYTHON, "-m", "local"], port=port, env=env) as server:

        async def scenario() -> tuple[httpx.Response, str]:
            chat_token = token(env, "carol")
            async with connect(f"ws://127.0.0.1:{port}/ws?token={chat_token}") as chat:
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                    body = {"name": "Gary", "email": "gary@example.com", "age": 4}
                    assert (await http.post("/api/v2/users", json=body)).status_code == 401
                    created = await http.post("/api/v2/users", json=body, headers=alice)
                async with asyncio.timeout(10):
                    return created, str(await chat.recv())

        created, announced = asyncio.run(scenario())
        assert created.status_code == 201
        assert announced == "Announcement: User Gary joined"
        path = f"{server.url}/api/v2/users/{created.json()['id']}"
        query = f"{{ user(id: {created.json()['id']}) {{ name email age owner }} }}"
        read = httpx.post(f"{server.url}/graphql", json={"query": query}, headers=alice)
        assert read.json() == {
            "data": {
                "user": {"name": "Gary", "email": "gary@example.com", "age": 4, "owner": "alice"}
            }
        }
        anonymous = httpx.post(f"{server.url}/graphql", json={"query": query})
        assert anonymous.json()["data"]["user"]["email"] is None
        refused = httpx.delete(path, headers=bob)
        assert refused.status_code == 403
        assert refused.json()["error"] == "Forbidden"
        assert httpx.delete(path, headers=alice).status_code == 204
    assert "email to gary@example.com: Welcome, Gary!" in server.output
