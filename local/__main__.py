"""`python -m local [serve] [--workers N]`: uvicorn on HOST:PORT (default 127.0.0.1:8000)
with the in-memory adapters unless the environment selects AWS ones. With several
workers, each is a process of its own: with REDIS_URL their WebSocket clients hear each
other (docs/websockets.md#several-local-processes).

`python -m local worker`: poll TASK_QUEUE_URL and run each batch with the worker
Lambda's handler.

`python -m local token --sub NAME [--admin] [--ttl SECONDS]`: print an access token of
the development issuer (its key in `.local/`), which `python -m local` accepts.

`python -m local aws [--port BASE] [--outputs-file PATH]`: the deployed topology on this
machine (emulated API Gateway, moto, each function in Lambda-like processes); see
docs/emulator.md.

`python -m local new resource NAME`: write a stored resource (create, get, list), its
table, its wiring and its tests (docs/building-a-resource.md#start-your-own-api).

A configuration mistake prints one line naming the variable and exits with code 2;
Ctrl+C stops either command without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from handler.settings import ConfigError, Settings, get_settings

if TYPE_CHECKING:
    from local.aws.emulator import EmulatorOptions


def serve(settings: Settings, reload: bool, workers: int = 1) -> None:
    import uvicorn

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        # The app configures logging itself (handler.platform.runtime.logs); keep
        # uvicorn's loggers flowing into the same root handler.
        "log_config": None,
        # The socket peer is the client: a client-sent X-Forwarded-For is not trusted.
        "proxy_headers": False,
        # API Gateway's head limit, for a server run on h11; the app checks the head
        # itself whatever the parser (handler.platform.http.limits).
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        # The app writes one line per request itself (ACCESS_LOG), at a tenth of the cost.
        "access_log": False,
    }
    if reload or workers > 1:
        # A reloading server, and each worker, imports the app anew in a child process,
        # from the environment: HOST and PORT there must match --host and --port.
        os.environ["HOST"], os.environ["PORT"] = settings.host, str(settings.port)
        if workers > 1:
            _warn_about_islands(settings, workers)
        uvicorn.run(
            "handler.app:create_app",
            factory=True,
            reload=reload,
            workers=workers if workers > 1 else None,
            **options,
        )
        return
    from handler.app import create_app

    uvicorn.run(create_app(settings), **options)


def _warn_about_islands(settings: Settings, workers: int) -> None:
    """Each worker keeps its own memory; say what that splits, once, before they start."""
    split = [] if settings.users_table else ["users"]
    if not settings.redis_url:
        split += ["cache", "rate limits", "WebSocket clients"]
    if split:
        print(  # noqa: T201 - the command's own line, before any worker configures logging
            f"python -m local: {workers} workers, each with its own {', '.join(split)}"
            " (in memory); set REDIS_URL (and USERS_TABLE) to share them",
            file=sys.stderr,
        )


def worker(settings: Settings, wait: int, max_polls: int | None) -> None:
    from handler.composition import configure_logs
    from local.worker import run

    configure_logs(settings)
    run(settings, wait_seconds=wait, max_polls=max_polls)


def token(args: argparse.Namespace, settings: Settings) -> None:
    from handler.composition import development_issuer

    if settings.auth_issuer:
        raise ConfigError(
            "AUTH_ISSUER is set: get a token from that issuer (the development issuer's"
            " tokens are accepted only without AUTH_ISSUER)"
        )
    issued = development_issuer(settings).issue(args.sub, admin=args.admin, ttl=args.ttl)
    print(issued)  # noqa: T201 - the command's output


def aws_options(args: argparse.Namespace) -> EmulatorOptions:
    """The emulator's options come from its flags alone: HOST and PORT are the local
    server's (and PORT a variable the stream function gets), so they move nothing here."""
    from local.aws.emulator import EmulatorOptions

    return EmulatorOptions(
        base_port=args.port if args.port is not None else 9000,
        redis_url=args.redis_url or "",
        log_format="text" if args.text_logs else "",
        stage=args.stage,
    )


