"""Switching a backup plan on is one action: timelined, on the status page, in the next announcement;
switching it off restores the normal state."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.backups import service as backups
from eventguard.comms.updates import drafts as public
from eventguard.errors import Conflict, InvalidInput
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.outbox import service as outbox
from eventguard.plans import service as plans
from tests.comms.conftest import BASE_URL, TESTER, declare
from tests.conftest import AuthHeaders

BACKUP_PAGE = "https://backup-live.example.com/cloud-summit-2026"


def test_backup_activation_appears_on_the_page_and_deactivation_restores_it(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    incident = declare(db, event, clock)
    responder = auth_headers("responder")
    assert "backup-live.example.com" not in client.get(f"/status/{event.slug}").text
    on = client.post(f"/api/v1/incidents/{incident.id}/backups/backup-stream/activate", headers=responder)
    assert on.status_code == 200, on.text
    html = client.get(f"/status/{event.slug}?lang=en").text
    assert "Backup plans in use" in html and "Watch the backup stream" in html
    assert f'href="{BACKUP_PAGE}/index.m3u8"' in html and f'href="{BACKUP_PAGE}"' in html
    assert html.index("Backup plans in use") < html.index("Services")  # shown before everything else
    (shown,) = client.get(f"/status/{event.slug}.json").json()["backup_plans"]
    assert shown["id"] == "backup-stream" and shown["links"][0]["url"] == BACKUP_PAGE
    listed = client.get(f"/api/v1/incidents/{incident.id}/backups", headers=responder).json()
    assert {b["id"]: (b["active"], b["suggested"]) for b in listed} == {
        "backup-stream": (True, True),
        "backup-links": (False, True),
        "offline-pack": (False, False),
    }
    off = client.post(f"/api/v1/incidents/{incident.id}/backups/backup-stream/deactivate", headers=responder)
    assert off.json()["deactivated_at"] is not None
    assert "backup-live.example.com" not in client.get(f"/status/{event.slug}").text
    assert client.get(f"/status/{event.slug}.json").json()["backup_plans"] == []


def test_activation_is_timelined_audited_and_announced_once(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = declare(db, event, clock)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    first = backups.activate(
        db=db,
        incident=incident,
        spec=spec,
        backup_id="offline-pack",
        base_url=BASE_URL,
        actor=TESTER,
        clock=clock,
    )
    again = backups.activate(
        db=db,
        incident=incident,
        spec=spec,
        backup_id="offline-pack",
        base_url=BASE_URL,
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    assert again.id == first.id
    (entry,) = [e for e in timeline.entries(db=db, incident_id=incident.id) if e.kind == "backup"]
    assert entry.data["action"] == "activated" and entry.data["links"] == [
        "https://static.example.com/cloud-summit-2026/offline-pack.zip"
    ]
    topics = [m.topic for m in outbox.list_for(db=db, aggregate_type="incident", aggregate_id=incident.id)]
    assert topics.count("backup.activated") == 1


def test_the_backup_link_goes_into_the_drafts_written_from_a_template(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = declare(db, event, clock)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    kwargs = {
        "db": db,
        "incident": incident,
        "spec": spec,
        "base_url": BASE_URL,
        "actor": TESTER,
        "clock": clock,
    }
    template_draft = public.create_draft(draft=public.DraftInput(), **kwargs)
    hand_written = public.create_draft(
        draft=public.DraftInput(title={"zh-CN": "说明", "en": "Note"}, body={"zh-CN": "稍候", "en": "Wait"}),
        **kwargs,
    )
    assert "backup-live" not in template_draft.body["en"]
    backups.activate(backup_id="backup-stream", **kwargs)
    assert f"Meanwhile you can keep watching here: {BACKUP_PAGE}" in template_draft.body["en"]
    assert f"您可先通过备用链接继续观看:{BACKUP_PAGE}" in template_draft.body["zh-CN"]
    assert hand_written.body["en"] == "Wait"
    later = public.create_draft(draft=public.DraftInput(), **kwargs)
    assert BACKUP_PAGE in later.body["en"]
    backups.deactivate(backup_id="backup-stream", **kwargs)
    assert "backup-live" not in template_draft.body["en"]


def test_unknown_plans_closed_incidents_and_inactive_plans_are_refused(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = declare(db, event, clock)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    kwargs = {
        "db": db,
        "incident": incident,
        "spec": spec,
        "base_url": BASE_URL,
        "actor": TESTER,
        "clock": clock,
    }
    with pytest.raises(InvalidInput):
        backups.activate(backup_id="teleporter", **kwargs)
    with pytest.raises(Conflict):
        backups.deactivate(backup_id="backup-links", **kwargs)
    incidents.resolve(db=db, incident=incident, actor=TESTER, clock=clock)
    with pytest.raises(Conflict):
        backups.activate(backup_id="backup-links", **kwargs)


def test_an_unknown_switch_action_is_a_404(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    incident = declare(db, event, clock)
    response = client.post(
        f"/api/v1/incidents/{incident.id}/backups/backup-stream/explode", headers=auth_headers("responder")
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_action"
