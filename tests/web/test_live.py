"""Live updates of the incident room: the SSE stream's messages and its polling loop."""

from __future__ import annotations

import anyio
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.web.live import entry_stream, new_entries, sse_event


def _request(lang: str) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": f"lang={lang}".encode(),
        "headers": [],
    }
    return Request(scope)


def test_an_sse_message_carries_the_entry_id_and_one_data_line_per_html_line() -> None:
    assert sse_event(7, "<li>\n a\n</li>\n") == "id: 7\nevent: entry\ndata: <li>\ndata:  a\ndata: </li>\n\n"
    assert sse_event(None, "<h1>x</h1>", "head") == "event: head\ndata: <h1>x</h1>\n\n"


def test_it_sends_only_entries_newer_than_the_last_one_seen(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    first = timeline.entries(db=db, incident_id=incident.id)[-1]
    incidents.add_note(db=db, incident=incident, text="vendor called", actor=Actor.cli("ops"), clock=clock)
    db.commit()
    found = new_entries(_request("en"), database, clock, incident.id, first.id, "Asia/Shanghai")
    entry, head = found
    assert "vendor called" in entry[1] and f"id: {entry[0]}" in entry[1]
    assert head[0] == entry[0] and head[1].startswith("event: head\n")  # no id: resuming follows entries
    assert (
        "备注"
        in new_entries(_request("zh-CN"), database, clock, incident.id, first.id, "Asia/Shanghai")[0][1]
    )
    assert new_entries(_request("en"), database, clock, incident.id, entry[0], "Asia/Shanghai") == []


def test_the_header_follows_the_incident(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    last = timeline.entries(db=db, incident_id=incident.id)[-1]
    incidents.acknowledge(db=db, incident=incident, actor=Actor.cli("ops"), clock=clock)
    db.commit()
    for lang, word in (("en", "acknowledged"), ("zh-CN", "已确认")):
        head = new_entries(_request(lang), database, clock, incident.id, last.id, "Asia/Shanghai")[-1][1]
        assert head.startswith("event: head\n") and f'data-level="{incident.level}"' in head
        assert f'<dd id="status">{word}</dd>' in head


def test_the_stream_polls_until_the_client_goes_away() -> None:
    polls: list[int] = []
    answers = iter([[(3, "m3"), (4, "m4")], [], [(5, "m5")]])

    async def poll(last: int) -> list[tuple[int, str]]:
        polls.append(last)
        return next(answers)

    async def disconnected() -> bool:
        return len(polls) >= 3

    async def collect() -> list[str]:
        return [message async for message in entry_stream(poll, disconnected, 2, interval=0)]

    assert anyio.run(collect) == [": connected\n\n", "m3", "m4", "m5"]
    assert polls == [2, 4, 4]


def test_the_stream_needs_a_session(client: TestClient, incident: Incident) -> None:
    answer = client.get(f"/incidents/{incident.id}/events", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
