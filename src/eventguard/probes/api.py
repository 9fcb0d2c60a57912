"""Probes API: an event's probes with their state and results, pause and resume (responder and
up), and the two URLs monitored systems push to with a ``probe`` integration token: heartbeats and
values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.accept import bearer_token
from eventguard.alerts.models import Integration
from eventguard.auth.deps import Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import Forbidden
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.openapi import errors
from eventguard.plans import service as plans
from eventguard.plans.types import ID_PATTERN
from eventguard.probes import service
from eventguard.probes.format import KIND
from eventguard.probes.schemas import ProbeRead, Pushed, ResultRead, ValueIn
from eventguard.probes.service import ProbeView

router = APIRouter(tags=["probes"])
Viewer = Annotated[Principal, Depends(require_role(Role.viewer))]
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
ProbePath = Annotated[str, Path(pattern=ID_PATTERN, description="The probe's id in the plan.")]


def probe_read(view: ProbeView, phase: str | None) -> ProbeRead:
    probe, state = view.probe, view.state
    target = getattr(probe, "target", None) or getattr(probe, "host", None) or getattr(probe, "name", None)
    return ProbeRead(
        id=probe.id,
        kind=probe.kind,
        target=str(target) if target is not None else None,
        status=state.status,
        firing=state.firing,
        paused=state.paused,
        paused_by=state.paused_by,
        runs_now=view.runs_now,
        interval_seconds=probe.interval_in(phase).total_seconds(),
        failures=state.failures,
        checked_at=state.checked_at,
        latency_ms=state.latency_ms,
        detail=state.detail,
    )


def _phase(db: Session, event_id: int, clock: ClockDep) -> str | None:
    return plans.current_phase(spec=plans.get_active_plan(db=db, event_id=event_id), at=clock.now())


@router.get("/api/v1/events/{slug}/probes", responses=errors(404))
def list_probes(slug: str, _viewer: Viewer, db: DbSession, clock: ClockDep) -> list[ProbeRead]:
    """Every probe of the plan in force, with its state, in plan order."""
    event = events.get_by_slug(db=db, slug=slug)
    views = service.overview(db=db, event=event, clock=clock, with_results=False)
    phase = _phase(db, event.id, clock)
    db.commit()  # the state rows of new probes
    return [probe_read(view, phase) for view in views]


@router.get("/api/v1/events/{slug}/probes/{probe_id}/results", responses=errors(404))
def probe_results(
    slug: str, probe_id: ProbePath, _viewer: Viewer, db: DbSession, clock: ClockDep
) -> list[ResultRead]:
    """The probe's newest results (at most 120), oldest first."""
    event = events.get_by_slug(db=db, slug=slug)
    view = service.view_of(db=db, event=event, probe_id=probe_id, clock=clock)
    db.commit()
    return [
        ResultRead(seq=r.seq, checked_at=r.checked_at, ok=r.ok, latency_ms=r.latency_ms, detail=r.detail)
        for r in view.results
    ]


def _pause(
    slug: str, probe_id: str, paused: bool, principal: Principal, db: Session, clock: ClockDep
) -> ProbeRead:
    event = events.get_by_slug(db=db, slug=slug)
    service.set_paused(
        db=db, event=event, probe_id=probe_id, paused=paused, actor=principal.actor, clock=clock
    )
    view = service.view_of(db=db, event=event, probe_id=probe_id, clock=clock, with_results=False)
    phase = _phase(db, event.id, clock)
    db.commit()
    return probe_read(view, phase)


@router.post("/api/v1/events/{slug}/probes/{probe_id}/pause", responses=errors(404))
def pause_probe(
    slug: str, probe_id: ProbePath, principal: Responder, db: DbSession, clock: ClockDep
) -> ProbeRead:
    """Pause a probe: no checks and no alerts until it is resumed (within the scheduler's reload,
    5 s); audited."""
    return _pause(slug, probe_id, True, principal, db, clock)


@router.post("/api/v1/events/{slug}/probes/{probe_id}/resume", responses=errors(404))
def resume_probe(
    slug: str, probe_id: ProbePath, principal: Responder, db: DbSession, clock: ClockDep
) -> ProbeRead:
    """Resume a paused probe; audited."""
    return _pause(slug, probe_id, False, principal, db, clock)


def probe_integration(request: Request, db: Session) -> Integration:
    """The ``probe`` integration of the request's Bearer token (401 without one, 403 for another kind)."""
    integration = integrations.authenticate(db=db, token=bearer_token(request.headers))
    if integration.kind != KIND:
        raise Forbidden(
            Message("This token belongs to a {kind} integration.", {"kind": integration.kind}),
            code="wrong_integration_kind",
            details={"integration_kind": integration.kind, "endpoint": KIND},
        )
    return integration


def _beat(probe_id: str, request: Request, db: Session, clock: ClockDep) -> Pushed:
    integration = probe_integration(request, db)
    state = service.beat(db=db, event_id=integration.event_id, probe_id=probe_id, clock=clock)
    db.commit()
    assert state.beat_at is not None
    return Pushed(probe=probe_id, at=state.beat_at)


@router.post("/api/v1/probes/{probe_id}/beat", responses=errors(401, 403, 404, 422))
def heartbeat(probe_id: ProbePath, request: Request, db: DbSession, clock: ClockDep) -> Pushed:
    """A heartbeat of a ``heartbeat`` probe (a dead man's switch): the job calls it every interval
    with a ``probe`` integration token (``Authorization: Bearer …``)."""
    return _beat(probe_id, request, db, clock)


@router.get("/api/v1/probes/{probe_id}/beat", responses=errors(401, 403, 404, 422))
def heartbeat_get(probe_id: ProbePath, request: Request, db: DbSession, clock: ClockDep) -> Pushed:
    """The same heartbeat as a GET, for jobs that can only fetch a URL."""
    return _beat(probe_id, request, db, clock)


@router.post("/api/v1/probes/{probe_id}/value", responses=errors(401, 403, 404, 422))
def push_value(
    probe_id: ProbePath, body: ValueIn, request: Request, db: DbSession, clock: ClockDep
) -> Pushed:
    """The current value of a ``metric_threshold`` or ``participation`` probe without a query
    (``{"value": 1234}``), with a ``probe`` integration token."""
    integration = probe_integration(request, db)
    state = service.push_value(
        db=db, event_id=integration.event_id, probe_id=probe_id, value=body.value, clock=clock
    )
    db.commit()
    assert state.value_at is not None
    return Pushed(probe=probe_id, at=state.value_at)
