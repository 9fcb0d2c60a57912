"""Drills in the console: the plan's drills and their runs per event, starting a run (a live one
injects its due steps through the real intake journal at once, as ``eventguard drill run`` does; the
worker injects the later ones as they fall due), the facilitator's view of a tabletop run (step
through the questions, record answers and ratings), finishing or cancelling a run, and the
evaluation report as HTML (objectives, scores per target and per team, strengths, gaps, action
items, timeline) with action items made from its gaps.

Every form is role-checked on the server, CSRF-checked and answered with a redirect back; a refused
action comes back to its page with the error shown there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.drills import report, scoring, service
from eventguard.drills.models import DrillRun, DrillStatus
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import Message, t
from eventguard.inputs import FormText
from eventguard.plans.schemas import Drill, PlanSpec
from eventguard.reviews import service as reviews
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may, parse_id, require, require_signed_in
from eventguard.web.pages import page_language, render
from eventguard.web.prepare_common import event_and_plan

router = APIRouter(include_in_schema=False)

RATINGS = (2, 1, 0)  # as the plan expects, partly, missed


def parse_due_date(value: str, timezone: str) -> datetime:
    """A date input (``2026-06-12``): due at the end of that day in the event's time zone."""
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(Message("The due date is not a valid date."), code="invalid_due_date") from None
    return datetime.combine(day, time(23, 59), tzinfo=ZoneInfo(timezone))


def mode_label(mode: str, lang: str) -> str:
    return t("Live drill (injected)", lang) if mode == "live" else t("Tabletop exercise", lang)


def parse_rating(value: str) -> int:
    if value.strip() not in ("0", "1", "2"):
        raise InvalidInput(Message("A rating is 0, 1 or 2."), code="invalid_rating")
    return int(value)


def _card(db: Session, run: DrillRun) -> scoring.Scorecard:
    if run.status is DrillStatus.finished:
        return scoring.Scorecard.from_dict(run.scorecard)
    return service.score(db=db, run=run)


def _back(url: str, error: str | None) -> str:
    if not error:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}error={quote(error)}"


def run_act(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    csrf_token: str,
    run_id: str,
    minimum: Role,
    work: Callable[[Principal, DrillRun], str | None],
    page: str = "",
) -> Response:
    """Run ``work(principal, run)`` on the locked run; back to the run's page (or its ``page``,
    e.g. ``/report``; ``work`` may name another), with the error shown there when it was refused."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    back = f"/drills/{parse_id(run_id)}{page}"
    try:
        require(principal, minimum)
        csrf.verify(request, csrf_token, settings)
        run = service.get(db=db, run_id=parse_id(run_id), for_update=True)
        target = work(principal, run) or back
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return RedirectResponse(_back(back, exc.render(lang)), status_code=303)
    return RedirectResponse(target, status_code=303)


# --- The drills of an event -----------------------------------------------------------------------


@router.get("/events/{slug}/drills", response_class=HTMLResponse)
def drills_page(
    request: Request, slug: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The plan's drills (what each rehearses, its mode, steps and targets) and the event's runs."""
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    runs = service.list_runs(db=db, event_id=event.id)
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "drills": spec.drills,
        "runs": runs,
        "drill_names": {drill.id: drill.name.get(lang) for drill in spec.drills},
        "running": {run.drill_id: run.id for run in runs if run.status is DrillStatus.running},
        "scenario_name": lambda scenario_id: _scenario_name(spec, scenario_id, lang),
        "can_start": may(principal, Role.commander),
        "error": request.query_params.get("error"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
        "mode_name": lambda mode: mode_label(mode, lang),
    }
    return token.bind(render(request, "after/drills.html", context))


def _scenario_name(spec: PlanSpec, scenario_id: str, lang: str) -> str:
    scenario = spec.scenario(scenario_id)
    return scenario.name.get(lang) if scenario else scenario_id


