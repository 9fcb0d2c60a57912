"""Alert intake: ``POST /api/v1/integrations/{kind}`` for every registered alert format (built-in
or a plugin's), and ``/integrations/pagerduty/v2/enqueue`` as PagerDuty's own path. The request is
accepted (authenticated, checked, journaled durably) before its answer and processed afterwards
(alerts/journal/). No log line per request: counters in /metrics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from eventguard.alerts.journal import metrics
from eventguard.alerts.journal import process as journal
from eventguard.alerts.journal.accept import Accepter
from eventguard.audit import service as audit
from eventguard.auth.deps import Principal, require_role
from eventguard.auth.models import Role
from eventguard.bodylimit import BodyTooLarge, body_limit
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import EventGuardError, PayloadTooLarge
from eventguard.i18n import Message
from eventguard.inputs import Id
from eventguard.openapi import errors

MAX_BODY = 16 * 1024 * 1024

router = APIRouter(prefix="/api/v1", tags=["alert intake"])


def accepter_of(request: Request) -> Accepter:
    accepter: Accepter = request.app.state.accepter
    return accepter


async def _body(request: Request) -> bytes:
    try:
        return await request.body()
    except BodyTooLarge as exc:
        message = Message("The request body is larger than {limit} bytes.", {"limit": exc.limit})
        raise PayloadTooLarge(message, details={"limit": exc.limit}, code="payload_too_large") from exc


async def intake(request: Request, kind: str) -> Response:
    accepter = accepter_of(request)
    try:
        accepted = await accepter.accept(kind, await _body(request), request.headers)
    except EventGuardError as exc:
        metrics.REFUSED.labels(exc.code).inc()
        shaped = accepter.refusal(kind, exc)
        if shaped is None:
            raise
        return JSONResponse(shaped[1], status_code=shaped[0])
    metrics.ACCEPTED_REQUESTS.labels(kind).inc()
    metrics.ACCEPTED_ALERTS.labels(kind).inc(len(accepted.batch.alerts))
    status, body = accepter.answer(kind, accepted)
    return JSONResponse(body, status_code=status)


@router.post(
    "/integrations/pagerduty/v2/enqueue",
    status_code=202,
    responses={
        400: {"description": "PagerDuty's ``invalid event`` / ``invalid request`` body."},
        **errors(401, 403, 413),
    },
)
@body_limit(MAX_BODY)
async def pagerduty_enqueue(request: Request) -> Response:
    """PagerDuty Events API v2 compatible: trigger / acknowledge / resolve by ``dedup_key``; the
    ``routing_key`` is the integration token. Answers in PagerDuty's shapes (202 with the
    ``dedup_key``, 400 with ``errors``)."""
    return await intake(request, "pagerduty")


@router.post("/integrations/{kind}", responses=errors(400, 401, 403, 404, 413))
@body_limit(MAX_BODY)
async def accept(kind: str, request: Request) -> Response:
    """Alerts in the format ``kind`` (alertmanager, grafana, generic, pagerduty, or a plugin's),
    authenticated by the integration token (Bearer, or basic auth's password). Answers once the
    request is durably journaled: ``{"status": "accepted", "alerts": N, "journal_id": …}``; its
    alerts become incidents moments later (docs/integrations.md)."""
    return await intake(request, kind)


Admin = Annotated[Principal, Depends(require_role(Role.admin))]
ops = APIRouter(prefix="/api/v1/intake", tags=["alert intake"])


@ops.get("/journal", responses=errors(401, 403))
def journal_lag(_admin: Admin, db: DbSession, clock: ClockDep) -> dict[str, Any]:
    """The journal's lag: rows and alerts accepted and not processed yet, the oldest one's age in
    seconds, and the parked rows."""
    return asdict(journal.lag(db=db, clock=clock))


@ops.get("/journal/parked", responses=errors(401, 403))
def parked(_admin: Admin, db: DbSession) -> list[dict[str, Any]]:
    """Journal rows that could not be processed, newest first, with their error."""
    return journal.parked_rows(db=db)


@ops.post("/journal/{journal_id}/retry", responses=errors(401, 403, 404))
def retry(journal_id: Id, principal: Admin, request: Request, db: DbSession) -> dict[str, Any]:
    """Send a parked row back to be processed (after the cause is fixed); audited."""
    row = journal.retry(db=db, journal_id=journal_id)
    audit.record(
        db=db,
        actor=principal.actor,
        action="intake.journal.retry",
        target_type="intake_journal",
        target_id=row.id,
        after={"state": row.state},
    )
    db.commit()
    request.app.state.journal_wake.set()
    return {"id": row.id, "state": row.state}
