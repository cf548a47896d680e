"""`/docs` (Swagger UI) and `/redoc` (ReDoc) served without a CDN, under any stage prefix.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc its fonts from
Google): offline, or on a network that blocks those hosts, they are blank. The assets
come from the `fastapi-offline` package, which bundles and updates them, but not
through its `FastAPIOffline()` factory: that builds the FastAPI object itself (the
composition root builds ours), and its Swagger page leaves the OAuth2 redirect URL
without the `root_path`. So the pages are FastAPI's own HTML functions pointed at
`/docs-assets/`, a small route that answers only the bundled file names.

Every URL in the HTML carries the request's `root_path`: behind an API Gateway stage,
`/prod/docs` loads `/prod/openapi.json` and `/prod/docs-assets/...`. The package is
only located (not imported) when the first asset is asked for, and each file is read
from disk per request, so neither import nor cold start pays for the 2.8 MB of assets.
ReDoc's page carries a Content-Security-Policy so its vendor logo (a CDN image it
always renders) is never fetched.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import Request

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs-assets"
ASSETS_PACKAGE = "fastapi-offline"
# The files the pages use, and the only names the asset route answers.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
# Asset URLs carry the package version, so browsers may keep a file until it changes.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Swagger UI's validator badge would fetch an image from validator.swagger.io.
SWAGGER_DEFAULTS: dict[str, Any] = {"validatorUrl": None}
# ReDoc 2 always shows an "API docs by Redocly" logo from cdn.redoc.ly, with no option to
# turn it off: the page lets the browser load images from this origin only (so images in
# an operation's description must be served by the app too).
REDOC_CSP = "img-src 'self' data:"


def install_api_docs(app: FastAPI) -> None:
    """Add `/docs`, its OAuth2 redirect page, `/redoc` and `/docs-assets/{name}` to `app`,
    none of them in the schema. The app must be built with `docs_url=None, redoc_url=None`
    (FastAPI's CDN pages would otherwise answer first); without an OpenAPI URL, nothing
    is added, as FastAPI does."""
    if app.docs_url is not None or app.redoc_url is not None:
        raise ValueError("build the app with docs_url=None, redoc_url=None")
    openapi_url = app.openapi_url
    if openapi_url is None:
        return
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=_asset_url(root, "swagger-ui-bundle.js"),
            swagger_css_url=_asset_url(root, "swagger-ui.css"),
            swagger_favicon_url=_asset_url(root, "favicon.png"),
            oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters={**SWAGGER_DEFAULTS, **(app.swagger_ui_parameters or {})},
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=_asset_url(root, "redoc.standalone.js"),
            redoc_favicon_url=_asset_url(root, "favicon.png"),
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = REDOC_CSP
        return page

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    if oauth2_redirect_url:
        app.add_route(oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    app.add_route(f"{ASSETS_URL}/{{name}}", docs_asset, include_in_schema=False)


async def docs_asset(request: Request) -> FileResponse:
    """One bundled file by name; any other name is a 404."""
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, f"No docs asset named {name!r}")
    return FileResponse(
        _assets_dir() / name,
        media_type=media_type,
        headers={"Cache-Control": ASSET_CACHE_CONTROL},
    )


def _root_path(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _asset_url(root: str, name: str) -> str:
    return f"{root}{ASSETS_URL}/{name}?v={_assets_version()}"


@cache
def _assets_version() -> str:
    return version(ASSETS_PACKAGE)


@cache
def _assets_dir() -> Path:
    # find_spec locates the package without importing it (its __init__ imports more).
    spec = find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{ASSETS_PACKAGE} is not installed (a runtime dependency)")
    return Path(spec.origin).parent / "static"
