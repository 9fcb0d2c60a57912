"""Live updates of the incident room by Server-Sent Events: new timeline entries, as HTML fragments,
and after them the room's header and every live panel again (status, level, ETA, the status
drop-down, drafts, backup plans … change with the entries), so no form offers what is no longer true."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.clock import Clock
from eventguard.comms.updates import drafts
from eventguard.db import Database
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, parse_id
from eventguard.web.incident_room import PANELS, _describer, entry_html, head_html, panel_context, panel_html
from eventguard.web.pages import page_language

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 0.5


def sse_event(entry_id: int | None, html: str, kind: str = "entry") -> str:
    """One SSE message: the id (so a reconnecting browser resumes after it; none for the header, which
    is not resumed) and one data line per line."""
    data = "".join(f"data: {line}\n" for line in html.strip().splitlines())
    ident = f"id: {entry_id}\n" if entry_id is not None else ""
    return f"{ident}event: {kind}\n{data}\n"


def new_entries(
    request: Request,
    database: Database,
    clock: Clock,
    incident_id: int,
    after_id: int,
    timezone: str,
    principal: Principal,
    token: str,
    seen: dict[str, str] | None = None,
) -> list[tuple[int, str]]:
    """Entries newer than ``after_id`` as SSE messages, then (when there are any, or when the room
    changed without one: a draft edited) the header and each live panel (``panel`` events: a
    ``<template data-panel="name">``); ``seen`` keeps the room's version between polls. A fresh
    session per poll sees new commits."""
    with database.session() as db:
        found = timeline.entries(db=db, incident_id=incident_id, after_id=after_id)
        incident = incidents.get(db=db, incident_id=incident_id)
        version = room_version(db, incident)
        unchanged = seen is None or seen.get("version") == version
        if seen is not None:
            seen["version"] = version
        if not found and unchanged:
            return []
        lang = page_language(request)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        describer = _describer(db, incident, spec, lang)
        messages = [
            (entry.id, sse_event(entry.id, entry_html(request, entry, timezone, describer)))
            for entry in found
        ]
        context = panel_context(db, clock, incident, lang, principal, token)
        last = found[-1].id if found else after_id
        messages.append((last, sse_event(None, head_html(request, context), "head")))
        for name in PANELS:
            html = f'<template data-panel="{name}">{panel_html(request, name, context)}</template>'
            messages.append((last, sse_event(None, html, "panel")))
        return messages


def room_version(db: Session, incident: Incident) -> str:
    """What changes when the room changes without a timeline entry (the incident row, a draft)."""
    updates = drafts.list_for_incident(db=db, incident_id=incident.id)
    return incident.updated_at.isoformat() + "".join(f"|{u.id}:{u.updated_at.isoformat()}" for u in updates)


async def entry_stream(
    poll: Callable[[int], Awaitable[list[tuple[int, str]]]],
    disconnected: Callable[[], Awaitable[bool]],
    after_id: int,
    interval: float = POLL_SECONDS,
) -> AsyncIterator[str]:
    """Poll for entries after the last one sent until the client goes away."""
    last = after_id
    yield ": connected\n\n"
    while not await disconnected():
        for entry_id, message in await poll(last):
            last = max(last, entry_id)
            yield message
        await anyio.sleep(interval)


@router.get("/incidents/{incident_id}/events")
def incident_events(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
) -> Response:
    """text/event-stream of the incident's new timeline entries (after ``Last-Event-ID`` or ``?after=``)."""
    try:
        incident = incidents.get(db=db, incident_id=parse_id(incident_id))
        timezone = events.get(db=db, event_id=incident.event_id).timezone
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(page_language(request)))
    resume = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    after_id = parse_id(resume)
    database: Database = request.app.state.db
    number = incident.id
    token = csrf.FormToken(request, settings).value  # the browser's own cookie: its forms stay valid
    seen = {"version": room_version(db, incident)}
    db.close()  # the stream outlives this request's session

    async def poll(last: int) -> list[tuple[int, str]]:
        return await anyio.to_thread.run_sync(
            new_entries, request, database, clock, number, last, timezone, principal, token, seen
        )

    stream = entry_stream(poll, request.is_disconnected, after_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
