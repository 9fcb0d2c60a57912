"""Live updates of the incident room: the SSE stream's messages and its polling loop."""

from __future__ import annotations

from datetime import timedelta

import anyio
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.web.incident_room import PANELS
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


def _reader(db: Session, clock: FrozenClock, role: Role = Role.responder) -> Principal:
    user = auth.create_user(
        db=db,
        username=f"live-{role.value}",
        password="a long password here",
        role=role,
        actor=Actor.cli("t"),
        clock=clock,
    )
    db.commit()
    return Principal(user=user, role=role, actor=Actor.cli(user.username), language="en")


def _poll(
    database: Database,
    clock: FrozenClock,
    incident: Incident,
    after: int,
    reader: Principal,
    lang: str = "en",
) -> list[tuple[int, str]]:
    return new_entries(_request(lang), database, clock, incident.id, after, "Asia/Shanghai", reader, "token")


def test_an_sse_message_carries_the_entry_id_and_one_data_line_per_html_line() -> None:
    assert sse_event(7, "<li>\n a\n</li>\n") == "id: 7\nevent: entry\ndata: <li>\ndata:  a\ndata: </li>\n\n"
    assert sse_event(None, "<h1>x</h1>", "head") == "event: head\ndata: <h1>x</h1>\n\n"


def test_it_sends_only_entries_newer_than_the_last_one_seen(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    reader = _reader(db, clock)
    first = timeline.entries(db=db, incident_id=incident.id)[-1]
    incidents.add_note(db=db, incident=incident, text="vendor called", actor=Actor.cli("ops"), clock=clock)
    db.commit()
    entry, head, *panels = _poll(database, clock, incident, first.id, reader)
    assert "vendor called" in entry[1] and f"id: {entry[0]}" in entry[1]
    assert head[0] == entry[0] and head[1].startswith("event: head\n")  # no id: resuming follows entries
    assert [p[1].split("\n")[1] for p in panels] == [
        f'data: <template data-panel="{name}">' for name in PANELS
    ]
    assert "备注" in _poll(database, clock, incident, first.id, reader, "zh-CN")[0][1]
    assert _poll(database, clock, incident, entry[0], reader) == []


def test_the_header_follows_the_incident(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    reader = _reader(db, clock)
    last = timeline.entries(db=db, incident_id=incident.id)[-1]
    incidents.acknowledge(db=db, incident=incident, actor=Actor.cli("ops"), clock=clock)
    db.commit()
    for lang, word in (("en", "acknowledged"), ("zh-CN", "已确认")):
        found = _poll(database, clock, incident, last.id, reader, lang)
        head = next(m for _id, m in found if m.startswith("event: head\n"))
        assert f'data-level="{incident.level}"' in head
        assert f'<dd id="status">{word}</dd>' in head


def test_the_status_form_sent_live_offers_no_longer_the_status_the_incident_is_in(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    reader = _reader(db, clock)
    last = timeline.entries(db=db, incident_id=incident.id)[-1]
    incidents.acknowledge(db=db, incident=incident, actor=Actor.cli("ops"), clock=clock)
    db.commit()
    actions = next(
        m
        for _id, m in _poll(database, clock, incident, last.id, reader)
        if "panel-actions" in m or 'data-panel="actions"' in m
    )
    assert 'value="token"' in actions  # the browser's own form token: its forms keep working
    assert 'option value="mitigating"' in actions and 'option value="acknowledged"' not in actions
    assert "/actions/acknowledge" not in actions  # nothing left to acknowledge


def test_a_viewer_is_sent_the_panels_without_forms(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    viewer = _reader(db, clock, Role.viewer)
    last = timeline.entries(db=db, incident_id=incident.id)[-1]
    incidents.add_note(db=db, incident=incident, text="seen", actor=Actor.cli("ops"), clock=clock)
    db.commit()
    found = _poll(database, clock, incident, last.id, viewer)
    assert len(found) == 2 + len(PANELS) and not any('method="post"' in m for _id, m in found)


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


def test_a_draft_edited_without_a_timeline_entry_still_refreshes_the_panels(
    database: Database, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    from eventguard.comms.updates import drafts
    from eventguard.plans import service as plans
    from eventguard.web.live import room_version

    reader = _reader(db, clock)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    pr, base = Actor.cli("pr"), "http://x"
    blank = drafts.DraftInput()
    update = drafts.create_draft(
        db=db, incident=incident, spec=spec, draft=blank, base_url=base, actor=pr, clock=clock
    )
    db.commit()
    last = timeline.entries(db=db, incident_id=incident.id)[-1].id
    seen = {"version": room_version(db, incident)}

    def poll() -> list[tuple[int, str]]:
        request = _request("en")
        return new_entries(request, database, clock, incident.id, last, "Asia/Shanghai", reader, "t", seen)

    assert poll() == []
    clock.advance(timedelta(seconds=5))
    hand = drafts.DraftInput(title={"zh-CN": "改", "en": "Edited by hand"}, body={"zh-CN": "b", "en": "b"})
    drafts.edit(
        db=db, update=update, incident=incident, spec=spec, draft=hand, base_url=base, actor=pr, clock=clock
    )
    db.commit()
    found = poll()
    assert [m.split("\n")[0] for _id, m in found] == ["event: head"] + ["event: panel"] * len(PANELS)
    assert any("Edited by hand" in m for _id, m in found) and all(i == last for i, _m in found)
    assert poll() == []
