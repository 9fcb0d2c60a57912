"""One limit on request bodies for every route, enforced while the body is received.

Every route takes at most ``settings.max_body_bytes``; a route that needs more (alert intake, plans)
says so with ``@body_limit(n)`` under its route decorator. The limit is checked when the app first
asks for the body, before any of it is read or parsed: a declared ``Content-Length`` above it is
refused at once, and a body without one (chunked) is counted as it arrives and refused as soon as it
passes the limit. The answer is 413 with the JSON error envelope (``BodyTooLarge`` is an
``HTTPException``, so FastAPI's body parsing lets it through to the app's handler).

A pure ASGI middleware, like ``eventguard.app.RequestIds``; the route is looked up by the router
before the body is read, so the limit of the route is known by then (``scope["endpoint"]``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventguard.deps import request_language
from eventguard.errors import error_body
from eventguard.i18n import t

_ATTRIBUTE = "eventguard_max_body_bytes"
F = TypeVar("F", bound=Callable[..., object])


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Give one route its own body limit (put it under the route decorator)."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _ATTRIBUTE, max_bytes)
        return endpoint

    return mark


def route_limit(scope: Scope, default: int) -> int:
    """The body limit of the route the router chose (``default`` for routes without their own)."""
    found = getattr(scope.get("endpoint"), _ATTRIBUTE, None)
    return found if isinstance(found, int) else default


class BodyTooLarge(HTTPException):
    """The request body is over the route's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"The request body is larger than {limit} bytes.")
        self.limit = limit


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    """Pure ASGI middleware (see the module docstring); ``default`` is ``settings.max_body_bytes``."""

    def __init__(self, app: ASGIApp, default: int) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = 0  # known once the app first asks for the body (the route is chosen by then)
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal limit, received
            if not limit:
                limit = route_limit(scope, self.default)
                declared = _declared_length(scope)
                if declared is not None and declared > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge as exc:
            # Routes answer it through the app's handler; this is for a body read outside a route.
            if started:
                raise
            await too_large_response(Request(scope), exc)(scope, receive, send)


def too_large_response(request: Request, exc: BodyTooLarge) -> JSONResponse:
    """The 413 answer in the JSON error envelope."""
    message = t("The request body is larger than {limit} bytes.", request_language(request), limit=exc.limit)
    body = error_body("payload_too_large", message, {"limit": exc.limit})
    return JSONResponse(body, status_code=413, headers={"Connection": "close"})
