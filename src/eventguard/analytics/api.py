"""Analytics API: MTTA/MTTR, notify-within SLA met %, incidents by level, scenario, phase and hour,
drill scores over time, action items — per event (``?event=``) or across events, as JSON or CSV
(``?format=csv`` or ``Accept: text/csv``). Any signed-in role may read them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from eventguard.analytics import service
from eventguard.analytics.schemas import (
    ActionItemsRead,
    AnalyticsQuery,
    AnalyticsRead,
    BreakdownRead,
    BucketRead,
    DrillScoreRead,
    EventFiguresRead,
    IncidentTimesRead,
    ResponseTimesRead,
    SlaGroupRead,
)
from eventguard.auth.deps import CurrentPrincipal
from eventguard.deps import ClockDep, DbSession
from eventguard.events import service as events
from eventguard.openapi import errors

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=errors(404))
Params = Annotated[AnalyticsQuery, Query()]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def scope_of(db: Session, params: AnalyticsQuery) -> service.Scope:
    """The service's scope of a query (an unknown event slug is a 404)."""
    event_id = events.get_by_slug(db=db, slug=params.event).id if params.event else None
    since, until = params.window()
    return service.Scope(event_id=event_id, since=since, until=until, drills=params.drills)


def wants_csv(request: Request, params: AnalyticsQuery) -> bool:
    if params.format is not None:
        return params.format == "csv"
    return "text/csv" in request.headers.get("accept", "")


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_cell(value: Any) -> Any:
    """A cell: empty for None; a text a spreadsheet would run as a formula (an alert's title
    "=HYPERLINK(…)") gets a leading apostrophe (CWE-1236, OWASP ASVS 1.2.10). Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 text (CRLF line ends), empty cells for None, formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="analytics-{name}.csv"'},
    )


def _rows(models: Sequence[Any], header: Sequence[str]) -> list[list[Any]]:
    dumped = [model.model_dump(mode="json") for model in models]
    return [[row[column] for column in header] for row in dumped]


def analytics_read(analytics: service.Analytics, params: AnalyticsQuery) -> AnalyticsRead:
    return AnalyticsRead(
        event=params.event,
        since=params.since,
        until=params.until,
        drills=params.drills,
        now=analytics.now,
        response=ResponseTimesRead.model_validate(analytics.response),
        sla_overall=SlaGroupRead.model_validate(analytics.sla_overall),
        sla=[SlaGroupRead.model_validate(group) for group in analytics.sla],
        breakdowns=[
            BreakdownRead(by=by, buckets=[BucketRead.model_validate(b) for b in buckets])
            for by, buckets in analytics.breakdowns.items()
        ],
        drill_scores=[DrillScoreRead.model_validate(score) for score in analytics.drills],
        action_items=ActionItemsRead.model_validate(analytics.action_items),
        events=[EventFiguresRead.model_validate(figures) for figures in analytics.events],
    )


@router.get("/summary", response_model=AnalyticsRead, responses=CSV_RESPONSE)
def summary(
    params: Params, request: Request, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> AnalyticsRead | Response:
    """Every figure at once; as CSV, the headline figures as ``metric,value`` rows."""
    analytics = service.analyse(db=db, scope=scope_of(db, params), now=clock.now())
    read = analytics_read(analytics, params)
    if not wants_csv(request, params):
        return read
    headline: list[tuple[str, Any]] = [
        *read.response.model_dump().items(),
        ("sla_rows", read.sla_overall.rows),
        ("sla_met", read.sla_overall.met),
        ("sla_breached", read.sla_overall.breached),
        ("sla_pending", read.sla_overall.pending),
        ("sla_met_percent", read.sla_overall.met_percent),
        ("drill_runs", len(read.drill_scores)),
        ("action_items_open", read.action_items.open),
        ("action_items_overdue", read.action_items.overdue),
        ("action_items_done", read.action_items.done),
    ]
    return csv_response("summary", ("metric", "value"), headline)


INCIDENT_COLUMNS = tuple(IncidentTimesRead.model_fields)


@router.get("/incidents", response_model=list[IncidentTimesRead], responses=CSV_RESPONSE)
def incidents(params: Params, request: Request, _viewer: CurrentPrincipal, db: DbSession) -> Any:
    """Each incident of the scope with its times to acknowledge and to resolve, oldest first."""
    found = service.incident_times(db=db, scope=scope_of(db, params))
    rows = [IncidentTimesRead.model_validate(item) for item in found]
    if wants_csv(request, params):
        return csv_response("incidents", INCIDENT_COLUMNS, _rows(rows, INCIDENT_COLUMNS))
    return rows


SLA_COLUMNS = tuple(SlaGroupRead.model_fields)


@router.get("/sla", response_model=list[SlaGroupRead], responses=CSV_RESPONSE)
def sla(params: Params, request: Request, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep) -> Any:
    """Notify-within SLA per notified role and level: met, breached, pending, met % and the mean
    time to the first delivery (the first row, target ``*``, is every row together)."""
    scope = scope_of(db, params)
    overall, groups = service.sla(service.sla_rows(db=db, scope=scope), clock.now())
    rows = [SlaGroupRead.model_validate(group) for group in (overall, *groups)]
    if wants_csv(request, params):
        return csv_response("sla", SLA_COLUMNS, _rows(rows, SLA_COLUMNS))
    return rows


@router.get("/breakdown/{by}", response_model=BreakdownRead, responses=CSV_RESPONSE)
def breakdown(
    by: Annotated[Literal["level", "scenario", "phase", "hour"], Path(description="What to count by.")],
    params: Params,
    request: Request,
    _viewer: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """How many incidents per level, scenario, phase or hour of the day (event time zone)."""
    found = service.incident_times(db=db, scope=scope_of(db, params))
    buckets = [BucketRead.model_validate(bucket) for bucket in service.breakdown(found, by)]
    if wants_csv(request, params):
        return csv_response(f"by-{by}", (by, "count"), [(b.key, b.count) for b in buckets])
    return BreakdownRead(by=by, buckets=buckets)


DRILL_COLUMNS = tuple(DrillScoreRead.model_fields)


@router.get("/drills", response_model=list[DrillScoreRead], responses=CSV_RESPONSE)
def drills(params: Params, request: Request, _viewer: CurrentPrincipal, db: DbSession) -> Any:
    """Finished drill runs and their scores, oldest first (the dates bound when they finished)."""
    found = service.drill_scores(db=db, scope=scope_of(db, params))
    rows = [DrillScoreRead.model_validate(score) for score in found]
    if wants_csv(request, params):
        return csv_response("drills", DRILL_COLUMNS, _rows(rows, DRILL_COLUMNS))
    return rows


@router.get("/action-items", response_model=ActionItemsRead, responses=CSV_RESPONSE)
def action_items(
    params: Params, request: Request, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> Any:
    """Action items open, overdue (open past their due date) and done, per owner team."""
    found = service.action_items(db=db, scope=scope_of(db, params), now=clock.now())
    read = ActionItemsRead.model_validate(found)
    if wants_csv(request, params):
        rows = [(team.team, team.open, team.overdue, team.done) for team in read.teams]
        return csv_response("action-items", ("team", "open", "overdue", "done"), rows)
    return read
