"""The chat page in a real browser: two headless Chromium pages talk through the local server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from handler.settings import Settings
from tests.support.browser import chromium
from tests.support.servers import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


@pytest.fixture
def settings() -> Settings:
    """Development: the page signs in through the development issuer (/dev/token)."""
    return Settings(environment="development")


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_two_pages_chat_through_the_local_server(live_server: LiveServer, browser: Browser) -> None:
    from playwright.sync_api import expect

    # Each expectation waits for its condition: a generous cap (default 5 s) only matters
    # on a loaded CI machine, and a broken chat still fails, just later.
    expect.set_options(timeout=15_000)
    one = browser.new_page()
    two = browser.new_page()
    one.goto(f"{live_server.url}/chat?client=1")
    two.goto(f"{live_server.url}/chat?client=2")
    # In development the page gets a token for the name from /dev/token.
    expect(one.locator("#status")).to_have_text("connected as 1")
    expect(two.locator("#status")).to_have_text("connected as 2")

    one.fill("input[name=text]", "hello from one")
    one.press("input[name=text]", "Enter")
    expect(two.locator("#messages li")).to_have_text(["Client 1: hello from one"])

    two.fill("input[name=text]", "<b>hi</b> back")
    two.click("#send button")
    both = ["Client 1: hello from one", "Client 2: <b>hi</b> back"]
    expect(one.locator("#messages li")).to_have_text(both)  # shown as text, not markup
    expect(two.locator("#messages li")).to_have_text(both)
    expect(one.locator("#messages b")).to_have_count(0)
