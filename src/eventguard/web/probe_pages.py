"""Monitoring in the console: the probes page (each probe's newest results charted on its component
as an SVG sparkline of latency and status, pause and resume) and the content watch's moderation
queue (approve, hide, mark the sender), shown only to the moderator role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import FormText, Id
from eventguard.plans import service as plans
from eventguard.plans.types import format_duration
from eventguard.probes import service as probes
from eventguard.probes import sparkline
from eventguard.watch import service as watch
from eventguard.watch.models import HIDDEN, PENDING
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may, require
from eventguard.web.pages import page_language, render
from eventguard.web.prepare_common import act, event_and_plan

router = APIRouter(include_in_schema=False)
REVIEWS = (PENDING, "approved", HIDDEN)


def _target(probe: Any) -> str:
    value = getattr(probe, "target", None) or getattr(probe, "host", None) or getattr(probe, "name", None)
    if value is None:
        return "—"
    port = getattr(probe, "port", None)
    return f"{value}:{port}" if port else str(value)


@router.get("/events/{slug}/probes", response_class=HTMLResponse)
def probes_page(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    views = probes.overview(db=db, event=event, clock=clock)
    db.commit()  # the state rows of probes seen for the first time
    phase = plans.current_phase(spec=spec, at=clock.now())
    names = {function.id: function.name.get(lang) for function in spec.core_functions}
    components: dict[str | None, list[dict[str, Any]]] = {}
    for view in views:
        probe = view.probe
        components.setdefault(probe.component, []).append(
            {
                "probe": probe,
                "state": view.state,
                "runs_now": view.runs_now,
                "interval": format_duration(probe.interval_in(phase)),
                "target": _target(probe),
                "chart": Markup(
                    sparkline.render_svg(view.results, lang=lang, element_id=f"spark-{probe.id}")
                ),
                "summary": sparkline.summary(view.results, lang),
            }
        )
    ordered: list[tuple[str | None, str | None, list[dict[str, Any]]]] = [
        (key, names.get(key, key), rows) for key, rows in components.items() if key is not None
    ]
    if None in components:
        ordered.append((None, None, components[None]))
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "phase": phase,
        "components": ordered,
        "total": len(views),
        "failing": sum(1 for v in views if v.state.status == "down" and not v.state.paused),
        "paused": sum(1 for v in views if v.state.paused),
        "can_pause": may(principal, Role.responder),
        "can_moderate": may(principal, watch.MODERATOR),
        "error": request.query_params.get("error"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/probes.html", context))


@router.post("/events/{slug}/probes/{probe_id}")
def pause_page(
    request: Request,
    slug: str,
    probe_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    action: FormText = "",
) -> Response:
    """Pause or resume a probe (responder and up; audited)."""

    def work(principal: Any, event: Any, _spec: Any) -> None:
        if action not in ("pause", "resume"):
            raise InvalidInput(Message("Unknown action."), code="unknown_action")
        probes.set_paused(
            db=db,
            event=event,
            probe_id=probe_id,
            paused=action == "pause",
            actor=principal.actor,
            clock=clock,
        )

    return act(request, db, clock, settings, csrf_token, Role.responder, f"/events/{slug}/probes", work, slug)


@router.get("/events/{slug}/moderation", response_class=HTMLResponse)
def moderation_page(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The moderation queue; below the moderator role the page is refused (messages are private)."""
    lang = page_language(request)
    try:
        require(principal, watch.MODERATOR)
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    review = request.query_params.get("review", PENDING)
    if review not in REVIEWS:
        review = PENDING
    marked = watch.marked_senders(db=db, event=event)
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "configured": spec.content_watch is not None,
        "retention": format_duration(spec.content_watch.retention) if spec.content_watch else None,
        "review": review,
        "reviews": REVIEWS,
        "messages": watch.queue(db=db, event=event, review=review),
        "counts": watch.queue_counts(db=db, event=event),
        "marked": marked,
        "marked_names": {s.sender for s in marked},
        "error": request.query_params.get("error"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/moderation.html", context))


@router.post("/events/{slug}/moderation/messages/{message_id}")
def decide_page(
    request: Request,
    slug: str,
    message_id: Id,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    decision: FormText = "",
    review: FormText = PENDING,
) -> Response:
    """Approve or hide a queued message (audited)."""

    def work(principal: Any, event: Any, _spec: Any) -> None:
        if decision not in ("approve", "hide"):
            raise InvalidInput(Message("Unknown action."), code="unknown_action")
        watch.decide(
            db=db,
            event=event,
            message_id=message_id,
            decision="approve" if decision == "approve" else "hide",
            actor=principal.actor,
            clock=clock,
        )

    back = f"/events/{slug}/moderation?review={review if review in REVIEWS else PENDING}"
    return act(request, db, clock, settings, csrf_token, watch.MODERATOR, back, work, slug)


@router.post("/events/{slug}/moderation/senders")
def sender_page(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    sender: FormText = "",
    note: FormText = "",
    unmark: FormText = "",
) -> Response:
    """Mark a sender (every next message of theirs is queued) or take the mark away (audited)."""

    def work(principal: Any, event: Any, _spec: Any) -> None:
        if unmark:
            watch.unmark_sender(db=db, event=event, sender=sender, actor=principal.actor, clock=clock)
        else:
            watch.mark_sender(
                db=db, event=event, sender=sender, note=note, actor=principal.actor, clock=clock
            )

    return act(
        request, db, clock, settings, csrf_token, watch.MODERATOR, f"/events/{slug}/moderation", work, slug
    )
