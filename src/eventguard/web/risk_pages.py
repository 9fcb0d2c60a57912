"""The risk register in the console: the list (sortable, filterable) beside the 5 × 5 heat map
(server-side SVG), a risk with its history and edit form, the quantitative proposals with accept /
override, and expert review rounds with comments and sign-offs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import FormText
from eventguard.risks import assessment, heatmap, review, service
from eventguard.risks.schemas import (
    AssessmentDecision,
    ReviewEntryCreate,
    RiskCreate,
    RiskUpdate,
    RoundCreate,
)
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may, parse_id
from eventguard.web.pages import page_language, render
from eventguard.web.prepare_common import act, event_and_plan

router = APIRouter(include_in_schema=False)

SORT_COLUMNS = ("key", "category", "score", "likelihood", "impact", "status", "owner_team")


def _number(value: str | None, low: int, high: int) -> int | None:
    return int(value) if value and value.isdigit() and low <= int(value) <= high else None


def _validated(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            Message("{field}: {problem}", {"field": where, "problem": first["msg"]}), code="invalid_form"
        ) from None


@router.get("/events/{slug}/risks", response_class=HTMLResponse)
def register_page(
    request: Request, slug: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The register: filters and sorting in the query (?status=, ?category=, ?min_score=, ?sort=)."""
    lang = page_language(request)
    query = request.query_params
    try:
        event, spec = event_and_plan(db, slug)
        sort = str(query.get("sort")) if query.get("sort") in SORT_COLUMNS else "score"
        status = query.get("status") if query.get("status") in service.STATUSES else None
        category = query.get("category") if query.get("category") in service.categories(spec) else None
        rows = service.list_risks(
            db=db,
            event_id=event.id,
            status=status,
            category=category,
            min_score=_number(query.get("min_score"), 1, 25),
            likelihood=_number(query.get("likelihood"), 1, 5),
            impact=_number(query.get("impact"), 1, 5),
            sort=sort,
            descending=query.get("order", "desc" if sort in ("score", "likelihood", "impact") else "asc")
            == "desc",
        )
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    every = [row for row in service.list_risks(db=db, event_id=event.id) if row.status != "closed"]
    svg = heatmap.render_svg(every, lang=lang, link=f"/events/{slug}/risks")
    drilled = {
        row.key: service.last_drilled(db=db, event_id=event.id, scenario_id=service.drill_scenario(row))
        for row in rows
    }
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "rows": rows,
        "drilled": drilled,
        "heatmap": Markup(svg),
        "categories": service.categories(spec),
        "category_label": lambda c: service.category_label(spec, c, lang),
        "statuses": service.STATUSES,
        "filters": {
            "status": status or "",
            "category": category or "",
            "min_score": query.get("min_score", ""),
            "sort": sort,
        },
        "sort_columns": SORT_COLUMNS,
        "can_edit": may(principal, Role.responder),
        "error": query.get("error"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
        "export_query": str(request.url.query),
    }
    return token.bind(render(request, "prepare/risks.html", context))


@router.post("/events/{slug}/risks")
def add_risk(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    category: FormText = "",
    title_zh: FormText = "",
    title_en: FormText = "",
    likelihood: FormText = "",
    impact: FormText = "",
    owner_team: FormText = "",
    scenario_id: FormText = "",
    mitigation_zh: FormText = "",
    mitigation_en: FormText = "",
) -> Response:
    """Add a risk by hand (responder and up)."""

    def work(principal: Any, event: Any, spec: Any) -> str:
        data = {
            "category": category,
            "title": {"zh-CN": title_zh, "en": title_en or title_zh},
            "likelihood": likelihood,
            "impact": impact,
            "owner_team": owner_team or None,
            "scenario_id": scenario_id or None,
            "mitigation": {"zh-CN": mitigation_zh, "en": mitigation_en or mitigation_zh}
            if (mitigation_zh or mitigation_en)
            else None,
        }
        entry = service.create_risk(
            db=db,
            event_id=event.id,
            spec=spec,
            data=_validated(RiskCreate, data),
            actor=principal.actor,
            clock=clock,
        )
        return f"/events/{slug}/risks/{entry.key}"

    return act(request, db, clock, settings, csrf_token, Role.responder, f"/events/{slug}/risks", work, slug)