def aws(args: argparse.Namespace, settings: Settings) -> None:
    import asyncio
    from pathlib import Path

    from handler.composition import configure_logs
    from local.aws.emulator import run
    from local.aws.preflight import NotReady

    # The emulator's own lines; the functions log as the stack configures them.
    configure_logs(settings.model_copy(update={"log_format": "text"}))
    outputs = Path(args.outputs_file) if args.outputs_file else None
    try:
        asyncio.run(run(aws_options(args), outputs))
    except NotReady as exc:
        print(f"python -m local aws: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's answer
        raise SystemExit(2) from None


def _positive(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError("a whole number from 1 to 64")
    return int(value)


def new(args: argparse.Namespace) -> None:
    from pathlib import Path

    from local.scaffold.resource import ScaffoldError, scaffold

    root = Path(__file__).resolve().parents[1]
    try:
        written = scaffold(root, args.name)
    except ScaffoldError as exc:
        print(f"python -m local new: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's answer
        raise SystemExit(2) from None
    for path in written:
        print(path)  # noqa: T201 - the command's output
    print(  # noqa: T201
        f"\n/api/v1/{args.name} is served by `make run`; `make test` runs its tests."
    )


def _subject(value: str) -> str:
    import re

    if not re.fullmatch(r"[^\x00-\x1f\x7f\s]{1,256}", value):
        raise argparse.ArgumentTypeError("1 to 256 printable characters, no spaces")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser("serve", help="serve the app on uvicorn (default)")
    for command in (parser, serve_cmd):
        command.add_argument("--host", help="bind address (env HOST)")
        command.add_argument("--port", type=int, help="port (env PORT)")
        command.add_argument("--reload", action="store_true", help="restart on code changes")
        command.add_argument(
            "--workers",
            type=_positive,
            default=1,
            help="server processes (1); with REDIS_URL their WebSocket clients hear each other",
        )
    worker_cmd = commands.add_parser(
        "worker", help="poll TASK_QUEUE_URL and run tasks with the worker Lambda's handler"
    )
    worker_cmd.add_argument("--wait", type=int, default=20, help="long-poll seconds (0-20)")
    worker_cmd.add_argument("--max-polls", type=int, help="stop after this many polls")
    token_cmd = commands.add_parser(
        "token", help="print a development access token (curl -H 'Authorization: Bearer ...')"
    )
    token_cmd.add_argument("--sub", required=True, type=_subject, help="the subject (who)")
    token_cmd.add_argument("--admin", action="store_true", help="in the admin group")
    token_cmd.add_argument(
        "--ttl", type=int, default=3600, help="seconds the token is valid (at most a week)"
    )
    aws_cmd = commands.add_parser(
        "aws", help="run the AWS topology locally: API Gateway, Lambda, SQS, DynamoDB"
    )
    aws_cmd.add_argument(
        "--port",
        type=int,
        help="first of 4 ports on 127.0.0.1: HTTP, WebSocket, stream, moto (9000; 0: free"
        " ports); HOST and PORT are the local server's and do not apply",
    )
    aws_cmd.add_argument("--outputs-file", help="write `cdk deploy --outputs-file` JSON here")
    aws_cmd.add_argument(
        "--redis-url", help="a Redis for the HTTP function (default: memory per environment)"
    )
    aws_cmd.add_argument(
        "--stage", choices=("dev", "prod"), default="dev", help="the stack's stage (dev)"
    )
    aws_cmd.add_argument(
        "--text-logs", action="store_true", help="functions log text, not Lambda's JSON"
    )
    new_cmd = commands.add_parser("new", help="start something of your own from a template")
    what = new_cmd.add_subparsers(dest="what", required=True)
    resource_cmd = what.add_parser(
        "resource", help="a stored resource: create, get, list; its table; its tests"
    )
    resource_cmd.add_argument("name", help="plural, lower case: orders")
    args = parser.parse_args(argv)
    if getattr(args, "reload", False) and getattr(args, "workers", 1) > 1:
        parser.error("--reload and --workers exclude each other")
    if args.command == "new":
        new(args)
        return
    try:
        settings = get_settings()
        if args.command == "worker" and not settings.task_queue_url:
            raise ConfigError("TASK_QUEUE_URL is empty: the worker needs a queue to poll")
        if args.command == "token":
            token(args, settings)
            return
    except (ConfigError, ValueError) as exc:
        print(f"python -m local: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's answer
        raise SystemExit(2) from None
    try:
        if args.command == "worker":
            worker(settings, args.wait, args.max_polls)
            return
        if args.command == "aws":
            aws(args, settings)
            return
        overrides = {"host": args.host, "port": args.port}
        settings = settings.model_copy(update={k: v for k, v in overrides.items() if v})
        serve(settings, args.reload, args.workers)
    except KeyboardInterrupt:
        # Ctrl+C is how a developer stops it: no traceback, the shell's exit code.
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
