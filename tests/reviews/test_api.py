"""The postmortem API: read, edit, submit, approve, export; action items and their plan change."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from eventguard.reviews import service
from tests.conftest import AuthHeaders
from tests.reviews.test_service import _incident


def test_a_postmortem_is_edited_approved_and_exported_and_an_item_changes_the_plan(
    client: TestClient,
    db: Session,
    event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
    example_source: str,
) -> None:
    incident: Incident = _incident(db, event, clock, level=1)
    postmortem = service.create_for_incident(db=db, incident=incident, actor=Actor.cli("test"), clock=clock)
    db.commit()
    responder, commander = auth_headers("responder"), auth_headers("commander")
    url = f"/api/v1/postmortems/{postmortem.id}"
    edited = client.patch(url, json={"sections": {"root_causes": "Expired certificate"}}, headers=responder)
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert edited.json()["document"]["sections"]["root_causes"] == "Expired certificate"
    bad = client.patch(url, json={"sections": {"nope": "x"}}, headers=responder)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_section"
    assert client.post(f"{url}/approve", headers=commander).status_code == 409
    assert client.post(f"{url}/submit", headers=responder).status_code == 200
    assert client.post(f"{url}/approve", headers=responder).status_code == 403
    assert client.post(f"{url}/approve", headers=commander).json()["status"] == "approved"

    due = (clock.now() + timedelta(days=7)).isoformat()
    made = client.post(
        f"{url}/action-items",
        json={"title": "Renew certificates automatically", "owner_team": "tech", "due_at": due},
        headers=responder,
    )
    assert made.status_code == 201, made.text
    item = made.json()
    broken = client.put(
        f"/api/v1/action-items/{item['id']}/plan-change",
        json={"source": "format_version: 1\nevent: 3\n"},
        headers=responder,
    )
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "plan_invalid"
    assert all("line" in issue for issue in broken.json()["error"]["details"])
    changed = example_source.replace("    notify_within: 5m\n", "    notify_within: 3m\n", 1)
    assert client.put(
        f"/api/v1/action-items/{item['id']}/plan-change", json={"source": changed}, headers=responder
    ).json()["has_plan_change"]
    accepted = client.post(f"/api/v1/action-items/{item['id']}/plan-change/accept", headers=commander)
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["base_version_number"], accepted.json()["plan_version_number"]) == (1, 2)
    diff = client.get(f"/api/v1/events/{event.slug}/plan/diff?from=1&to=2", headers=responder).json()
    assert "notify_within" in str(diff)

    exported = client.get(f"{url}/export?lang=zh-CN", headers=auth_headers("viewer"))
    assert (
        exported.status_code == 200
        and "# 复盘报告" in exported.text
        and "Expired certificate" in exported.text
    )
    assert "Renew certificates automatically" in exported.text and "→ v2" in exported.text
    listed = client.get(f"/api/v1/postmortems?event={event.slug}", headers=responder).json()
    assert [p["id"] for p in listed] == [postmortem.id]
    assert client.get("/api/v1/postmortems/999999", headers=responder).status_code == 404
