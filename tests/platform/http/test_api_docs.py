"""/docs and /redoc load Swagger UI and ReDoc from the app itself, under a stage prefix too."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler.platform.http.api_docs import install_api_docs
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import LambdaContext, http_event
from tests.support.processes import run_python


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


# GET a URL path with its query string. Fixtures pair it with the prefix the client sees
# ("" or the stage), which the app must put in every URL it writes.
Fetch = Callable[[str], Answer]
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def docs_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None)
    install_api_docs(app)

    @app.get("/api/v1/users", tags=["v1"])
    async def list_users() -> list[str]:
        return []

    return app


@contextmanager
def client_fetch(app: FastAPI) -> Iterator[tuple[Fetch, str]]:
    with TestClient(app) as client:

        def fetch(url: str) -> Answer:
            response = client.get(url)
            return Answer(response.status_code, response.headers["content-type"], response.content)

        yield fetch, ""


@contextmanager
def lambda_fetch(app: FastAPI) -> Iterator[tuple[Fetch, str]]:
    """HTTP API v2 events of a named stage `prod`: the client's path starts with /prod."""
    adapter = LambdaHttpAdapter(app)

    def fetch(url: str) -> Answer:
        parts = urlsplit(url)
        event = http_event("http_api_v2", path=parts.path, query=parse_qsl(parts.query))
        event["requestContext"]["stage"] = "prod"
        response = adapter(event, LambdaContext())
        headers = {k.lower(): v for k, v in response["headers"].items()}
        raw: str = response["body"]
        content = base64.b64decode(raw) if response["isBase64Encoded"] else raw.encode()
        return Answer(response["statusCode"], headers["content-type"], content)

    try:
        yield fetch, "/prod"
    finally:
        adapter.close()


@pytest.fixture(
    params=[
        pytest.param("testclient", id="docs-app-testclient"),
        pytest.param("lambda", id="docs-app-lambda-stage"),
    ]
)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Fetch, str]]:
    app = docs_app()
    with (client_fetch if request.param == "testclient" else lambda_fetch)(app) as fetch_and_prefix:
        yield fetch_and_prefix


def references(html: str) -> list[str]:
    """Every URL the page loads by itself: scripts, stylesheets, icons, the schema."""
    urls = re.findall(r'(?:src|href|spec-url)="([^"]*)"', html)
    urls += re.findall(r"\burl: '([^']*)'", html)  # Swagger UI's schema URL
    return urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_prefixed_same_origin_urls(
    served: tuple[Fetch, str], page: str
) -> None:
    fetch, prefix = served
    answer = fetch(prefix + page)
    assert answer.status == 200
    assert answer.content_type.startswith("text/html")
    assert re.findall(r"(?:https?:)?//[\w.-]+", answer.text) == []
    urls = references(answer.text)
    assert f"{prefix}/openapi.json" in urls
    assert any(url.endswith(".js") or ".js?" in url for url in urls)
    for url in urls:
        assert url.startswith(f"{prefix}/"), url
        assert not url.startswith(f"{prefix}//"), url


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_url_a_docs_page_loads_answers_with_its_content_type(
    served: tuple[Fetch, str], page: str
) -> None:
    fetch, prefix = served
    urls = references(fetch(prefix + page).text)
    assets = [url for url in urls if not url.endswith("/openapi.json")]
    assert assets
    for url in assets:
        answer = fetch(url)
        suffix = "." + urlsplit(url).path.rsplit(".", 1)[-1]
        assert answer.status == 200, url
        assert answer.content_type.split(";")[0] == ASSET_TYPES[suffix], url
        assert len(answer.body) > 1000, url
    schema = fetch(f"{prefix}/openapi.json")
    assert schema.status == 200
    assert "/api/v1/users" in json.loads(schema.body)["paths"]


def test_the_bundles_are_swagger_ui_and_redoc() -> None:
    with TestClient(docs_app()) as client:
        swagger = client.get("/docs-assets/swagger-ui-bundle.js").text
        redoc = client.get("/docs-assets/redoc.standalone.js").text
    assert "SwaggerUIBundle" in swagger
    assert "Redoc" in redoc


def test_assets_are_cacheable_and_versioned() -> None:
    with TestClient(docs_app()) as client:
        page = client.get("/docs").text
        asset = client.get("/docs-assets/swagger-ui.css")
    assert re.search(r'/docs-assets/swagger-ui\.css\?v=[\w.]+"', page)
    assert "max-age" in asset.headers["cache-control"]


def test_redoc_page_lets_images_load_from_this_origin_only() -> None:
    # ReDoc 2 always renders a logo from its vendor's CDN; the browser must not fetch it.
    with TestClient(docs_app()) as client:
        redoc = client.get("/redoc")
    assert redoc.headers["content-security-policy"] == "img-src 'self' data:"


def test_oauth2_redirect_page_is_served_and_prefixed() -> None:
    with TestClient(docs_app()) as client:
        redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "oauth2" in redirect.text
    with lambda_fetch(docs_app()) as (fetch, prefix):
        assert f"'{prefix}/docs/oauth2-redirect'" in fetch(f"{prefix}/docs").text


@pytest.mark.parametrize(
    "path", ["/docs-assets/core.py", "/docs-assets/..%2Fcore.py", "/docs-assets/%2E%2E"]
)
def test_only_the_bundled_files_are_served(path: str) -> None:
    with TestClient(docs_app()) as client:
        assert client.get(path).status_code == 404


def test_docs_routes_stay_out_of_the_schema() -> None:
    with TestClient(docs_app()) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert list(paths) == ["/api/v1/users"]


def test_an_app_with_cdn_docs_is_refused() -> None:
    with pytest.raises(ValueError, match="docs_url=None"):
        install_api_docs(FastAPI())


def test_without_a_schema_there_are_no_docs() -> None:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    install_api_docs(app)
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404


def test_importing_the_module_leaves_the_asset_package_unimported() -> None:
    code = (
        "import sys, handler.platform.http.api_docs\n"
        "assert 'fastapi_offline' not in sys.modules, 'imported at import time'\n"
    )
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
