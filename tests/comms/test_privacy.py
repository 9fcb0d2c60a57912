"""Internal incident data never reaches the public: not the alert's labels or summary, not the
incident's title or impact note, not private notes or progress reports."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.process import process_pending
from eventguard.clock import FrozenClock
from eventguard.comms.models import PublicUpdate
from eventguard.comms.statuspage import state
from eventguard.comms.subscribers import service as subscribers
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.alerts.builders import am_alert, am_payload
from tests.comms.conftest import TESTER, declare, deliveries, publish, run_reactions
from tests.conftest import AuthHeaders


def _alert_with_marker(client: TestClient, db: Session, event: Event, clock: FrozenClock, marker: str) -> int:
    _integration, token = integrations.create(
        db=db, event=event, name="prom", kind="alertmanager", actor=TESTER, clock=clock
    )
    db.commit()
    alert = am_alert("StreamBitrateLow", instance=f"edge-{marker}:443", secret_pod=f"pod-{marker}")
    response = client.post(
        "/api/v1/integrations/alertmanager",
        json=am_payload(alert),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    app = client.app
    (incident_id,) = process_pending(database=app.state.db, clock=app.state.clock).incident_ids  # type: ignore[attr-defined]
    return int(incident_id)


def _public_texts(client: TestClient, slug: str) -> dict[str, str]:
    texts = {}
    for lang in ("zh-CN", "en"):
        texts[f"html-{lang}"] = client.get(f"/status/{slug}?lang={lang}").text
        texts[f"json-{lang}"] = client.get(f"/status/{slug}.json?lang={lang}").text
        texts[f"feed-{lang}"] = client.get(f"/status/{slug}/feed.atom?lang={lang}").text
    return texts


def test_a_private_note_and_alert_labels_never_appear_publicly(
    client: TestClient,
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
    worker: WorkerContext,
) -> None:
    label_marker, note_marker = uuid.uuid4().hex[:10], uuid.uuid4().hex[:10]
    responder, commander = auth_headers("responder"), auth_headers("commander")
    incident_id = _alert_with_marker(client, db, event, clock, label_marker)
    url = f"/api/v1/incidents/{incident_id}"
    assert label_marker in client.get(url, headers=responder).text  # the console does show it
    client.post(f"{url}/notes", json={"text": f"private: {note_marker} is the culprit"}, headers=responder)
    client.post(f"{url}/updates", json={"text": f"progress on {note_marker}"}, headers=responder)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    subscribers.subscribe_webhook(
        db=db,
        event=event,
        spec=spec,
        url="https://hooks.example.com/x",
        components=[],
        language="en",
        clock=clock,
    )
    db.commit()
    run_reactions(database, worker)  # level 2 requires an announcement: a draft is written
    drafts = client.get(f"{url}/public-updates", headers=responder).json()
    assert [d["auto"] for d in drafts] == [True]
    client.post(f"{url}/backups/backup-stream/activate", headers=responder)
    published = client.post(f"/api/v1/public-updates/{drafts[0]['id']}/publish", headers=commander)
    assert published.json()["state"] == "published"
    run_reactions(database, worker)
    texts = _public_texts(client, event.slug)
    assert "https://backup-live.example.com/cloud-summit-2026" in texts["json-en"]  # the backup link went in
    texts["deliveries"] = " ".join(str(d.notification) for d in deliveries(db, "subscriber"))
    for where, text in texts.items():
        assert "The livestream is interrupted" in text or "直播暂时中断的说明" in text, where
        for secret in (label_marker, note_marker, "StreamBitrateLow", "Viewers see a frozen frame"):
            assert secret not in text, (where, secret)


def test_a_drill_never_reaches_the_public_page(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    before = client.get(f"/status/{event.slug}.json").json()
    drill = declare(db, event, clock, level=1, is_drill=True, title="DRILL livestream down")
    state.update_settings(
        db=db, event_id=event.id, approval_levels=[], reminder_minutes=None, actor=TESTER, clock=clock
    )
    db.commit()
    update: PublicUpdate = publish(db, drill, clock)
    assert update.state.value == "published" and update.is_drill
    after: dict[str, Any] = client.get(f"/status/{event.slug}.json").json()
    assert after["incidents"] == [] and after["components"] == before["components"]
    assert after["status"] == before["status"]
