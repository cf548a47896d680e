"""The inside of one execution environment:
`python -m local.aws.lambda_.runtime <handler> <fd>`.

It plays Lambda's Python runtime: it imports the entry module once (the init phase), then
runs one event at a time through `handler(event, context)` until its event channel
closes. The emulator (`execution.py`) starts it, times it and kills it; this side only
runs code and reports.

Channels (the function's stdout and stderr are its log stream, so the protocol avoids
them):
- events arrive on stdin, one JSON object per line: {"id", "event", "timeout_ms", "arn"}.
  At start the channel moves to a private descriptor and fd 0 becomes /dev/null, so the
  function's own code cannot read the protocol;
- replies leave on the pipe descriptor `<fd>`, one JSON object per line: first
  {"init": {"ok", "ms", "error"?}}, then per event {"id", "ok", "payload" | "error",
  "ms", "max_memory_mb"}. An error is {"type", "message"}, as Lambda reports it;
- stdout and stderr (one pipe) carry the function's output and, before each reply,
  `OUTPUT_MARK`, so the emulator can print the output of an event before its END line.

The AWS runtime interface client (awslambdaric) speaks Lambda's Runtime API over HTTP and
would need an emulator of that API (the RIE, a Go binary): two pipes do the same here with
the standard library alone, which keeps the environment's own imports out of its init.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

from local.aws.lambda_.context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
# Written to the log stream before each reply: the emulator prints the function's lines up
# to it before its own END line (two pipes have no order between them otherwise).
OUTPUT_MARK = b"\x1e\x1e\n"


def load_handler(name: str) -> Handler:
    """`package.module.function` -> the function, importing the module (the init)."""
    module_name, _, attribute = name.replace("/", ".").rpartition(".")
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute, None)
    if handler is None:
        raise AttributeError(f"Handler '{attribute}' missing on module '{module_name}'")
    return handler  # type: ignore[no-any-return]


def init_error(name: str, exc: BaseException) -> dict[str, str]:
    """The error type Lambda's Python runtime reports for a failed init."""
    module_name = name.replace("/", ".").rpartition(".")[0]
    if isinstance(exc, ImportError):
        return {
            "type": "Runtime.ImportModuleError",
            "message": f"Unable to import module '{module_name}': {exc}",
        }
    if isinstance(exc, SyntaxError):
        return {"type": "Runtime.UserCodeSyntaxError", "message": str(exc)}
    if isinstance(exc, AttributeError) and str(exc).startswith("Handler "):
        return {"type": "Runtime.HandlerNotFound", "message": str(exc)}
    return {"type": type(exc).__name__, "message": str(exc)}


def invoke(handler: Handler, request: dict[str, Any]) -> bytes:
    """Run one event; the reply line for the emulator."""
    context = LambdaContext(
        aws_request_id=request["id"],
        invoked_function_arn=request["arn"],
        timeout_ms=request["timeout_ms"],
    )
    started = time.perf_counter()
    reply: dict[str, Any] = {"id": request["id"]}
    try:
        reply.update(ok=True, payload=handler(request["event"], context))
    except Exception as exc:
        reply.update(ok=False, error=_logged(exc))
    reply["ms"] = (time.perf_counter() - started) * 1000
    reply["max_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 + 1
    try:
        return _line(reply)
    except (TypeError, ValueError) as exc:  # the payload is not JSON
        del reply["payload"]
        message = f"Unable to marshal response: {exc}"
        reply.update(ok=False, error={"type": "Runtime.MarshalError", "message": message})
        return _line(reply)


def _logged(exc: Exception) -> dict[str, str]:
    # Lambda's runtime logs an unhandled error with its traceback before answering it.
    lines = traceback.format_exception(exc)
    sys.stderr.write(f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(lines)}")
    return {"type": type(exc).__name__, "message": str(exc)}


def _send(channel: IO[bytes], line: bytes) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(OSError):  # the function closed its stdout: no mark then
        os.write(1, OUTPUT_MARK)
    channel.write(line)
    channel.flush()


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def _claim_channels(replies_fd: int) -> tuple[IO[bytes], IO[bytes]]:
    events_fd = os.dup(0)  # os.dup's copy is not inherited by the function's subprocesses
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.set_inheritable(replies_fd, False)
    return os.fdopen(events_fd, "rb"), os.fdopen(replies_fd, "wb")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m local.aws.lambda_.runtime <handler> <replies fd>\n")
        return 2
    name, replies_fd = argv[0], int(argv[1])
    events, replies = _claim_channels(replies_fd)
    started = time.perf_counter()
    try:
        handler = load_handler(name)
    except Exception as exc:
        error = init_error(name, exc)
        sys.stderr.write(f"[ERROR] {error['type']}: {error['message']}\n")
        sys.stderr.write("".join(traceback.format_exception(exc)))
        ms = (time.perf_counter() - started) * 1000
        _send(replies, _line({"init": {"ok": False, "ms": ms, "error": error}}))
        return 1
    ms = (time.perf_counter() - started) * 1000
    _send(replies, _line({"init": {"ok": True, "ms": ms}}))
    # Ends when the emulator closes the channel (or dies): no orphaned environments.
    for line in iter(events.readline, b""):
        _send(replies, invoke(handler, json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
