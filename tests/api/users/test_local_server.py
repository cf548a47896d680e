"""The users flow through `python -m local` (real uvicorn, memory backends): a create over
HTTP, the announcement on a chat socket, the welcome email in the server's log, and the
user read back over GraphQL."""

from __future__ import annotations

import asyncio

import httpx
from websockets.asyncio.client import connect

from tests.support.processes import PYTHON, child_env, serving
from tests.support.servers import free_port


def test_a_user_created_over_http_is_announced_emailed_and_readable() -> None:
    port = free_port()
    env = child_env(drop=("REDIS_", "TASK_", "AWS_", "USERS_", "CURSOR_"), PORT=str(port))
    with serving([PYTHON, "-m", "local"], port=port, env=env) as server:

        async def scenario() -> tuple[httpx.Response, str]:
            async with connect(f"ws://127.0.0.1:{port}/ws/7") as chat:
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                    body = {"name": "Gary", "email": "gary@example.com", "age": 4}
                    created = await http.post("/api/v2/users", json=body)
                async with asyncio.timeout(10):
                    return created, str(await chat.recv())

        created, announced = asyncio.run(scenario())
        assert created.status_code == 201
        assert announced == "Announcement: User Gary joined"
        query = f"{{ user(id: {created.json()['id']}) {{ name email age }} }}"
        read = httpx.post(f"{server.url}/graphql", json={"query": query}, timeout=10)
        assert read.json() == {
            "data": {"user": {"name": "Gary", "email": "gary@example.com", "age": 4}}
        }
    assert "email to gary@example.com: Welcome, Gary!" in server.output
