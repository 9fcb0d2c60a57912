"""The comms API: responders draft and preview, commanders publish, a second commander approves
on approval levels; settings, maintenances and announcement webhooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.incidents import timeline
from tests.comms.conftest import declare
from tests.conftest import AuthHeaders


def _second_commander(db: Session, clock: FrozenClock) -> dict[str, str]:
    user = auth.create_user(
        db=db,
        username="second-commander",
        password="a long test password",
        role=Role.commander,
        actor=Actor.cli("test"),
        clock=clock,
    )
    _token, secret = auth.create_token(
        db=db, user=user, name="test", scopes=["admin"], actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def _create(client: TestClient, incident_id: int, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/incidents/{incident_id}/public-updates", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_responders_draft_and_preview_but_only_commanders_publish(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    incident = declare(db, event, clock, level=2)
    responder, viewer = auth_headers("responder"), auth_headers("viewer")
    body = {"status": "identified", "variables": {"backup_link": "https://b.example.com"}}
    preview = client.post(
        f"/api/v1/incidents/{incident.id}/public-updates/preview", json=body, headers=responder
    )
    assert preview.status_code == 200 and "https://b.example.com" in preview.json()["body"]["en"]
    assert (
        client.post(f"/api/v1/incidents/{incident.id}/public-updates", json=body, headers=viewer).status_code
        == 403
    )
    draft = _create(client, incident.id, responder, **body)
    assert draft["state"] == "draft" and draft["needs_approval"] is False
    assert draft["body"] == preview.json()["body"]
    assert client.post(f"/api/v1/public-updates/{draft['id']}/publish", headers=responder).status_code == 403
    assert client.get(f"/status/{event.slug}.json").json()["incidents"] == []
    published = client.post(
        f"/api/v1/public-updates/{draft['id']}/publish", headers=auth_headers("commander")
    )
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert [i["status"] for i in client.get(f"/status/{event.slug}.json").json()["incidents"]] == [
        "identified"
    ]
    entries = [e for e in timeline.entries(db=db, incident_id=incident.id) if e.kind == "update"]
    assert [e.data["state"] for e in entries] == ["draft", "published"]


def test_a_level_one_update_needs_a_second_different_commander(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    incident = declare(db, event, clock, level=1)
    first, second = auth_headers("commander"), _second_commander(db, clock)
    draft = _create(client, incident.id, auth_headers("responder"))
    assert draft["needs_approval"] is True
    asked = client.post(f"/api/v1/public-updates/{draft['id']}/publish", headers=first).json()
    assert asked["state"] == "pending_approval" and asked["requested_by"].startswith("commander-user")
    assert client.post(f"/api/v1/public-updates/{draft['id']}/publish", headers=first).json()["state"] == (
        "pending_approval"
    )
    own = client.post(f"/api/v1/public-updates/{draft['id']}/approve", headers=first)
    assert own.status_code == 403 and own.json()["error"]["code"] == "second_approver_required"
    assert client.get(f"/status/{event.slug}.json").json()["incidents"] == []
    approved = client.post(f"/api/v1/public-updates/{draft['id']}/approve", headers=second).json()
    assert approved["state"] == "published" and approved["approved_by"].startswith("second-commander")
    assert len(client.get(f"/status/{event.slug}.json").json()["incidents"]) == 1


def test_approval_levels_are_configurable_per_event_by_an_admin(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    url = f"/api/v1/events/{event.slug}/status/settings"
    assert client.get(url, headers=auth_headers("viewer")).json()["approval_levels"] == [1]
    assert client.put(url, json={"approval_levels": []}, headers=auth_headers("commander")).status_code == 403
    changed = client.put(
        url, json={"approval_levels": [2], "reminder_minutes": 5}, headers=auth_headers("admin")
    )
    assert changed.json()["approval_levels"] == [2] and changed.json()["reminder_minutes"] == 5
    assert client.put(url, json={"reminder_minutes": 0}, headers=auth_headers("admin")).status_code == 422
    level_one = declare(db, event, clock, level=1)
    draft = _create(client, level_one.id, auth_headers("responder"))
    published = client.post(
        f"/api/v1/public-updates/{draft['id']}/publish", headers=auth_headers("commander")
    )
    assert published.json()["state"] == "published"


def test_a_draft_can_be_edited_or_discarded_and_a_published_update_is_final(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    incident = declare(db, event, clock, level=2)
    responder, commander = auth_headers("responder"), auth_headers("commander")
    draft = _create(client, incident.id, responder)
    edited = client.patch(
        f"/api/v1/public-updates/{draft['id']}", json={"variables": {"eta": "15:45"}}, headers=responder
    )
    assert edited.status_code == 200 and "15:45" in edited.json()["body"]["en"]
    other = _create(client, incident.id, responder)
    assert client.post(f"/api/v1/public-updates/{other['id']}/discard", headers=responder).json()[
        "state"
    ] == ("discarded")
    client.post(f"/api/v1/public-updates/{draft['id']}/publish", headers=commander)
    late = client.patch(
        f"/api/v1/public-updates/{draft['id']}", json={"status": "resolved"}, headers=responder
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "public_update_closed"
    listed = client.get(
        f"/api/v1/incidents/{incident.id}/public-updates", headers=auth_headers("viewer")
    ).json()
    assert [u["state"] for u in listed] == ["published", "discarded"]
    assert client.get("/api/v1/public-updates/999999", headers=responder).status_code == 404


def test_maintenance_is_scheduled_and_moved_along_over_http(
    client: TestClient, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    commander = auth_headers("commander")
    url = f"/api/v1/events/{event.slug}/status/maintenances"
    body = {
        "title": {"zh-CN": "直播线路切换", "en": "Stream route switch"},
        "body": {"zh-CN": "可能短暂卡顿。", "en": "Short stalls are possible."},
        "components": ["livestream"],
        "scheduled_for": "2026-05-20T09:30:00+08:00",
        "scheduled_until": "2026-05-20T10:00:00+08:00",
    }
    assert client.post(url, json=body, headers=auth_headers("responder")).status_code == 403
    created = client.post(url, json=body, headers=commander)
    assert created.status_code == 201, created.text
    maintenance_id = created.json()["id"]
    page = client.get(f"/status/{event.slug}.json?lang=en").json()
    (shown,) = page["scheduled_maintenances"]
    assert shown["status"] == "scheduled" and shown["impact"] == "maintenance"  # it is 09:00 in Shanghai
    assert shown["name"] == "Stream route switch" and shown["scheduled_for"].startswith("2026-05-20T09:30")
    clock.advance(timedelta(minutes=45))
    page = client.get(f"/status/{event.slug}.json").json()
    assert page["scheduled_maintenances"][0]["status"] == "in_progress"
    assert {c["id"]: c["status"] for c in page["components"]}["livestream"] == "under_maintenance"
    done = client.post(
        f"{url}/{maintenance_id}/status",
        json={"status": "completed", "body": {"zh-CN": "已完成", "en": "Done"}},
        headers=commander,
    )
    assert done.status_code == 200 and done.json()["shown_status"] == "completed"
    assert client.get(f"/status/{event.slug}.json").json()["scheduled_maintenances"] == []
    backwards = {**body, "scheduled_until": "2026-05-20T09:00:00+08:00"}
    assert client.post(url, json=backwards, headers=commander).status_code == 422


def test_announcement_webhooks_show_their_secret_once(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    url = f"/api/v1/events/{event.slug}/status/announcement-webhooks"
    body = {"url": "https://summit.example.com/hooks/banner", "name": "site banner"}
    assert client.post(url, json=body, headers=auth_headers("commander")).status_code == 403
    created = client.post(url, json=body, headers=auth_headers("admin"))
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = client.get(url, headers=auth_headers("commander")).json()
    assert listed[0]["url"] == body["url"] and "secret" not in listed[0]
    removed = client.delete(f"{url}/{created.json()['id']}", headers=auth_headers("admin"))
    assert removed.json()["disabled_at"] is not None
    assert client.post(url, json={"url": "ftp://x"}, headers=auth_headers("admin")).status_code == 422
