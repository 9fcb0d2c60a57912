"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from eventguard.db.migrate import current_revision, head_revision
from eventguard.deps import get_database
from eventguard.errors import error_body
from eventguard.openapi import errors

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (no dependency is checked)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=errors(503))
def readyz(request: Request) -> dict[str, str | None] | JSONResponse:
    """Ready to serve: the database answers and its migrations are at head."""
    database = get_database(request)
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(database.engine)
    except SQLAlchemyError as exc:
        return JSONResponse(
            error_body("database_unreachable", "The database does not answer.", {"error": str(exc)[:200]}),
            status_code=503,
        )
    head = head_revision()
    if current != head:
        return JSONResponse(
            error_body(
                "migrations_pending", "Run `eventguard db upgrade`.", {"current": current, "head": head}
            ),
            status_code=503,
        )
    return {"status": "ready", "database": database.engine.dialect.name, "revision": current}
