"""What a WebSocket handshake offers besides its URL: a bearer token and subprotocols.

A browser cannot set `Authorization` on a WebSocket, so a token travels one of two ways
(the contract's): `?token=<jwt>` on the URL, or a subprotocol `bearer.<jwt>` beside the
app's own (`new WebSocket(url, ["chat", "bearer." + token])`). The second keeps the token
out of URLs, which proxies and access logs record. The server answers with one of the
app's subprotocols, never the bearer one (that would echo the token), so a client using
the second form must offer an app subprotocol too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

BEARER_PREFIX = "bearer."
# A handshake header is at most ~10 KB behind API Gateway; a token is bounded again later.
MAX_OFFERED = 20


def offered(
    params: Mapping[str, str], protocol_headers: Iterable[str]
) -> tuple[dict[str, str], str | None, tuple[str, ...]]:
    """`params` without `token`, the token (`?token=` first, then a `bearer.` protocol),
    and the other protocols offered, in the client's order."""
    rest = {name: value for name, value in params.items() if name != "token"}
    token = params.get("token") or None
    protocols: list[str] = []
    for header in protocol_headers:
        for value in header.split(","):
            protocol = value.strip()
            if not protocol:
                continue
            if protocol.startswith(BEARER_PREFIX):
                token = token or protocol[len(BEARER_PREFIX) :] or None
            elif len(protocols) < MAX_OFFERED:
                protocols.append(protocol)
    return rest, token, tuple(protocols)


def chosen(offered: Iterable[str], supported: Iterable[str]) -> str | None:
    """The first protocol the client offered that the endpoint speaks (RFC 6455: the
    server picks one of the client's), or None."""
    speaks = set(supported)
    return next((protocol for protocol in offered if protocol in speaks), None)
