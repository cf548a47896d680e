"""/docs and /redoc in headless Chromium with every request off the server refused.

The pages must render their operation lists from what the app serves alone, at the root
and under a stage prefix (`/prod`, set as `root_path` the way the Lambda adapter does).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from handler.platform.http.api_docs import install_api_docs
from tests.support.browser import chromium
from tests.support.servers import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route
    from starlette.types import ASGIApp, Receive, Scope, Send

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
STAGE = "/prod"


def docs_app() -> FastAPI:
    app = FastAPI(title="Docs offline", docs_url=None, redoc_url=None)
    install_api_docs(app)

    @app.get("/api/v1/users", tags=["v1"], summary="List users")
    async def list_users() -> list[str]:
        return []

    return app


def staged(app: ASGIApp) -> ASGIApp:
    """Paths under /prod carry root_path /prod, as API Gateway stages do via our adapter."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{STAGE}/"):
            scope = {**scope, "root_path": STAGE}
        await app(scope, receive, send)

    return asgi


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(staged(docs_app())) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium(timeout=WAIT_MS) as browser:
        yield browser


class Traffic:
    """What a page asked for: requests to other hosts are refused and recorded; requests
    the page's Content-Security-Policy stops never reach the network (nor this router)."""

    def __init__(self, page: Page, server: LiveServer) -> None:
        self.host = urlsplit(server.url).netloc
        self.left: list[str] = []
        self.paths: list[str] = []
        self.failed: list[str] = []
        self.blocked_by_csp: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("requestfailed", self._failed)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _failed(self, request: Request) -> None:
        if request.failure == "net::ERR_BLOCKED_BY_CSP":
            self.blocked_by_csp.append(request.url)
        elif urlsplit(request.url).netloc == self.host:
            self.failed.append(f"{request.url}: {request.failure}")

    def _route(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.netloc != self.host:
            self.left.append(route.request.url)
            route.abort()
            return
        self.paths.append(url.path)
        route.continue_()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


@pytest.mark.parametrize("prefix", ["", STAGE], ids=["root", "stage"])
def test_swagger_ui_lists_the_operations_offline(
    server: LiveServer, page: Page, prefix: str
) -> None:
    from playwright.sync_api import expect

    traffic = Traffic(page, server)
    page.goto(f"{server.url}{prefix}/docs", timeout=WAIT_MS)
    operation = page.locator(".opblock-get .opblock-summary-path[data-path='/api/v1/users']")
    expect(operation).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".opblock-tag", has_text="v1")).to_be_visible(timeout=WAIT_MS)
    assert traffic.left == []
    assert traffic.blocked_by_csp == []
    assert traffic.failed == []
    assert traffic.errors == []
    assert f"{prefix}/openapi.json" in traffic.paths
    assert all(path.startswith(f"{prefix}/") for path in traffic.paths), traffic.paths


@pytest.mark.parametrize("prefix", ["", STAGE], ids=["root", "stage"])
def test_redoc_lists_the_operations_offline(server: LiveServer, page: Page, prefix: str) -> None:
    from playwright.sync_api import expect

    traffic = Traffic(page, server)
    page.goto(f"{server.url}{prefix}/redoc", timeout=WAIT_MS)
    menu_item = page.get_by_role("menuitem").filter(has_text="List users")
    expect(menu_item).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("h2", has_text="List users")).to_be_visible(timeout=WAIT_MS)
    assert traffic.left == []
    # ReDoc's own "API docs by Redocly" logo: stopped in the browser by the page's CSP.
    assert all(url.startswith("https://cdn.redoc.ly/") for url in traffic.blocked_by_csp)
    assert traffic.failed == []
    assert traffic.errors == []
    assert f"{prefix}/openapi.json" in traffic.paths
    assert all(path.startswith(f"{prefix}/") for path in traffic.paths), traffic.paths
