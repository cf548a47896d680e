"""The graceful-shutdown extension (infra/layers/graceful_shutdown) as a Lambda layer.

Lambda sends SIGTERM to a function's runtime before ending its environment only when an
external extension is registered. The HTTP function needs that signal: its adapter runs
the app's lifespan shutdown on SIGTERM (closing the Redis and SQS clients). The layer is
built from this repository, a standard-library script: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.functions import ARCHITECTURE, RUNTIME

LAYER_DIR = Path(__file__).resolve().parent / "layers" / "graceful_shutdown"
# Lambda starts every executable in /opt/extensions; the file name is the extension name.
EXTENSION = "extensions/graceful-shutdown"


def graceful_shutdown_layer(scope: Construct, id: str) -> lambda_.LayerVersion:
    """The extension runs under the function's own python3, hence the runtime pin."""
    return lambda_.LayerVersion(
        scope,
        id,
        code=lambda_.Code.from_asset(str(LAYER_DIR), exclude=["**/__pycache__"]),
        compatible_architectures=[ARCHITECTURE],
        compatible_runtimes=[RUNTIME],
        description="External extension registered for SHUTDOWN only, so Lambda sends"
        " SIGTERM to the runtime before it ends an environment",
    )
