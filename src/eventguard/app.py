"""The FastAPI application factory: routers of every domain, the JSON error envelope, request ids."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventguard import __version__
from eventguard.alerts.journal.accept import Accepter
from eventguard.bodylimit import BodyLimit, BodyTooLarge, too_large_response
from eventguard.clock import Clock, SystemClock
from eventguard.config import Settings, get_settings
from eventguard.db import Database
from eventguard.db.engine import HTTP_THREADS
from eventguard.deps import request_language
from eventguard.errors import AnswerInstead, EventGuardError, error_body
from eventguard.i18n import t
from eventguard.logs import get_logger, request_id_var
from eventguard.security import SecurityHeaders, is_https

log = get_logger("eventguard.http")
INTAKE_PREFIX = "/api/v1/integrations/"  # accepted alerts are counted in /metrics, not logged one by one

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path takes (a path's methods may be on several routes)."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Match

    found: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        methods = route.methods
        if methods and route.matches({**request.scope, "path_params": {}})[0] is not Match.NONE:
            found.update(methods)
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return sorted(found, key=lambda m: (order.index(m) if m in order else len(order), m))


_STANDARD_MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not take the {method} method.",
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnswerInstead)
    async def _answer_instead(request: Request, exc: AnswerInstead) -> Response:
        return exc.response

    @app.exception_handler(EventGuardError)
    async def _domain_error(request: Request, exc: EventGuardError) -> JSONResponse:
        body = {"error": exc.to_dict(request_language(request))}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers() or None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        return JSONResponse(
            error_body(
                "invalid_input",
                t("The request does not match the expected shape.", request_language(request)),
                details,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyTooLarge):
            return too_large_response(request, exc)
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # A body that is not UTF-8 JSON: the same 422 as any other JSON that cannot be read.
            message = t("The request does not match the expected shape.", request_language(request))
            details = [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}]
            return JSONResponse(error_body("invalid_input", message, details), status_code=422)
        code = _HTTP_CODES.get(exc.status_code, "error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
        message = str(exc.detail)
        standard = _STANDARD_MESSAGES.get(exc.status_code)
        if standard is not None and message == HTTPStatus(exc.status_code).phrase:  # not a route's own
            message = t(standard, request_language(request), method=request.method)
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers or None)


class RequestIds:
    """Pure ASGI middleware: a request id per request (the caller's ``X-Request-ID`` when sane), in the
    logs' context and the answer's headers, and one log line per request. An unhandled error is
    logged here, once, with its request id, and answered 500 in the envelope with the id in body and
    header (nothing is re-raised to the server, which would log it again). Not Starlette's
    ``BaseHTTPMiddleware``: that runs every request in its own task group and streams, which cost the
    alert intake about a tenth of its throughput."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        responding = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responding
            if message["type"] == "http.response.start":
                status, responding = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            log.exception("unhandled_error", error=repr(exc), request_id=rid)
            if not responding:
                request = Request(scope)
                message = t("Internal error; it has been logged.", request_language(request))
                body = error_body("internal_error", message, {"request_id": rid})
                await JSONResponse(body, status_code=500)(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            if not (status < 300 and scope["path"].startswith(INTAKE_PREFIX)):  # intake: /metrics counts
                log.info(
                    "request",
                    request_id=rid,
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Sync routes and dependencies run in AnyIO's threads; the database pool is sized above their
    # number (db/engine.py), which this keeps true whatever AnyIO's default becomes.
    anyio.to_thread.current_default_thread_limiter().total_tokens = HTTP_THREADS
    yield


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own settings, database and clock."""
    settings = settings or get_settings()
    app = FastAPI(
        title="EventGuard",
        version=__version__,
        description="Emergency plans of online events, made executable.",
        # We export Prometheus metrics, not OpenTelemetry; FastAPI's per-request OTel checks cost
        # ~10 % of the status page's throughput (docs/benchmarks.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url=None,  # eventguard.apidocs serves /docs under its own security policy
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url)
    app.state.clock = clock or SystemClock()
    # Intake accepts into the journal and wakes this process's journal processor (serve runs one).
    app.state.journal_wake = threading.Event()
    app.state.accepter = Accepter(app.state.db, app.state.clock, on_commit=app.state.journal_wake.set)
    _install_error_handlers(app)
    app.add_middleware(BodyLimit, default=settings.max_body_bytes)
    app.add_middleware(RequestIds)
    app.add_middleware(SecurityHeaders, https=is_https(settings.base_url))

    from eventguard.routes import include_routers

    include_routers(app)
    return app