@router.get("/events/{slug}/risks/{key}", response_class=HTMLResponse)
def risk_page(
    request: Request, slug: str, key: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    """One risk: its fields, when it was last drilled, its evidence and its whole history."""
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
        entry = service.get_risk(db=db, event_id=event.id, key=key)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "risk": entry,
        "history": service.history(db=db, risk_id=entry.id),
        "drilled": service.last_drilled(db=db, event_id=event.id, scenario_id=service.drill_scenario(entry)),
        "statuses": service.STATUSES,
        "can_edit": may(principal, Role.responder),
        "error": request.query_params.get("error"),
        "csrf": token.value,
        "category_label": lambda c: service.category_label(spec, c, lang),
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/risk.html", context))


@router.post("/events/{slug}/risks/{key}")
def edit_risk(
    request: Request,
    slug: str,
    key: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    status: FormText = "",
    likelihood: FormText = "",
    impact: FormText = "",
    mitigation_zh: FormText = "",
    mitigation_en: FormText = "",
    reason: FormText = "",
) -> Response:
    """Change a risk's status, scores or mitigation with a reason (responder and up)."""

    def work(principal: Any, event: Any, spec: Any) -> None:
        entry = service.get_risk(db=db, event_id=event.id, key=key)
        data: dict[str, Any] = {"reason": reason or None}
        for name, value in (("status", status), ("likelihood", likelihood), ("impact", impact)):
            if value:
                data[name] = value
        if mitigation_zh or mitigation_en:
            data["mitigation"] = {
                "zh-CN": mitigation_zh or mitigation_en,
                "en": mitigation_en or mitigation_zh,
            }
        service.update_risk(
            db=db,
            entry=entry,
            spec=spec,
            data=_validated(RiskUpdate, data),
            actor=principal.actor,
            clock=clock,
        )

    return act(
        request, db, clock, settings, csrf_token, Role.responder, f"/events/{slug}/risks/{key}", work, slug
    )


@router.get("/events/{slug}/risk-assessment", response_class=HTMLResponse)
def assessment_page(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The quantitative proposals with their evidence; a commander accepts or overrides each for a risk."""
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "proposals": assessment.proposals(db=db, event_id=event.id, spec=spec, now=clock.now()),
        "decisions": assessment.list_decisions(db=db, event_id=event.id),
        "keys": {row.id: row.key for row in service.list_risks(db=db, event_id=event.id)},
        "can_decide": may(principal, Role.commander),
        "error": request.query_params.get("error"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/assessment.html", context))


@router.post("/events/{slug}/risk-assessment")
def decide(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    subject: FormText = "",
    risk: FormText = "",
    decision: FormText = "",
    likelihood: FormText = "",
    impact: FormText = "",
    reason: FormText = "",
) -> Response:
    def work(principal: Any, event: Any, spec: Any) -> None:
        data = {
            "subject": subject,
            "risk": risk,
            "decision": decision,
            "likelihood": likelihood or None,
            "impact": impact or None,
            "reason": reason or None,
        }
        assessment.decide(
            db=db,
            event_id=event.id,
            spec=spec,
            data=_validated(AssessmentDecision, data),
            actor=principal.actor,
            clock=clock,
        )

    return act(
        request,
        db,
        clock,
        settings,
        csrf_token,
        Role.commander,
        f"/events/{slug}/risk-assessment",
        work,
        slug,
    )


@router.get("/events/{slug}/risk-reviews", response_class=HTMLResponse)
def reviews_page(
    request: Request, slug: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    """Review rounds: the newest open one first, each with its entries and the teams still to sign."""
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    rounds = [
        {
            "row": row,
            "entries": review.entries(db=db, round_id=row.id),
            "signed": review.signed_teams(db=db, round_id=row.id),
            "missing": review.missing_teams(db=db, row=row),
        }
        for row in review.list_rounds(db=db, event_id=event.id)
    ]
    token = csrf.FormToken(request, settings)
    mine = review.teams_of(spec, principal.user.username, principal.user.email)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "rounds": rounds,
        "risks": service.list_risks(db=db, event_id=event.id, sort="key", descending=False),
        "keys": {row.id: row.key for row in service.list_risks(db=db, event_id=event.id)},
        "my_teams": sorted(mine) if principal.role != Role.admin else [team.id for team in spec.teams],
        "team_name": lambda team_id: getattr(spec.team(team_id), "name", None),
        "can_open": may(principal, Role.commander),
        "can_review": may(principal, Role.responder),
        "error": request.query_params.get("error"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/reviews.html", context))


@router.post("/events/{slug}/risk-reviews")
def open_round(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    title: FormText = "",
) -> Response:
    def work(principal: Any, event: Any, spec: Any) -> None:
        review.open_round(
            db=db,
            event_id=event.id,
            spec=spec,
            data=_validated(RoundCreate, {"title": title}),
            actor=principal.actor,
            clock=clock,
        )

    return act(
        request, db, clock, settings, csrf_token, Role.commander, f"/events/{slug}/risk-reviews", work, slug
    )


@router.post("/events/{slug}/risk-reviews/{round_id}")
def review_entry(
    request: Request,
    slug: str,
    round_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    kind: FormText = "",
    team: FormText = "",
    risk: FormText = "",
    text: FormText = "",
    likelihood: FormText = "",
    impact: FormText = "",
    status: FormText = "",
    mitigation_zh: FormText = "",
    mitigation_en: FormText = "",
) -> Response:
    """A comment, a proposed change (scores, status, mitigation) or a team's sign-off."""

    def work(principal: Any, event: Any, spec: Any) -> None:
        row = review.get_round(db=db, event_id=event.id, round_id=parse_id(round_id))
        member_of = (
            None
            if principal.role == Role.admin
            else review.teams_of(spec, principal.user.username, principal.user.email)
        )
        data: dict[str, Any] = {"kind": kind, "team": team, "risk": risk or None, "text": text or None}
        if kind == "proposal":
            proposed: dict[str, Any] = {
                name: value
                for name, value in (("likelihood", likelihood), ("impact", impact), ("status", status))
                if value
            }
            if mitigation_zh or mitigation_en:
                proposed["mitigation"] = {
                    "zh-CN": mitigation_zh or mitigation_en,
                    "en": mitigation_en or mitigation_zh,
                }
            if text:
                proposed["reason"] = text
            data["proposed"] = proposed
        review.add_entry(
            db=db,
            row=row,
            spec=spec,
            data=_validated(ReviewEntryCreate, data),
            actor=principal.actor,
            clock=clock,
            member_of=member_of,
        )

    return act(
        request, db, clock, settings, csrf_token, Role.responder, f"/events/{slug}/risk-reviews", work, slug
    )


@router.post("/events/{slug}/risk-reviews/{round_id}/entries/{entry_id}/accept")
def accept_proposal(
    request: Request,
    slug: str,
    round_id: str,
    entry_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Accept a proposal (commander and up): the risk takes its values, its history names it."""

    def work(principal: Any, event: Any, spec: Any) -> None:
        row = review.get_round(db=db, event_id=event.id, round_id=parse_id(round_id))
        review.accept_proposal(
            db=db, row=row, entry_id=parse_id(entry_id), spec=spec, actor=principal.actor, clock=clock
        )

    return act(
        request, db, clock, settings, csrf_token, Role.commander, f"/events/{slug}/risk-reviews", work, slug
    )