@router.post("/events/{slug}/drills/{drill_id}/start")
def start_drill(
    request: Request,
    slug: str,
    drill_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Start a run of the plan's drill (commander and up); a live run's steps due now are written
    to the intake journal in the same transaction, the worker writes the later ones."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    back = f"/events/{slug}/drills"
    try:
        require(principal, Role.commander)
        csrf.verify(request, csrf_token, settings)
        event = events.get_by_slug(db=db, slug=slug)
        run = service.start(db=db, event=event, drill_id=drill_id, actor=principal.actor, clock=clock)
        if run.mode == "live":
            service.inject_due(db=db, clock=clock)
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code == 403:
            return error_page(request, exc.status_code, exc.render(lang))
        return RedirectResponse(_back(back, exc.render(lang)), status_code=303)
    return RedirectResponse(f"/drills/{run.id}", status_code=303)


@router.post("/events/{slug}/drills/{drill_id}/plan")
def plan_drill(
    request: Request,
    slug: str,
    drill_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Plan a run of the plan's drill (commander and up): listed as planned until someone starts it."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    back = f"/events/{slug}/drills"
    try:
        require(principal, Role.commander)
        csrf.verify(request, csrf_token, settings)
        event = events.get_by_slug(db=db, slug=slug)
        service.plan(db=db, event=event, drill_id=drill_id, actor=principal.actor, clock=clock)
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code == 403:
            return error_page(request, exc.status_code, exc.render(lang))
        return RedirectResponse(_back(back, exc.render(lang)), status_code=303)
    return RedirectResponse(f"{back}#runs-heading", status_code=303)


@router.post("/drills/{run_id}/start")
def start_planned(
    request: Request,
    run_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Start a planned run now (commander and up); a live one's due steps go in at once."""

    def work(principal: Principal, run: DrillRun) -> str | None:
        service.start_planned(db=db, run=run, actor=principal.actor, clock=clock)
        if run.mode == "live":
            service.inject_due(db=db, clock=clock)
        return None

    return run_act(request, db, clock, settings, csrf_token, run_id, Role.commander, work)


# --- One run: the facilitator's view, the live progress, the scorecard -----------------------------


def _run_context(
    request: Request, db: Session, run: DrillRun, lang: str
) -> tuple[Event, PlanSpec, Drill, dict[str, Any]]:
    event = events.get(db=db, event_id=run.event_id)
    spec = service.spec_of(db, run)
    drill = service.drill_of(spec, run.drill_id)
    card = _card(db, run)
    context: dict[str, Any] = {
        "event": event,
        "spec": spec,
        "drill": drill,
        "run": run,
        "card": card,
        "title_of": lambda criterion: report.criterion_title(criterion, lang),
        "minutes": report.minutes,
        "verdict": report.verdict(card, lang),
        "mode_name": mode_label(run.mode, lang),
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
        "team_name": lambda team_id: _team_name(spec, team_id, lang),
    }
    return event, spec, drill, context


def _team_name(spec: PlanSpec, team_id: str | None, lang: str) -> str:
    if not team_id:
        return "—"
    team = spec.team(team_id)
    return team.name.get(lang) if team else team_id


@router.get("/drills/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request, run_id: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    """A run: for a running tabletop drill the facilitator's view (``?step=N``); for a live one its
    injections and incidents; the scorecard as it stands (kept once finished)."""
    lang = page_language(request)
    try:
        run = service.get(db=db, run_id=parse_id(run_id))
        _event, spec, drill, context = _run_context(request, db, run, lang)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    answers = {answer.position: answer for answer in service.answers(db=db, run_id=run.id)}
    steps = list(enumerate(drill.steps, start=1))
    unanswered = [position for position, _step in steps if position not in answers]
    wanted = parse_id(request.query_params.get("step", ""))
    current = wanted if 1 <= wanted <= len(steps) else (unanswered[0] if unanswered else 1)
    token = csrf.FormToken(request, settings)
    context.update(
        {
            "user": principal.user,
            "steps": steps,
            "answers": answers,
            "current": current,
            "step": drill.steps[current - 1] if steps else None,
            "answer": answers.get(current),
            "ratings": RATINGS,
            "teams": [team for team in spec.teams if not drill.teams or team.id in drill.teams],
            "injections": service.injections(db=db, run_id=run.id),
            "incidents": service.run_incidents(db=db, run=run),
            "can_answer": may(principal, Role.responder) and run.status is DrillStatus.running,
            "can_finish": may(principal, Role.commander) and run.status is DrillStatus.running,
            "can_start": may(principal, Role.commander) and run.status is DrillStatus.planned,
            "error": request.query_params.get("error"),
            "csrf": token.value,
        }
    )
    return token.bind(render(request, "after/drill_run.html", context))


@router.post("/drills/{run_id}/answers")
def record_answer(
    request: Request,
    run_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    position: FormText = "",
    answer: FormText = "",
    rating: FormText = "",
    team: FormText = "",
) -> Response:
    """Record (or correct) the answer to a tabletop question with its rating (responder and up);
    on to the next step."""

    def work(principal: Principal, run: DrillRun) -> str | None:
        number = parse_id(position)
        service.record_answer(
            db=db,
            run=run,
            spec=service.spec_of(db, run),
            position=number,
            answer=answer,
            rating=parse_rating(rating),
            team=team or None,
            actor=principal.actor,
            clock=clock,
        )
        steps = len(service.drill_of(service.spec_of(db, run), run.drill_id).steps)
        return f"/drills/{run.id}?step={min(number + 1, steps)}"

    return run_act(request, db, clock, settings, csrf_token, run_id, Role.responder, work)


@router.post("/drills/{run_id}/finish")
def finish_run(
    request: Request,
    run_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    notes: FormText = "",
) -> Response:
    """Finish the run (commander and up): score it, resolve its drill incidents; on to the report."""

    def work(principal: Principal, run: DrillRun) -> str | None:
        service.finish(db=db, run=run, notes=notes or None, actor=principal.actor, clock=clock)
        return f"/drills/{run.id}/report"

    return run_act(request, db, clock, settings, csrf_token, run_id, Role.commander, work)


@router.post("/drills/{run_id}/cancel")
def cancel_run(
    request: Request,
    run_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Stop the run without a score (commander and up)."""

    def work(principal: Principal, run: DrillRun) -> str | None:
        service.cancel(db=db, run=run, actor=principal.actor, clock=clock)
        return None

    return run_act(request, db, clock, settings, csrf_token, run_id, Role.commander, work)


# --- The evaluation report --------------------------------------------------------------------------


@router.get("/drills/{run_id}/report", response_class=HTMLResponse)
def report_page(
    request: Request, run_id: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The evaluation report as HTML: the content of the Markdown report (``eventguard drill
    report``), with a form to turn a gap into an action item."""
    lang = page_language(request)
    try:
        run = service.get(db=db, run_id=parse_id(run_id))
        event, spec, _drill, context = _run_context(request, db, run, lang)
        evaluation = report.evaluate(db=db, run=run, language=lang)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    items = [item for item in reviews.list_items(db=db, event_id=event.id) if item.drill_run_id == run.id]
    token = csrf.FormToken(request, settings)
    context.update(
        {
            "user": principal.user,
            "evaluation": evaluation,
            "items": items,
            "teams": spec.teams,
            "can_add": may(principal, Role.responder),
            "error": request.query_params.get("error"),
            "csrf": token.value,
        }
    )
    return token.bind(render(request, "after/drill_report.html", context))


@router.post("/drills/{run_id}/action-items")
def add_action_item(
    request: Request,
    run_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    title: FormText = "",
    owner_team: FormText = "",
    due: FormText = "",
) -> Response:
    """An action item from the report (a gap to close), owned by a team, due on a date (responder
    and up)."""

    def work(principal: Principal, run: DrillRun) -> str | None:
        event = events.get(db=db, event_id=run.event_id)
        reviews.add_drill_item(
            db=db,
            event_id=run.event_id,
            drill_run_id=run.id,
            incident_id=_card(db, run).incident_id,
            title=title,
            owner_team=owner_team,
            due_at=parse_due_date(due, event.timezone),
            actor=principal.actor,
            clock=clock,
        )
        return f"/drills/{run.id}/report#action-items"

    return run_act(request, db, clock, settings, csrf_token, run_id, Role.responder, work, "/report")
