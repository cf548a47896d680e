"""Identities for tests: tokens of the development issuer (what the app trusts without
AUTH_ISSUER), and `Issuer`, a real issuer of our own (RSA and EC keys, its JWKS served
over HTTP on a loopback port) for the verifier's own tests: rotation, an issuer that is
down, every kind of bad token."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from handler.composition import development_issuer
from handler.settings import Settings

ISSUER = "https://issuer.test.invalid/pool"
CLIENT_ID = "test-client"


def token(settings: Settings | None = None, subject: str = "alice", *, admin: bool = False) -> str:
    """A development token for `subject` (what the app trusts without AUTH_ISSUER); the
    key is the settings' AUTH_DEVELOPMENT_KEY (by default the test settings')."""
    return development_issuer(settings or Settings(environment="test")).issue(subject, admin=admin)


def bearer(settings: Settings, subject: str, *, admin: bool = False) -> dict[str, str]:
    """`Authorization` headers with a development token for `subject`."""
    return {"Authorization": f"Bearer {token(settings, subject, admin=admin)}"}


def socket_url(base: str, settings: Settings | None = None, subject: str = "alice") -> str:
    """A chat WebSocket URL that signs in as `subject` (`?token=`)."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}token={token(settings, subject)}"


class SigningKey:
    def __init__(self, algorithm: str = "RS256", kid: str | None = None) -> None:
        self.algorithm = algorithm
        self.kid = kid or uuid.uuid4().hex[:12]
        if algorithm == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk: dict[str, Any] = {**jwk, "kid": self.kid, "alg": algorithm, "use": "sig"}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(
            claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **headers}
        )


class Issuer:
    """An OIDC-style issuer: `keys` are published at `jwks_url` while `up`."""

    def __init__(self) -> None:
        self.keys = [SigningKey("RS256"), SigningKey("ES256")]
        self.up = True
        self.requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests += 1
                if not issuer.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"keys": [key.jwk for key in issuer.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def claims(self, subject: str = "alice", **overrides: Any) -> dict[str, Any]:
        """A Cognito-style access token's claims, valid for an hour."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": subject,
            "client_id": CLIENT_ID,
            "token_use": "access",
            "scope": "openid users:write",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self,
        subject: str = "alice",
        *,
        key: int = 0,
        extra: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        """`extra`: claims whose names are not identifiers (`cognito:groups`)."""
        return self.keys[key].sign(self.claims(subject, **overrides, **(extra or {})))
