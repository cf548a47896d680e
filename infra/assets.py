"""What each Lambda function's asset holds: the distributions its entry imports, with their
own dependencies, botocore's models of the AWS services the code calls, and `handler/`.

One asset per function, not one for all: the WebSocket function has no use for FastAPI,
the HTTP function none for a server, and a smaller zip deploys faster and starts sooner.
A function's `requirements` name the distributions its code imports (names from the
platform lock, extras allowed); what those require comes from the locked wheels' own
metadata, evaluated for Lambda's Python (`closure`). The bundler installs exactly those
entries of the lock, hash-checked (`lock_subset`), so every asset is still the lock.

Adding a dependency: add it to pyproject.toml, run `make lock`, and add its name to the
`requirements` of each function whose code imports it (synth stops while a runtime
dependency is in no function: `unclaimed`). Adding an AWS service: add its botocore
name to `AWS_SERVICES`. No aws_cdk import here (node-free, like infra.lock).
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from infra.lock import EXTRAS, TARGET_ENVIRONMENT, lock_entries, runtime_requirements


@dataclass(frozen=True)
class FunctionAsset:
    name: str
    # Distributions this function's code imports (each one's dependencies come along).
    requirements: tuple[str, ...]
    # Paths inside those distributions that this function never imports.
    unused: tuple[str, ...] = ()


# Every function: settings, models, and Powertools' JSON log formatter.
_COMMON = ("pydantic", "pydantic-settings", "aws-lambda-powertools")
# SQS, DynamoDB and the @connections API: the worker and WebSocket functions.
_AWS = ("boto3", "urllib3", "anyio")
# Powertools utilities only the worker runs (batch, idempotency, SQS records) or nothing
# here does; the functions that use Powertools for its log formatter alone leave them out.
_POWERTOOLS_UTILITIES = tuple(
    f"aws_lambda_powertools/utilities/{name}"
    for name in (
        "auth_alpha",
        "batch",
        "circuit_breaker",
        "data_classes",
        "data_masking",
        "feature_flags",
        "idempotency",
        "kafka",
        "parameters",
        "parser",
        "streaming",
        "validation",
    )
)
# strawberry's web integrations, servers and tools: the WebSocket function and the worker
# only check and execute subscriptions (handler.platform.graphql_ws.operations).
_STRAWBERRY_WEB = tuple(
    f"strawberry/{name}"
    for name in (
        "aiohttp",
        "asgi",
        "chalice",
        "channels",
        "cli",
        "codegen",
        "codemods",
        "django",
        "ext",
        "fastapi",
        "flask",
        "http",
        "litestar",
        "pydantic",
        "quart",
        "sanic",
        "schema_codegen",
        "static",
        "subscriptions",
        "test",
    )
)
FUNCTIONS: dict[str, FunctionAsset] = {
    asset.name: asset
    for asset in (
        FunctionAsset(
            "http",
            (
                *_COMMON,
                *_AWS,
                "fastapi",
                "starlette",
                "mangum",
                "fastapi-offline",
                "strawberry-graphql",
                "limits",
                "redis",
                "pyjwt[crypto]",
            ),
            unused=_POWERTOOLS_UTILITIES,
        ),
        # GraphQL subscriptions are executed by the worker (strawberry, graphql-core).
        FunctionAsset("worker", (*_COMMON, *_AWS, "strawberry-graphql"), unused=_STRAWBERRY_WEB),
        # $connect checks the bearer token (handler.platform.auth); `subscribe` checks the
        # operation against the schema.
        FunctionAsset(
            "ws", (*_COMMON, *_AWS, "pyjwt[crypto]", "strawberry-graphql"), unused=_STRAWBERRY_WEB
        ),
        # uvicorn alone, not its `standard` extra: Lambda hands an environment one request
        # at a time, so uvloop and httptools (4.9 MB zipped) buy nothing there, and
        # watchfiles, websockets, PyYAML are for reloading, sockets and YAML log configs.
        # handler/run_stream.sh names the loop and the parser it uses.
        FunctionAsset(
            "stream", (*_COMMON, "fastapi", "starlette", "uvicorn"), unused=_POWERTOOLS_UTILITIES
        ),
    )
}
# Runtime dependencies that only local runs use: the `server` extra's `standard` parts
# (uvloop, httptools, watchfiles, ...) serve `python -m local`, not the stream function.
LOCAL_ONLY: tuple[str, ...] = ("uvicorn[standard]",)

# botocore ships the API models of ~450 services (28 MB of an 83 MB asset); the code
# calls these (handler.platform.aws.clients). Credentials on Lambda come from the
# environment or the container endpoint, so STS is not among them.
AWS_SERVICES = ("sqs", "dynamodb", "apigatewaymanagementapi")
_MODEL_DIRS = ("botocore/data", "boto3/data")
# Inside a distribution, what nothing here imports: Powertools' own REST and GraphQL
# resolvers (this app routes with FastAPI).
UNUSED_PATHS = ("aws_lambda_powertools/event_handler",)


def closure(
    requirements: Iterable[str],
    metadata: Mapping[NormalizedName, Message],
    environment: Mapping[str, str] = TARGET_ENVIRONMENT,
) -> set[NormalizedName]:
    """`requirements` and everything they require (extras included), by the wheels'
    Requires-Dist evaluated for Lambda's Python. A name the lock lacks is a LookupError."""
    pending = [Requirement(spec) for spec in requirements]
    seen: set[tuple[NormalizedName, str]] = set()
    names: set[NormalizedName] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name not in metadata:
            raise LookupError(f"{requirement.name} is not in the lock (run `make lock`)")
        names.add(name)
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for spec in metadata[name].get_all("Requires-Dist") or []:
                child = Requirement(spec)
                if not child.marker or child.marker.evaluate({**environment, "extra": extra}):
                    pending.append(child)
    return names


