"""A stand-in for API Gateway's @connections API: a real HTTP server on a loopback port.

It records every `POST /{stage}/@connections/{id}` (and every `DELETE`, in `deleted`: the
id is gone from then on), checks its SigV4 signature against
the credentials it is given (recomputed with botocore's signer, as API Gateway would),
and answers as API Gateway does: 200, 410 `GoneException` for ids in `gone`, 429
`LimitExceededException` for ids in `throttled`, and one 500 first for ids in `flaky`;
ids in `slow` wait a second first.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STAGE = "prod"


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None  # None: no credentials to check against


class ConnectionsApi:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{STAGE}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.reset()

    def reset(self, credentials: Credentials | None = None, region: str = "eu-west-1") -> None:
        self.credentials, self.region = credentials, region
        self.gone: set[str] = set()
        self.throttled: set[str] = set()
        self.flaky: set[str] = set()
        self.slow: set[str] = set()
        self.posts: dict[str, list[Post]] = defaultdict(list)
        self.deleted: list[str] = []
        self.requests: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def posted(self, connection_id: str) -> bytes:
        """Everything delivered to this id (answered 200), concatenated."""
        with self.lock:
            return b"".join(p.body for p in self.posts.get(connection_id, []))

    def attempts(self, connection_id: str) -> list[Post]:
        with self.lock:
            return list(self.posts.get(connection_id, []))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(  # noqa: PLR0911 - one return per answer API Gateway gives
        self, path: str, headers: dict[str, str], body: bytes, method: str = "POST"
    ) -> tuple[int, str]:
        prefix = f"/{STAGE}/@connections/"
        if not path.startswith(prefix):
            return 404, "NotFoundException"
        connection_id = unquote(path[len(prefix) :])
        post = Post(path, headers, body, self._verify(path, headers, body, method))
        if method == "DELETE":
            return self._delete(connection_id, post)
        with self.lock:
            self.requests[connection_id] += 1
            slow = connection_id in self.slow
        if slow:
            time.sleep(1.0)
        with self.lock:
            if post.signature_ok is False:
                return 403, "InvalidSignatureException"
            if connection_id in self.gone:
                return 410, "GoneException"
            if connection_id in self.throttled:
                return 429, "LimitExceededException"
            if connection_id in self.flaky:
                self.flaky.discard(connection_id)
                return 500, "InternalServerErrorException"
            self.posts[connection_id].append(post)
        return 200, ""

    def _delete(self, connection_id: str, post: Post) -> tuple[int, str]:
        """DeleteConnection: API Gateway closes the socket; the id is gone from then on."""
        with self.lock:
            if post.signature_ok is False:
                return 403, "InvalidSignatureException"
            if connection_id in self.gone:
                return 410, "GoneException"
            self.deleted.append(connection_id)
            self.gone.add(connection_id)
        return 204, ""

    def _verify(
        self, path: str, headers: dict[str, str], body: bytes, method: str = "POST"
    ) -> bool | None:
        if self.credentials is None:
            return None
        lowered = {k.lower(): v for k, v in headers.items()}
        authorization = lowered.get("authorization", "")
        signed = authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return False
        request = AWSRequest(
            method=method,
            url=f"http://{lowered['host']}{path}",
            data=body,
            headers={name: lowered[name] for name in signed if name in lowered},
        )
        request.context["timestamp"] = lowered["x-amz-date"]
        signer = SigV4Auth(self.credentials, "execute-api", self.region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        scope = f"Credential={self.credentials.access_key}/{lowered['x-amz-date'][:8]}/"
        return scope + f"{self.region}/execute-api/aws4_request" in authorization and any(
            hmac.compare_digest(f"Signature={expected}", part.strip())
            for part in authorization.split(",")
        )


def _handler_for(api: ConnectionsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway

        def do_POST(self) -> None:
            self._answer("POST")

        def do_DELETE(self) -> None:
            self._answer("DELETE")

        def _answer(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status, error = api.answer(self.path, dict(self.headers.items()), body, method)
            payload = f'{{"message": "{error}"}}'.encode() if error else b""
            self.send_response(status)
            if error:
                self.send_header("x-amzn-ErrorType", f"{error}:http://internal.amazon.com/")
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


_shared: ConnectionsApi | None = None
_shared_lock = threading.Lock()


def shared_connections_api() -> ConnectionsApi:
    """One server for the whole test session (tests reset it)."""
    global _shared  # noqa: PLW0603 - one loopback server per session
    with _shared_lock:
        if _shared is None:
            _shared = ConnectionsApi()
        return _shared
