"""`chromium()`: the Debian chromium, headless, driven by Playwright; or a skip (a failure
under REQUIRE_BROWSER=1) when it is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.require import require

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
# Never `playwright install`: it downloads a browser; the Debian package is the browser here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium(**launch: Any) -> Iterator[Browser]:
    """A headless browser for the block; `launch` adds Playwright launch options."""
    if not CHROMIUM.exists():
        require("REQUIRE_BROWSER", f"{CHROMIUM} is absent (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **launch
        )
        yield browser
        browser.close()
