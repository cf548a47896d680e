"""The HTTP function's environment as the stack gives it: read from the synthesized
template (`infra.app.build_app`, the stub asset: no bundling), so a cold-start bench
cannot drift from the stack.

Synthesis starts node through jsii (seconds), so the template is cached under `.bench/`,
keyed by a hash of `infra/`. Values the template computes at deploy time (a `Ref`, a
`Fn::GetAtt`: the queue's URL, the cache's endpoint) cannot be reached here: each becomes
a placeholder, or what the caller passes for it (`resolved`, e.g. a moto queue URL).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from typing import Any

from tests.support.processes import ROOT

CACHE = ROOT / ".bench"
HTTP_HANDLER = "handler.lambda_http.handler"
# What a deployed environment has that the template does not say (Lambda sets these).
LAMBDA_RUNTIME = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench-http",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
# Placeholders for what only a deployment knows; nothing connects to them on a GET.
PLACEHOLDERS = {
    "REDIS_URL": "rediss://cache.example.invalid:6379",
    "TASK_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/bench-tasks",
    "TASK_DLQ_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/bench-dlq",
}
_SYNTH = """
import json, sys, tempfile
from infra.app import build_app
with tempfile.TemporaryDirectory() as out:
    _app, stack = build_app(context={"bundle": "stub"}, outdir=out)
    template = _app.synth().get_stack_by_name(stack.stack_name).template
print("TEMPLATE " + json.dumps(template))
"""


def http_environment(resolved: dict[str, str] | None = None) -> dict[str, str]:
    """The HTTP function's variables (placeholders for computed values; `resolved`
    overrides any of them) plus what the Lambda runtime sets."""
    variables = _http_function(template())["Environment"]["Variables"]
    environment = dict(LAMBDA_RUNTIME)
    for name, value in variables.items():
        environment[name] = PLACEHOLDERS.get(name) or _resolve(name, value)
    environment.update(resolved or {})
    return environment


def template() -> dict[str, Any]:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "infra").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    cached = CACHE / f"template-{digest.hexdigest()[:16]}.json"
    if not cached.exists():
        done = subprocess.run(
            [sys.executable, "-c", _SYNTH],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        line = next(x for x in done.stdout.splitlines() if x.startswith("TEMPLATE "))
        CACHE.mkdir(exist_ok=True)
        cached.write_text(line.removeprefix("TEMPLATE "))
    data: dict[str, Any] = json.loads(cached.read_text())
    return data


def _http_function(template: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and resource["Properties"].get("Handler") == HTTP_HANDLER
    ]
    (props,) = found
    return props


def _resolve(name: str, value: Any) -> str:
    """A template value as text: strings kept, the region and URL suffix as a deployment
    in eu-west-1 has them, any other reference a placeholder, a secret a long one."""
    if isinstance(value, str):
        if "{{resolve:secretsmanager:" in value:
            return "bench-secret-" + "x" * 51  # a secret's value: long enough for any check
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return _resolve(name, separator.join(_part(part) for part in parts))
    if name.endswith("_TABLE"):
        return f"bench-{name.removesuffix('_TABLE').lower()}"
    return f"bench-{name.lower()}"


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part
    pseudo = {"AWS::Region": LAMBDA_RUNTIME["AWS_REGION"], "AWS::URLSuffix": "amazonaws.com"}
    if isinstance(part, dict) and part.get("Ref") in pseudo:
        return pseudo[part["Ref"]]
    return "bench"
