"""`python -m infra`: the CDK app entry point that cdk.json runs."""

from __future__ import annotations

from infra.app import build_app


def main() -> None:
    app, _stack = build_app()
    app.synth()


if __name__ == "__main__":
    main()
