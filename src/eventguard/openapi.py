"""The error answers in the OpenAPI document, as they are: the JSON envelope ``{"error": {...}}``.

Some answers follow from how a route is built, and are declared from that when the document is
made (``install``): 401 and 403 on every route that authenticates (a dependency marked with
``@authenticates``, the auth domain's ``get_enrolling_principal``, is among its dependencies —
missing or bad credentials, a cross-origin cookie write, two-factor still to set up, a role below
the route's), 413 on every route that takes a body (every body has a limit,
``eventguard.bodylimit``), and 422 in the envelope rather than FastAPI's ``{"detail": [...]}``. The
rest depend on what a route does and are declared with ``responses=errors(404, 409, …)`` on the
router or the route."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable reason, e.g. `event_not_found`.")
    message: str = Field(description="For people, in the request's language (zh-CN or en).")
    details: Any = Field(
        default=None, description="Facts about the error (the fields at fault, a limit, `retry_after` …)."
    )


class ErrorEnvelope(BaseModel):
    """Every error answer."""

    error: ErrorBody


DESCRIPTIONS = {
    400: "Malformed: the body is not JSON, is nested too deep, or is not a valid payload of its format.",
    401: "Not authenticated: no credentials, or an unknown, expired or revoked token.",
    403: "Not allowed: the role or token does not permit it, a cross-origin cookie write, or "
    "two-factor authentication still to set up.",
    404: "Not found (the event, incident or other item in the path or body).",
    409: "Conflicts with the current state (e.g. a closed incident, a name in use).",
    413: "The request body is larger than the route's limit (`details.limit`).",
    422: "The request does not match the expected shape, or a value is not acceptable.",
    429: "Too many failed attempts; `Retry-After` and `details.retry_after` say when to try again.",
    503: "Not ready: the database does not answer or its migrations are pending.",
}
_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of routes or routers that answer these errors."""
    return {status: {"model": ErrorEnvelope, "description": DESCRIPTIONS[status]} for status in statuses}


_PAGE = {"schema": {"type": "string"}}


def page_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of the public HTML routes whose errors are pages for people (``text/html``);
    a request the route cannot even read (413, a malformed form) still answers the JSON envelope."""
    return {
        status: {
            "description": DESCRIPTIONS[status],
            "content": {"application/json": {"schema": _REF}, "text/html": _PAGE},
        }
        for status in statuses
    }


_AUTHENTICATING: set[Callable[..., Any]] = set()
F = TypeVar("F", bound=Callable[..., Any])


def authenticates(dependency: F) -> F:
    """Marks a FastAPI dependency that authenticates: routes depending on it answer 401 and 403."""
    _AUTHENTICATING.add(dependency)
    return dependency


def _authenticates(dependant: Dependant) -> bool:
    return any(dep.call in _AUTHENTICATING or _authenticates(dep) for dep in dependant.dependencies)


def _answer(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": _REF}}}


def declare_errors(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add the errors that follow from how each route is built (see the module docstring)."""
    from fastapi.routing import iter_route_contexts

    components = document.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs", {}))
    components["ErrorEnvelope"] = envelope
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        operations = document["paths"].get(getattr(route, "path_format", None) or "", {})
        if dependant is None or not getattr(route, "include_in_schema", False):
            continue
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            answers = operation.setdefault("responses", {})
            if _authenticates(dependant):
                answers.setdefault("401", _answer(401))
                answers.setdefault("403", _answer(403))
            if "requestBody" in operation:
                answers.setdefault("413", _answer(413))
                answers.setdefault("422", _answer(422))  # a body that is not JSON, whatever the route
            if "{" in (getattr(route, "path_format", None) or ""):  # a path naming what may not exist
                answers.setdefault("404", _answer(404))
            if "422" in answers:
                page = answers["422"].get("content", {}).get("text/html") == _PAGE
                answers["422"] = _answer(422)
                if page:
                    answers["422"]["content"]["text/html"] = _PAGE
            for answer in answers.values():  # errors are JSON, whatever the route's own media type
                content = answer.get("content", {})
                if _REF in (media.get("schema") for media in content.values()):
                    pages = {"text/html": _PAGE} if content.get("text/html") == _PAGE else {}
                    answer["content"] = {"application/json": {"schema": _REF}, **pages}
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 shape, no longer answered
        if f'"#/components/schemas/{name}"' not in json.dumps(document):
            components.pop(name, None)
    return document


def install(app: FastAPI) -> None:
    """Make the app's OpenAPI document declare its error answers."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return declare_errors(app, generate())  # idempotent on the document FastAPI keeps

    app.openapi = openapi  # type: ignore[method-assign]
