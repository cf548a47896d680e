"""Pagination cursors: opaque to the client, signed so that a tampered or foreign cursor
is refused (400) before anything reaches the store. Framework-free; routes reach the
codec through `CursorsDep` (handler.platform.http.deps)."""

from __future__ import annotations

from handler.platform.pagination.cursor import CursorCodec, InvalidCursor

__all__ = ["CursorCodec", "InvalidCursor"]
