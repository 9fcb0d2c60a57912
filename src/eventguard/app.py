"""The FastAPI application factory: routers of every domain, the JSON error envelope, request ids."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventguard import __version__
from eventguard.alerts.groupcommit import GroupCommitter
from eventguard.clock import Clock, SystemClock
from eventguard.config import Settings, get_settings
from eventguard.db import Database
from eventguard.errors import EventGuardError
from eventguard.i18n import from_accept_language, normalize_language, t
from eventguard.logs import get_logger, request_id_var

log = get_logger("eventguard.http")

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


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


LANGUAGE_COOKIE = "eg_lang"


def request_language(request: Request) -> str:
    """``?lang=``, then the console's remembered choice, then ``Accept-Language``, then the default."""
    explicit = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if explicit:
        return normalize_language(explicit)
    settings: Settings = request.app.state.settings
    return from_accept_language(request.headers.get("accept-language")) or settings.default_language


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EventGuardError)
    async def _domain_error(request: Request, exc: EventGuardError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        body = {"error": exc.to_dict(request_language(request))}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

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
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error=repr(exc))
        message = t("Internal error; it has been logged.", request_language(request))
        return JSONResponse(
            error_body("internal_error", message, {"request_id": request_id_var.get()}), status_code=500
        )


class RequestIds:
    """Pure ASGI middleware: a request id per request (the caller's ``X-Request-ID`` when sane), in the
    logs' context and the answer's headers, and one log line per request. Not Starlette's
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

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            log.info(
                "request",
                request_id=rid,
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )


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
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url)
    app.state.clock = clock or SystemClock()
    app.state.intake = GroupCommitter(app.state.db, app.state.clock)
    _install_error_handlers(app)
    app.add_middleware(RequestIds)

    from eventguard.routes import include_routers

    include_routers(app)
    return app
