"""The analytics page of the console: MTTA, MTTR, notify-within SLA met %, incidents by level,
scenario, phase and hour, drill scores over time and action items — across events or of one
(``?event=``), in a date window; server-drawn SVG charts next to their tables, CSV downloads from
the analytics API. Any signed-in role may read it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from eventguard.analytics import figures, service
from eventguard.analytics.api import scope_of
from eventguard.analytics.schemas import AnalyticsQuery
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.web.console import SignedIn, error_page, local_time
from eventguard.web.pages import page_language, render

router = APIRouter(include_in_schema=False)
SHOWN_INCIDENTS = 200
"""The page lists the latest incidents only; the CSV has them all."""
FILTERS = ("event", "since", "until", "drills")


def _query(request: Request) -> AnalyticsQuery:
    given = {name: request.query_params[name] for name in FILTERS if request.query_params.get(name)}
    return AnalyticsQuery.model_validate(given)


def _csv_link(path: str, query: AnalyticsQuery) -> str:
    params = query.model_dump(mode="json", exclude_none=True, exclude={"format"})
    if not params.get("drills"):
        params.pop("drills", None)
    return f"/api/v1/analytics/{path}?" + urlencode({**params, "format": "csv"})


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(request: Request, db: DbSession, clock: ClockDep, principal: SignedIn) -> Response:
    lang = page_language(request)
    try:
        query = _query(request)
        scope = scope_of(db, query)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return error_page(request, 422, t("Bad filter: {problem}", lang, problem=problems))
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    found = service.analyse(db=db, scope=scope, now=clock.now())
    event = events.get(db=db, event_id=scope.event_id) if scope.event_id else None
    context: dict[str, Any] = {
        "user": principal.user,
        "events": events.list_events(db=db),
        "chosen": event,
        "query": query,
        "a": found,
        "charts": figures.all_charts(found, lang),
        "minutes": lambda seconds: figures.minutes(seconds, lang),
        "percent": figures.percent,
        "role_label": lambda group: figures.role_label(group, lang),
        "breakdown_titles": figures.BREAKDOWN_TITLES,
        "latest": list(reversed(found.incidents[-SHOWN_INCIDENTS:])),
        "csv": {
            name: _csv_link(name, query) for name in ("summary", "incidents", "sla", "drills", "action-items")
        },
        "local_time": lambda moment: local_time(moment, event.timezone if event else "UTC"),
    }
    return render(request, "analytics/page.html", context)
