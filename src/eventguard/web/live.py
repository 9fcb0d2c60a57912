"""Live updates of the incident room by Server-Sent Events: new timeline entries, as HTML fragments,
and after them the room's header again (status, level, commander, ETA … change with the entries)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.web.console import SignedIn, error_page, parse_id
from eventguard.web.incident_room import entry_html, head_html
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
    request: Request, database: Database, clock: Clock, incident_id: int, after_id: int, timezone: str
) -> list[tuple[int, str]]:
    """Entries newer than ``after_id`` as SSE messages, then (when there are any) the header; a fresh
    session per poll sees new commits."""
    with database.session() as db:
        found = timeline.entries(db=db, incident_id=incident_id, after_id=after_id)
        messages = [(entry.id, sse_event(entry.id, entry_html(request, entry, timezone))) for entry in found]
        if messages:
            incident = incidents.get(db=db, incident_id=incident_id)
            messages.append((found[-1].id, sse_event(None, head_html(request, db, clock, incident), "head")))
        return messages


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
    request: Request, incident_id: str, db: DbSession, clock: ClockDep, principal: SignedIn
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
    db.close()  # the stream outlives this request's session

    async def poll(last: int) -> list[tuple[int, str]]:
        return await anyio.to_thread.run_sync(new_entries, request, database, clock, number, last, timezone)

    stream = entry_stream(poll, request.is_disconnected, after_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
