"""`python -m tests.support.snapstart`: a SnapStart life cycle in one process tree.

Lambda snapshots a microVM; a fork is the closest a test gets. This process runs the init
of `handler.lambda_http` as the environment tells it (`AWS_LAMBDA_INITIALIZATION_TYPE`),
opens the app's own sockets (a cached route reaches Redis, the app's SQS client reaches
SQS) as an init that talked to them would, notes the Redis ones, runs the before-snapshot
hooks the way the Lambda runtime does (last registered first), then forks RESTORES
"restored" environments. Each runs the after-restore hooks (first registered first) and serves
requests. It prints `RESULT {json}`: what was imported at init, the sockets held before
and after the hooks, and each restored environment's random value, statuses and sockets.
Run with `--no-snapshot` it only reports what the init imported.

Threads do not survive a fork (they do survive a snapshot), so nothing here starts one
before forking; and a fork reseeds `random` where a snapshot would not, so each child
first puts back the state from before the fork.
"""

from __future__ import annotations

import json
import os
import random
import sys
from typing import Any

RESTORES = 2
HEAVY = ("strawberry", "limits", "redis", "boto3", "jwt", "cryptography")


def tcp_sockets(ports: set[int]) -> dict[int, int]:
    """This process's established TCP sockets to one of `ports`: socket inode -> port."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                port, state, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3], fields[9]
                if int(inode) in inodes and state == "01" and port in ports:
                    found[int(inode)] = port
    return found


def _invoke(
    handler: Any, method: str, path: str, query: list[tuple[str, str]], body: str | None = None
) -> int:
    from handler.composition import development_issuer
    from handler.settings import get_settings
    from tests.support.events import LambdaContext, http_event

    headers = {"content-type": "application/json"} if body else {}
    if method == "POST":  # a write: signed in (the development issuer, ENVIRONMENT=test)
        token = development_issuer(get_settings()).issue("snap")
        headers["authorization"] = f"Bearer {token}"
    event = http_event(
        "http_api_v2", method=method, path=path, query=query, headers=headers, body=body
    )
    status: int = handler(event, LambdaContext())["statusCode"]
    return status


def _restored(handler: Any, ports: set[int], write: int, snapshot: Any) -> None:
    from snapshot_restore_py import get_after_restore  # type: ignore[import-untyped]

    # A fork reseeds `random` in the child (os.register_at_fork); a restored snapshot
    # does not: put back the state the snapshot would hold.
    random.setstate(snapshot)
    for hook, args, kwargs in get_after_restore():
        hook(*args, **kwargs)
    drawn = random.random()
    statuses = [
        _invoke(handler, "GET", "/api/v1/users", []),
        _invoke(handler, "GET", "/cached", []),
        _invoke(handler, "POST", "/send-notification/", [("email", "a@example.com")]),
        _invoke(handler, "POST", "/graphql", [], '{"query": "{ user(id: 1) { name } }"}'),
    ]
    report = {"random": drawn, "statuses": statuses, "sockets": tcp_sockets(ports)}
    os.write(write, json.dumps(report).encode())
    os._exit(0)


def main(argv: list[str]) -> None:
    import handler.lambda_http as entry

    imported = {name: name in sys.modules for name in HEAVY}
    if "--no-snapshot" in argv:
        print("RESULT " + json.dumps({"imported": imported}), flush=True)
        return
    from snapshot_restore_py import get_before_snapshot

    from handler.platform.aws.clients import INTERACTIVE, aws_client
    from handler.settings import get_settings

    settings = get_settings()
    ports = {int(settings.redis_url.rsplit(":", 1)[1].split("/")[0])}
    assert _invoke(entry.handler, "GET", "/cached", []) == 200
    # The app's own SQS client (the one the queue uses), called as an init might.
    sqs = aws_client("sqs", endpoint_url=settings.aws_endpoint_url, **INTERACTIVE)
    sqs.get_queue_attributes(QueueUrl=settings.task_queue_url)
    before = tcp_sockets(ports)
    for hook, args, kwargs in reversed(get_before_snapshot()):
        hook(*args, **kwargs)
    after_hooks = tcp_sockets(ports)
    restored = []
    snapshot = random.getstate()
    for _ in range(RESTORES):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            _restored(entry.handler, ports, write, snapshot)
        os.close(write)
        with os.fdopen(read) as pipe:
            restored.append(json.loads(pipe.read() or "null"))
        os.waitpid(pid, 0)
    result = {
        "imported": imported,
        "ports": sorted(ports),
        "before_hooks": before,
        "after_hooks": after_hooks,
        "restored": restored,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
