"""`python -m infra`: the CDK app entry point that cdk.json runs."""

from __future__ import annotations

import os
import sys

from infra.app import build_app
from infra.config import ConfigError


def main() -> None:
    try:
        # The CLI sets CDK_DEFAULT_REGION to the credentials' region when it can resolve it.
        app, _stack = build_app(region=os.environ.get("CDK_DEFAULT_REGION"))
    except ConfigError as exc:
        # One line the operator can act on, not a traceback through jsii.
        sys.exit(f"error: {exc}")
    app.synth()


if __name__ == "__main__":
    main()
