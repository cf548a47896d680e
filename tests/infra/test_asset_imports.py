"""Each function's asset holds everything its entry imports: no user finds a missing module
at deploy time.

The deployed assets hold arm64 wheels, which this x86_64 machine cannot load. So each
function's asset is bundled a second time, by the same bundler from the same lock entries
(the closure is still computed for Lambda's Python), for this host's platform and Python:
the same distributions at the same versions, trimmed the same way, only the compiled
extensions differ (a test checks that). The stand-in is built for, and imported by, the
newest Python 3.12+ this machine has, nearest to Lambda's (the lock is resolved for
3.14: `deprecated` 3.x, under `limits`, is 3.12 syntax); the tests' own 3.11 cannot.
Its entry is then imported by that clean interpreter (`python -I -S`: no site-packages,
no environment, nothing but the standard library and the asset) with the environment
the stack gives that function, and what its first event builds is built: under
SnapStart the HTTP init builds every lazy part (GraphQL, cache, limiter, SQS client);
the worker builds its task runner and its AWS clients. The Lambda runtime's own
`snapshot_restore_py` is put beside it, as Lambda does.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from infra.app_tables import APP_TABLES
from tests.infra.helpers import Synth, asset_dir, function, installed

REGION = "eu-west-1"
# Values for the environment variables the stack fills with tokens (ARNs, URLs).
PLACEHOLDERS = {
    "REDIS_URL": "rediss://cache.example.invalid:6379",
    "TASK_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/tasks",
    "TASK_DLQ_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/tasks-dlq",
    "CONNECTIONS_TABLE": "connections",
    "SUBSCRIPTIONS_TABLE": "subscriptions",
    "IDEMPOTENCY_TABLE": "idempotency",
    # The app's tables, as tables.toml declares them (USERS_TABLE, ...).
    **{table.variable: table.name for table in APP_TABLES},
    "WS_CALLBACK_URL": f"https://abc123.execute-api.{REGION}.amazonaws.com/prod",
    "CHAT_WEBSOCKET_URL": f"wss://abc123.execute-api.{REGION}.amazonaws.com/prod",
    # A Secrets Manager dynamic reference in the template, resolved at deploy time.
    "CURSOR_SECRET": "a-placeholder-cursor-secret-of-32-chars-or-more",
    # The user pool's issuer (its id is a Ref) and app client id.
    "AUTH_ISSUER": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Example12",
    "AUTH_AUDIENCE": "exampleclientid1234567890",
}
# A route that needs no backend: the users routes would reach DynamoDB (USERS_TABLE is
# set, as the stack sets it), and there is no network here.
HTTP_EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/unicorns/asset",
    "rawQueryString": "",
    "headers": {"host": "abc123.execute-api.eu-west-1.amazonaws.com"},
    "requestContext": {
        "http": {"method": "GET", "path": "/unicorns/asset", "sourceIp": "192.0.2.1"},
        "requestId": "req-1",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}
# What each entry's first event needs, run after the import; prints `OK`.
FIRST_USE = {
    "http": f"""
        import handler.lambda_http as entry
        event = {HTTP_EVENT!r}
        assert entry.handler(event, None)["statusCode"] == 200
        docs = dict(event, rawPath="/docs-assets/swagger-ui.css")
        docs["requestContext"] = dict(event["requestContext"], http=dict(
            event["requestContext"]["http"], path="/docs-assets/swagger-ui.css"))
        assert entry.handler(docs, None)["statusCode"] == 200
        assert {{"strawberry", "limits", "redis", "boto3"}} <= set(sys.modules)
    """,
    "worker": """
        import handler.lambda_worker as entry
        entry.worker()  # the task runner: idempotency on DynamoDB, the hub, dead letters
        from handler.composition import aws_publisher
        from handler.settings import get_settings
        aws_publisher(get_settings()).operations()  # the subscription schema (strawberry)
        from handler.platform.aws.clients import aws_client
        for service in ("sqs", "dynamodb", "apigatewaymanagementapi"):
            aws_client(service)
    """,
    "ws": """
        import handler.lambda_ws
        from handler.composition import aws_graphql_ws, aws_hub
        from handler.settings import get_settings
        aws_hub(get_settings()).registry.client
        from handler.composition import token_verifier
        token_verifier(get_settings())  # PyJWT and cryptography, from this asset
        import jwt.algorithms
        assert jwt.algorithms.has_crypto
        # `subscribe` checks the operation against the schema (strawberry, graphql-core).
        checked = aws_graphql_ws(get_settings()).operations().prepare(
            "subscription { userCreated { id } }", {}, None)
        assert not isinstance(checked, list), checked
    """,
    "stream": """
        import uvicorn
        config = uvicorn.Config("handler.app:create_stream_app", factory=True,
                                loop="asyncio", http="h11", lifespan="on")
        config.load()
        assert config.loaded_app is not None
    """,
}
NO_WEB_FRAMEWORK = """
        assert not {"fastapi", "starlette", "uvicorn"} & {m.split(".")[0] for m in sys.modules}
