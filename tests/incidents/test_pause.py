"""``pause_activity`` (issue 12; seed level 1: 立即停止活动): an incident of such a level pauses the
event — the API, the status JSON and page say so with the plan's pause template, comms gets an
announcement draft — until a commander resumes it; both moments are on the timeline."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.comms.models import PublicUpdate
from eventguard.events.models import Event
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending
from tests.conftest import AuthHeaders

CRASH = {"title": "web-3 ServerCrash (rehearsal)", "scenario_id": "livestream-interruption"}


def _declare(client: TestClient, headers: dict[str, str], event: Event, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/incidents", json={"event": event.slug, **CRASH, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _entries(
    client: TestClient, headers: dict[str, str], incident_id: int, kind: str
) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/incidents/{incident_id}/timeline", headers=headers).json()
    return [entry for entry in found if entry["kind"] == kind]


def _status(client: TestClient, event: Event, lang: str = "zh-CN") -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/status/{event.slug}.json?lang={lang}").json()
    return body


def test_a_level_one_incident_pauses_the_event_until_a_commander_resumes_it(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    responder, commander = auth_headers("responder"), auth_headers("commander")
    assert _status(client, event)["paused"] is False
    incident = _declare(client, responder, event, level=1)
    assert incident["paused"] is True and incident["pause"]["automatic"] is True
    assert incident["pause"]["incident_id"] == incident["id"] and incident["pause"]["level"] == 1
    [paused] = _entries(client, responder, incident["id"], "pause")
    assert paused["data"]["paused"] is True and paused["data"]["automatic"] is True
    shown = client.get(f"/api/v1/events/{event.slug}", headers=responder).json()
    assert shown["paused"] is True and shown["pause"]["incident_id"] == incident["id"]

    public = _status(client, event)
    assert public["paused"] is True
    assert public["pause"]["title"] == "2026 云上开发者大会 暂停中"  # the plan's pause template
    assert "直播中断" in public["pause"]["body"] and "UTC+08:00" in public["pause"]["body"]
    english = _status(client, event, "en")
    assert english["pause"]["title"] == "Cloud Summit 2026 is paused"
    page = client.get(f"/status/{event.slug}?lang=en").text
    assert 'class="paused"' in page and "Cloud Summit 2026 is paused" in page

    url = f"/api/v1/incidents/{incident['id']}"
    assert client.post(f"{url}/resume", json={"note": "x"}, headers=responder).status_code == 403
    resumed = client.post(f"{url}/resume", json={"note": "backup stream is live"}, headers=commander)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["paused"] is False and resumed.json()["pause"] is None
    entries = _entries(client, responder, incident["id"], "pause")
    assert [e["data"]["paused"] for e in entries] == [True, False]
    assert entries[1]["text"] == "backup stream is live"
    assert entries[1]["actor_name"].startswith("commander-user")
    assert _status(client, event)["paused"] is False
    assert "paused" not in client.get(f"/status/{event.slug}?lang=en").text.split("<main>")[1][:200]
    again = client.post(f"{url}/resume", headers=commander)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_paused"


def test_a_commander_pauses_by_hand_and_a_second_pause_changes_nothing(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    responder, commander = auth_headers("responder"), auth_headers("commander")
    incident = _declare(client, responder, event, level=2)
    assert incident["paused"] is False  # level 2 does not pause
    url = f"/api/v1/incidents/{incident['id']}"
    assert client.post(f"{url}/pause", headers=responder).status_code == 403
    first = client.post(f"{url}/pause", json={"reason": "main stage unusable"}, headers=commander).json()
    assert first["paused"] is True and first["pause"]["automatic"] is False
    second = client.post(f"{url}/pause", json={"reason": "again"}, headers=commander).json()
    assert (
        second["pause"]["id"] == first["pause"]["id"] and second["pause"]["reason"] == "main stage unusable"
    )
    assert len(_entries(client, responder, incident["id"], "pause")) == 1


def test_a_relevel_to_level_one_pauses_and_a_drill_never_does(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    responder, commander = auth_headers("responder"), auth_headers("commander")
    drill = _declare(client, responder, event, level=1, drill=True)
    assert drill["paused"] is False
    refused = client.post(f"/api/v1/incidents/{drill['id']}/pause", headers=commander)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "drill"
    incident = _declare(client, responder, event, level=3)
    assert incident["paused"] is False
    relevelled = client.post(
        f"/api/v1/incidents/{incident['id']}/level", json={"level": 1, "reason": "live"}, headers=responder
    ).json()
    assert relevelled["paused"] is True and relevelled["pause"]["level"] == 1


def test_the_pause_gets_an_announcement_draft_from_the_pause_template(
    app: FastAPI, client: TestClient, db: Session, event: Event, auth_headers: AuthHeaders
) -> None:
    incident = _declare(client, auth_headers("responder"), event, level=1)
    with httpx.Client() as http:
        context = WorkerContext(clock=app.state.clock, settings=app.state.settings, http=http, name="test")
        while dispatch_pending(database=app.state.db, context=context):
            pass
    db.commit()
    drafts = db.query(PublicUpdate).filter(PublicUpdate.incident_id == incident["id"]).all()
    paused = [d for d in drafts if d.template_id == "activity-paused"]
    assert len(paused) == 1 and paused[0].state.value == "draft" and paused[0].auto
    assert paused[0].title == {"zh-CN": "2026 云上开发者大会 暂停中", "en": "Cloud Summit 2026 is paused"}
