"""`python -m local [serve]`: uvicorn on HOST:PORT (default 127.0.0.1:8000) with the
in-memory adapters unless the environment selects AWS ones."""

from __future__ import annotations

import argparse

from handler.settings import get_settings


def serve(host: str | None, port: int | None, reload: bool) -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "handler.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        # The app configures logging itself (handler.platform.runtime.logs); keep uvicorn's
        # loggers flowing into the same root handler.
        log_config=None,
        proxy_headers=False,
    )


def worker(wait: int, max_polls: int | None) -> None:
    from handler.platform.runtime.logs import configure_logging
    from local.worker import run

    settings = get_settings()
    configure_logging(settings)
    run(settings, wait_seconds=wait, max_polls=max_polls)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser("serve", help="serve the app on uvicorn (default)")
    for command in (parser, serve_cmd):
        command.add_argument("--host", help="bind address (env HOST)")
        command.add_argument("--port", type=int, help="port (env PORT)")
        command.add_argument("--reload", action="store_true", help="restart on code changes")
    worker_cmd = commands.add_parser(
        "worker", help="poll TASK_QUEUE_URL and run tasks with the worker Lambda's handler"
    )
    worker_cmd.add_argument("--wait", type=int, default=20, help="long-poll seconds (0-20)")
    worker_cmd.add_argument("--max-polls", type=int, help="stop after this many polls")
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker(args.wait, args.max_polls)
        return
    serve(args.host, args.port, args.reload)


if __name__ == "__main__":
    main()
