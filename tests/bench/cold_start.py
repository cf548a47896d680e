"""Cold start to the first answer of `GET /api/v1/users`: a fresh process imports the
entry and answers one HTTP API event, with the environment the stack gives the HTTP
function (read from the synthesized template, `deployed_env`), its users table in a moto
server (created as the stack creates it, holding the two seed users).

Measured against, in turn (load on the shared machine lands on all):
- a bare FastAPI + Mangum + boto3 app reading the same table with a scan and answering
  the same body through the same-shaped response model (its client built at import, as
  such apps do);
- a bare FastAPI + Mangum hello at the same path (the figure of issue 12).

Placeholders stand for what cannot be reached here: Redis (a closed port on loopback:
refused at once, the cache answers BYPASS), the queue (nothing is queued on a GET).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.bench.common import ratio, record, show, spread
from tests.bench.deployed_env import http_environment
from tests.support.events import http_event
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
RUNS = 11
FIRST_ANSWER = """
import json, sys, time
event = json.loads(sys.argv[1])
t = time.perf_counter()
{body}
answer = handler(event, Context())
assert answer["statusCode"] == 200, answer
print("SECONDS", time.perf_counter() - t, flush=True)
print("BODY", answer["body"], flush=True)
"""
OURS = "from handler.lambda_http import handler"
HELLO = """
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/api/v1/users")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
handler = Mangum(app)
"""
BARE_USERS = """
import os
import boto3
from fastapi import FastAPI, Query
from mangum import Mangum
from pydantic import BaseModel
class UserView(BaseModel):
    id: int
    name: str
    age: int
    version: int
    owner: str | None = None
class UsersV1(BaseModel):
    version: str = "1"
    users: list[UserView]
TABLE = os.environ["USERS_TABLE"]
dynamodb = boto3.client("dynamodb")
app = FastAPI()
@app.get("/api/v1/users")
def list_users(limit: int = Query(20, ge=1, le=100)) -> UsersV1:
    items = dynamodb.scan(
        TableName=TABLE,
        FilterExpression="begins_with(pk, :user)",
        ExpressionAttributeValues={":user": {"S": "USER#"}},
        ConsistentRead=True,
    )["Items"]
    users = [
        UserView(
            id=int(item["id"]["N"]),
            name=item["name"]["S"],
            age=int(item["age"]["N"]),
            version=int(item["version"]["N"]),
            owner=item["owner"]["S"] if "owner" in item else None,
        )
        for item in items
    ]
    return UsersV1(users=sorted(users, key=lambda user: user.id)[:limit])
handler = Mangum(app, lifespan="off")
"""
# A context as Lambda passes it (tests.support.events would add its imports to ours).
CONTEXT = """
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "stream"
    def get_remaining_time_in_millis(self) -> int:
        return 29_000
"""


@contextmanager
def users_in_moto() -> Iterator[dict[str, str]]:
    """A moto server holding the users table of the stack's environment, seeded; yields
    that environment pointed at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server._port}"
        environment = http_environment(
            {"AWS_ENDPOINT_URL": endpoint, "REDIS_URL": f"rediss://127.0.0.1:{free_port()}"}
        )
        _seed(environment)
        yield environment
    finally:
        server.stop()


def _seed(environment: dict[str, str]) -> None:
    import boto3

    from handler.api.users.dynamodb_users import DynamoDBUserStore
    from handler.api.users.memory_users import SEED

    region, endpoint = environment["AWS_REGION"], environment["AWS_ENDPOINT_URL"]
    client = boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    table = environment["USERS_TABLE"]
    # As infra/ creates it: one partition key `pk` (S), on demand.
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = DynamoDBUserStore(table, client=client)

    async def create() -> None:
        for new in SEED:
            await store.create(new)

    asyncio.run(create())


def first_answer(body: str, event: str, environment: dict[str, str]) -> tuple[float, str]:
    script = CONTEXT + FIRST_ANSWER.format(body=textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, "-c", script, event],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"first answer failed: {done.stderr[-2000:]}")
    lines = done.stdout.splitlines()
    seconds = next(line for line in lines if line.startswith("SECONDS "))
    answer = next(line for line in lines if line.startswith("BODY "))
    return float(seconds.split()[1]), answer.removeprefix("BODY ")


def main() -> None:
    event = json.dumps(http_event("http_api_v2", path="/api/v1/users"))
    apps = {"ours": OURS, "bare users": BARE_USERS, "bare hello": HELLO}
    with users_in_moto() as environment:
        bodies = {name: first_answer(body, event, environment)[1] for name, body in apps.items()}
        assert json.loads(bodies["ours"]) == json.loads(bodies["bare users"]), bodies
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(RUNS):
            for name, body in apps.items():
                samples[name].append(first_answer(body, event, environment)[0])
    t = {name: statistics.median(values) for name, values in samples.items()}
    show("first GET /api/v1/users, bare hello (FastAPI + Mangum)", t["bare hello"], "ms")
    show(
        "first GET /api/v1/users, bare FastAPI + Mangum + boto3",
        t["bare users"],
        "ms",
        spread(samples["bare users"]),
    )
    ours = "first GET /api/v1/users, lambda_http (stack env)"
    show(ours, t["ours"], "ms", spread(samples["ours"]))
    ratio("ours / bare FastAPI + Mangum + boto3", t["ours"] / t["bare users"], "target <= 1.3")
    ratio("ours / bare hello", t["ours"] / t["bare hello"])
    panel = "cold start to first answer (ms)"
    record(panel, "bare FastAPI + Mangum hello", t["bare hello"] * 1e3)
    record(panel, "bare FastAPI + Mangum + boto3", t["bare users"] * 1e3)
    record(panel, "handler.lambda_http", t["ours"] * 1e3)
