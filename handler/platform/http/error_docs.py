"""The OpenAPI schema says what each route can answer, in the app's one error shape.

FastAPI documents a route's success and, when it takes parameters, a 422 in its own
`{"detail": [...]}` shape. The app answers more, and in its own shape, so every operation
gets, as a shared `Error` component:

- 500, which any route can answer;
- 400 (a body that cannot be parsed) and 413 (a body over the limit) on routes that take
  a body;
- what its dependencies can answer: a dependency declares it with `declare_errors`
  (`rate_limit()`: 429 and 503; `TasksDep`: 503);
- a route's own errors, with `responses={418: openapi_error("...")}` on its decorator.

`Retry-After` is documented where the answer carries it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "path"],
    "properties": {
        "error": {"type": "string", "title": "Error", "description": "what went wrong"},
        "path": {"type": "string", "title": "Path", "description": "the request URL"},
        "detail": {"title": "Detail", "description": "more, when there is more to say"},
    },
}
RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}

# Dependencies (their callables) and the errors they can answer: status -> response object.
_DECLARED: dict[Callable[..., Any], dict[int, dict[str, Any]]] = {}
# Dependencies that read a credential without requiring one, and the OpenAPI security
# requirement that says so (`{}` among the alternatives: anonymous is allowed too).
_OPTIONAL_SECURITY: dict[Callable[..., Any], list[dict[str, list[str]]]] = {}
_REQUIRED_SECURITY: set[Callable[..., Any]] = set()


def openapi_error(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    """An OpenAPI response object answering the `Error` shape."""
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if retry_after:
        response["headers"] = RETRY_AFTER
    return response


def declare_errors(dependency: Callable[..., Any], responses: Mapping[int, dict[str, Any]]) -> None:
    """Every route that depends on `dependency` documents these answers."""
    _DECLARED.setdefault(dependency, {}).update(responses)


def declare_security(
    dependency: Callable[..., Any], *, optional: list[dict[str, list[str]]] | None = None
) -> None:
    """`optional`: the requirement of a route whose only credential dependency is this
    one (FastAPI would declare the scheme as required). Without it, the dependency
    requires a credential and FastAPI's own requirement stands."""
    if optional is None:
        _REQUIRED_SECURITY.add(dependency)
    else:
        _OPTIONAL_SECURITY[dependency] = optional


def install_error_docs(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = _validation_error_schema()
        for route in _api_routes(app):
            _document(schema["paths"].get(route.path_format, {}), route)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every documented route, with its router's prefix and dependencies applied.
    FastAPI >= 0.150 keeps included routers nested; `iter_route_contexts` flattens them
    as FastAPI's own schema generation does."""
    contexts = getattr(routing, "iter_route_contexts", None)
    routes: Iterable[Any] = contexts(app.routes) if contexts else app.routes
    for route in routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute) and route.include_in_schema:
            yield route


def _document(path_item: dict[str, Any], route: Any) -> None:
    responses = {500: openapi_error("Internal server error: nothing about why")}
    if getattr(route, "original_route", route).body_field is not None:
        responses[400] = openapi_error("The body could not be parsed (not UTF-8, say)")
        responses[413] = openapi_error("The body is over the size limit")
    calls = {d.call for d in _dependants(route.dependant) if d.call is not None}
    for call in calls:
        responses.update(_DECLARED.get(call, {}))
    optional = [_OPTIONAL_SECURITY[call] for call in calls if call in _OPTIONAL_SECURITY]
    for method in route.methods or ():
        operation = path_item.get(method.lower())
        if operation is None:
            continue
        if optional and not calls & _REQUIRED_SECURITY:
            operation["security"] = optional[0]
        answers = operation.setdefault("responses", {})
        for status, response in sorted(responses.items()):
            answers.setdefault(str(status), response)


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    for child in dependant.dependencies:
        yield child
        yield from _dependants(child)


def _validation_error_schema() -> dict[str, Any]:
    """FastAPI documents 422 as `{"detail": [...]}`; this is the shape the app answers."""
    return {
        "title": "HTTPValidationError",
        "type": "object",
        "required": ["error", "path", "detail"],
        "properties": {
            "error": {"type": "string", "title": "Error", "example": "Validation error"},
            "path": {"type": "string", "title": "Path", "description": "the request URL"},
            "detail": {
                "type": "array",
                "title": "Detail",
                "items": {"$ref": "#/components/schemas/ValidationError"},
            },
        },
    }