def wheel_metadata(wheel: Path) -> Message:
    """The METADATA of a wheel, read from the archive (nothing is installed)."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


def lock_subset(lock_text: str, names: Iterable[NormalizedName]) -> str:
    """The lock's entries (pins and hashes) for `names`, as a requirements file."""
    entries = lock_entries(lock_text)
    return "".join(entries[name] + "\n" for name in sorted(names))


def unclaimed(pyproject: Path) -> list[str]:
    """Runtime dependencies of pyproject.toml that no function's asset lists (with the
    extras pyproject asks for: `pydantic[email]` needs a function listing that extra)."""
    claimed: dict[NormalizedName, set[str]] = {}
    for asset in FUNCTIONS.values():
        for spec in (*asset.requirements, *LOCAL_ONLY):
            requirement = Requirement(spec)
            claimed.setdefault(canonicalize_name(requirement.name), set()).update(
                requirement.extras
            )
    missing = []
    for spec in runtime_requirements(pyproject, EXTRAS):
        requirement = Requirement(spec)
        extras = claimed.get(canonicalize_name(requirement.name))
        if extras is None or not requirement.extras <= extras:
            extra = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
            missing.append(requirement.name + extra)
    return missing


def trim(asset_dir: Path, unused: Iterable[str] = ()) -> None:
    """Drop the API models of services the code does not call, `UNUSED_PATHS` and the
    function's `unused` paths, and keep each distribution's RECORD true to what is left."""
    for models in _MODEL_DIRS:
        root = asset_dir / models
        if not root.is_dir():
            continue
        for service in root.iterdir():
            if service.is_dir() and service.name not in AWS_SERVICES:
                shutil.rmtree(service)
    for path in (*UNUSED_PATHS, *unused):
        shutil.rmtree(asset_dir / path, ignore_errors=True)
    for record in asset_dir.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        kept = [line for line in lines if (asset_dir / line.split(",", 1)[0]).exists()]
        if len(kept) != len(lines):
            record.write_text("".join(kept))
