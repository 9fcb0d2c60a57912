"""Alert intake endpoints (Alertmanager, Grafana, PagerDuty Events v2, generic JSON) and the
management of integrations. Every accepted alert is committed before the 2xx answer."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from eventguard.alerts import integrations
from eventguard.alerts import service as alerts
from eventguard.alerts.formats.base import PayloadInvalid
from eventguard.alerts.formats.grafana import verify_grafana_hmac
from eventguard.alerts.formats.pagerduty import pagerduty_error_body, pagerduty_success_body
from eventguard.alerts.groupcommit import GroupCommitter, IntakeRequest
from eventguard.alerts.models import Integration
from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.bodylimit import BodyTooLarge, body_limit
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import (
    EventGuardError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.inputs import Id, SafeStr

MAX_BODY = 16 * 1024 * 1024
GRAFANA_TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"

router = APIRouter(prefix="/api/v1", tags=["alert intake"])
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


class IntakeAccepted(BaseModel):
    status: str = "accepted"
    alerts: int
    incidents: list[int]
    batch_id: int


async def _raw_body(request: Request) -> bytes:
    """The body, at most MAX_BODY bytes: the intake routes' own limit (``body_limit``), which
    ``eventguard.bodylimit`` enforces before the body is read."""
    try:
        return await request.body()
    except BodyTooLarge as exc:
        raise PayloadTooLarge(
            Message("The request body is larger than {limit} bytes.", {"limit": exc.limit})
        ) from exc


class MalformedBody(InvalidInput):
    """A body that cannot be read as JSON: a 400, like every malformed intake body (one rule for the
    four routes, docs/integrations.md)."""

    status_code = 400


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # Recursion: nested too deep
        error = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise MalformedBody(
            Message("The body is not valid JSON: {error}", {"error": error}), code="invalid_json"
        ) from exc


def _token_from_headers(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":  # Grafana and Alertmanager can send basic auth: the password is the token
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _committer(request: Request) -> GroupCommitter:
    committer: GroupCommitter = request.app.state.intake
    return committer


def _accepted(result: alerts.IngestResult) -> IntakeAccepted:
    return IntakeAccepted(alerts=result.accepted, incidents=result.incident_ids, batch_id=result.batch_id)


async def _submit(
    request: Request, kind: str, check: Callable[[Integration], None] | None = None
) -> IntakeAccepted:
    body = await _raw_body(request)
    intake = IntakeRequest(
        token=_token_from_headers(request),
        kind=kind,
        payload=lambda: _decode(body),
        check=check,
        size=len(body),
    )
    return _accepted(await _committer(request).submit(intake))


@router.post("/integrations/alertmanager", response_model=IntakeAccepted)
@body_limit(MAX_BODY)
async def alertmanager(request: Request) -> IntakeAccepted:
    """Prometheus Alertmanager webhook (payload version 4), authenticated by the integration token."""
    return await _submit(request, "alertmanager")


@router.post("/integrations/grafana", response_model=IntakeAccepted)
@body_limit(MAX_BODY)
async def grafana(request: Request, clock: ClockDep) -> IntakeAccepted:
    """Grafana unified alerting webhook; its HMAC signature is verified when the integration has a secret."""
    body = await _raw_body(request)
    headers, received = request.headers, clock.now()

    def verify(integration: Integration) -> None:
        if integration.hmac_secret is None:
            return
        timestamp_header = GRAFANA_TIMESTAMP_HEADER if GRAFANA_TIMESTAMP_HEADER in headers else None
        if not verify_grafana_hmac(body, headers, integration.hmac_secret, timestamp_header, received):
            raise Unauthorized(Message("The Grafana signature does not match."), code="bad_signature")

    return await _submit(request, "grafana", verify)


@router.post("/integrations/generic", response_model=IntakeAccepted)
@body_limit(MAX_BODY)
async def generic(request: Request) -> IntakeAccepted:
    """EventGuard's own simple JSON alert (docs/integrations.md)."""
    return await _submit(request, "generic")


def _pd_error(status: int, errors: list[str], state: str = "invalid event") -> JSONResponse:
    message = "Event object is invalid" if state == "invalid event" else state
    return JSONResponse({"status": state, "message": message, "errors": errors}, status_code=status)


@router.post("/integrations/pagerduty/v2/enqueue", status_code=202)
@body_limit(MAX_BODY)
async def pagerduty_enqueue(request: Request) -> JSONResponse:
    """PagerDuty Events API v2 compatible: trigger / acknowledge / resolve by ``dedup_key``; the
    ``routing_key`` is the integration token. Answers in PagerDuty's shapes (202, 400 with ``errors``)."""
    try:
        body = await _raw_body(request)
        payload = _decode(body)
    except InvalidInput:
        return _pd_error(400, ["JSON parse error"], state="invalid request")
    except PayloadTooLarge:
        return _pd_error(413, ["Payload too large"], state="invalid request")
    routing_key = payload.get("routing_key") if isinstance(payload, dict) else None
    intake = IntakeRequest(
        token=routing_key if isinstance(routing_key, str) else None,
        kind="pagerduty",
        payload=lambda: payload,
        size=len(body),
    )
    try:
        result = await _committer(request).submit(intake)
    except PayloadInvalid as exc:
        return JSONResponse(pagerduty_error_body(exc), status_code=400)
    except EventGuardError as exc:
        return _pd_error(exc.status_code, [exc.message], state="invalid event")
    # One event per request: its dedup key is the sender's, or the one generated for a keyless trigger.
    return JSONResponse(pagerduty_success_body(result.fingerprints[0]), status_code=202)


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=120)
    kind: SafeStr = Field(description="alertmanager, grafana, pagerduty, generic, or a plugin's format.")
    hmac_secret: SafeStr | None = Field(default=None, max_length=128, description="Grafana HMAC secret.")


@router.post("/events/{slug}/integrations", status_code=201)
def create_integration(
    slug: str, body: IntegrationCreate, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Create an integration for the event; the token is in this answer only."""
    event = events.get_by_slug(db=db, slug=slug)
    integration, token = integrations.create(
        db=db,
        event=event,
        name=body.name,
        kind=body.kind,
        actor=principal.actor,
        clock=clock,
        hmac_secret=body.hmac_secret,
    )
    db.commit()
    return {**integrations.public_view(integration), "token": token, "endpoint": _endpoint(integration.kind)}


def _endpoint(kind: str) -> str:
    return (
        "/api/v1/integrations/pagerduty/v2/enqueue" if kind == "pagerduty" else f"/api/v1/integrations/{kind}"
    )


@router.get("/events/{slug}/integrations")
def list_integrations(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[dict[str, Any]]:
    """The event's integrations (never their tokens)."""
    event = events.get_by_slug(db=db, slug=slug)
    return [
        {**integrations.public_view(i), "endpoint": _endpoint(i.kind)}
        for i in integrations.list_for_event(db=db, event_id=event.id)
    ]


@router.delete("/events/{slug}/integrations/{integration_id}")
def revoke_integration(
    slug: str, integration_id: Id, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Revoke an integration's token; its sender is refused from now on."""
    event = events.get_by_slug(db=db, slug=slug)
    integration = integrations.revoke(
        db=db, integration_id=integration_id, actor=principal.actor, clock=clock
    )
    if integration.event_id != event.id:  # raising rolls the revocation back
        raise NotFound(Message("No integration {id}.", {"id": integration_id}), code="integration_not_found")
    db.commit()
    return integrations.public_view(integration)
