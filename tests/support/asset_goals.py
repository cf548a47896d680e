"""How big each Lambda asset may be, zipped (MB = 10^6 bytes): held by the bundling tests
and reported by `make bench`, from this one place.

The goals of issue 12, well under Lambda's 50 MB direct upload, raised for the functions
that verify bearer tokens (issue 16): `cryptography` (RS256/ES256 for PyJWT) is ~5 MB
zipped, its Rust binding nearly all of it. The WebSocket function also checks GraphQL
subscriptions: graphql-core and strawberry's core add ~0.4 MB.
"""

from __future__ import annotations

ZIP_GOALS = {"http": 13_500_000, "worker": 6_000_000, "ws": 11_000_000, "stream": 8_000_000}