"""


def _stand_in_python() -> tuple[Path, str]:
    """The newest CPython 3.12+ here, nearest to Lambda's (PATH, then pyenv's versions)."""
    from infra.lock import PYTHON_VERSION

    target = int(PYTHON_VERSION.split(".")[1])
    found: list[Path] = []
    for minor in range(target, 11, -1):
        on_path = shutil.which(f"python3.{minor}")
        found += [Path(on_path)] if on_path else []
        found += sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python3"), reverse=True)
    for python in found:
        done = subprocess.run(
            [python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return python, done.stdout.strip()
    pytest.skip("no Python 3.12+ on this machine to import the assets with")


def _host_platform() -> str:
    machine = platform.machine()
    if sys.platform != "linux" or machine not in ("x86_64", "aarch64"):
        pytest.skip(f"no manylinux wheels for {sys.platform} {machine}")
    return f"manylinux2014_{machine}"


@pytest.fixture(scope="module")
def host_assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every function's asset, bundled for this host (see the module's docstring)."""
    from infra.assets import FUNCTIONS
    from infra.bundling import LockedWheels, PipBundling
    from infra.lock import LOCK_FILE

    python, version = _stand_in_python()
    wheels = LockedWheels(lock_file=LOCK_FILE, python_version=version, platform=_host_platform())
    root = tmp_path_factory.mktemp("host-assets")
    assets = {}
    for name, asset in FUNCTIONS.items():
        assets[name] = root / name
        PipBundling(asset=asset, wheels=wheels).try_bundle(str(assets[name]))
    runtime = root / "lambda-runtime"  # what the Lambda runtime adds to the path
    runtime.mkdir()
    spec = importlib.util.find_spec("snapshot_restore_py")
    assert spec is not None
    assert spec.origin is not None
    shutil.copy(spec.origin, runtime)
    assets["lambda-runtime"] = runtime
    assets["python"] = python
    return assets


def _environment(stub: Synth, name: str) -> dict[str, str]:
    _, props = function(stub.template.to_json()["Resources"], name)
    env = {}
    for key, value in props["Environment"]["Variables"].items():
        env[key] = value if isinstance(value, str) else PLACEHOLDERS[key]
    return env


@pytest.mark.parametrize("name", ["http", "worker", "ws", "stream"])
def test_entry_imports_and_builds_from_its_asset_alone(
    name: str, host_assets: dict[str, Path], stub: Synth
) -> None:
    env = {
        **_environment(stub, name),
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LOG_LEVEL": "WARNING",
    }
    if name == "http":
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"  # the init that builds all
    path = [str(host_assets[name]), str(host_assets["lambda-runtime"])]
    body = FIRST_USE[name] + (NO_WEB_FRAMEWORK if name in ("worker", "ws") else "")
    code = f"import sys\nsys.path[:0] = {path!r}\n" + textwrap.dedent(body) + "print('OK')\n"
    done = subprocess.run(
        [host_assets["python"], "-I", "-S", "-B", "-c", code],
        env=env,
        cwd=host_assets[name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == "OK"


def test_host_assets_hold_what_the_deployed_ones_hold(
    host_assets: dict[str, Path], variant: Synth
) -> None:
    """The stand-in is faithful: same distributions and versions, same files but for the
    compiled extensions (and their platform tags)."""

    def files(asset: Path) -> set[str]:
        return {
            str(p.relative_to(asset))
            for p in asset.rglob("*")
            if p.is_file()
            and p.suffix != ".so"
            and ".dist-info" not in str(p)
            and "__pycache__" not in p.parts
        }

    for name in ("http", "worker", "stream"):
        deployed, host = asset_dir(variant, name), host_assets[name]
        assert _versions(installed(deployed)) == _versions(installed(host)), name
        assert files(deployed) == files(host), name


def _versions(found: dict[str, Any]) -> str:
    return json.dumps({name: meta["Version"] for name, meta in sorted(found.items())})
