"""The intake endpoints over HTTP: each sender's realistic payload, auth, and bad input writing nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.models import Alert, AlertBatch
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.incidents.models import Incident, IncidentStatus
from tests.alerts.fixtures import load
from tests.conftest import AuthHeaders, ProcessJournal


def _token(db: Session, event: Event, clock: FrozenClock, kind: str, hmac_secret: str | None = None) -> str:
    _integration, token = integrations.create(
        db=db,
        event=event,
        name=f"{kind} sender",
        kind=kind,
        actor=Actor.cli("test"),
        clock=clock,
        hmac_secret=hmac_secret,
    )
    db.commit()
    return token


def _count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_alertmanager_webhook_is_accepted_and_opens_an_incident(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, process_journal: ProcessJournal
) -> None:
    token = _token(db, event, clock, "alertmanager")
    payload = load("alertmanager_firing")
    response = client.post(
        "/api/v1/integrations/alertmanager", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["alerts"] == len(payload["alerts"]) and body["status"] == "accepted"
    assert _count(db, Alert) == 0  # accepted (journaled), not processed yet
    assert len(process_journal().incident_ids) >= 1
    db.commit()  # end this session's read snapshot (SQLite WAL) before looking again
    assert _count(db, Alert) == len(payload["alerts"])


def test_alertmanager_basic_auth_with_the_token_as_password_works(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock, "alertmanager")
    basic = base64.b64encode(f"alertmanager:{token}".encode()).decode()
    response = client.post(
        "/api/v1/integrations/alertmanager",
        json=load("alertmanager_firing"),
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


def test_grafana_webhook_with_a_valid_hmac_signature_is_accepted(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock, "grafana", hmac_secret="grafana-shared-secret")
    raw = json.dumps(load("grafana_firing")).encode()
    good = hmac.new(b"grafana-shared-secret", raw, hashlib.sha256).hexdigest()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bad = client.post(
        "/api/v1/integrations/grafana",
        content=raw,
        headers={**headers, "X-Grafana-Alerting-Signature": "0" * 64},
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_signature"
    assert _count(db, AlertBatch) == 0
    ok = client.post(
        "/api/v1/integrations/grafana", content=raw, headers={**headers, "X-Grafana-Alerting-Signature": good}
    )
    assert ok.status_code == 200, ok.text


def test_generic_alerts_single_and_batch_are_accepted(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    headers = {"Authorization": f"Bearer {_token(db, event, clock, 'generic')}"}
    assert (
        client.post("/api/v1/integrations/generic", json=load("generic_single"), headers=headers).status_code
        == 200
    )
    batch = load("generic_batch")
    response = client.post("/api/v1/integrations/generic", json=batch, headers=headers)
    assert response.status_code == 200 and response.json()["alerts"] == len(batch["alerts"])


def test_pagerduty_trigger_acknowledge_resolve_by_dedup_key(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, process_journal: ProcessJournal
) -> None:
    token = _token(db, event, clock, "pagerduty")
    url = "/api/v1/integrations/pagerduty/v2/enqueue"
    trigger = {**load("pagerduty_trigger"), "routing_key": token}
    response = client.post(url, json=trigger)
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": trigger["dedup_key"],
    }
    ack = {**load("pagerduty_acknowledge"), "routing_key": token, "dedup_key": trigger["dedup_key"]}
    assert client.post(url, json=ack).status_code == 202
    process_journal()
    [incident] = db.scalars(select(Incident)).all()
    assert incident.status is IncidentStatus.acknowledged
    resolve = {**load("pagerduty_resolve"), "routing_key": token, "dedup_key": trigger["dedup_key"]}
    assert client.post(url, json=resolve).status_code == 202
    process_journal()
    db.commit()  # end this session's read snapshot (SQLite WAL) before looking again
    db.refresh(incident)
    assert incident.status is IncidentStatus.monitoring and incident.firing_count == 0


def test_pagerduty_trigger_without_dedup_key_gets_one_generated(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    trigger = {**load("pagerduty_trigger"), "routing_key": _token(db, event, clock, "pagerduty")}
    trigger.pop("dedup_key", None)
    response = client.post("/api/v1/integrations/pagerduty/v2/enqueue", json=trigger)
    assert response.status_code == 202 and len(response.json()["dedup_key"]) >= 16


def test_pagerduty_invalid_event_answers_400_in_pagerdutys_shape_and_writes_nothing(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    trigger = {**load("pagerduty_trigger"), "routing_key": _token(db, event, clock, "pagerduty")}
    del trigger["payload"]["summary"]
    response = client.post("/api/v1/integrations/pagerduty/v2/enqueue", json=trigger)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any("summary" in error for error in body["errors"])
    not_json = client.post(
        "/api/v1/integrations/pagerduty/v2/enqueue",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 400 and not_json.json()["errors"] == ["JSON parse error"]
    assert _count(db, AlertBatch) == 0 and _count(db, Alert) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"version": "3", "alerts": []}).encode(),
        json.dumps({**load("alertmanager_firing"), "alerts": [{"status": "firing", "labels": {}}]}).encode(),
    ],
)
def test_bad_alertmanager_payloads_answer_4xx_and_write_nothing(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, body: bytes
) -> None:
    token = _token(db, event, clock, "alertmanager")
    response = client.post(
        "/api/v1/integrations/alertmanager",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert _count(db, AlertBatch) == 0 and _count(db, Alert) == 0 and _count(db, Incident) == 0


def test_intake_refuses_missing_wrong_and_revoked_tokens(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    url, payload = "/api/v1/integrations/alertmanager", load("alertmanager_firing")
    assert client.post(url, json=payload).status_code == 401
    assert client.post(url, json=payload, headers={"Authorization": "Bearer " + "0" * 32}).status_code == 401
    grafana_token = _token(db, event, clock, "grafana")
    wrong_kind = client.post(url, json=payload, headers={"Authorization": f"Bearer {grafana_token}"})
    assert wrong_kind.status_code == 403 and wrong_kind.json()["error"]["code"] == "wrong_integration_kind"
    token = _token(db, event, clock, "alertmanager")
    [integration] = [
        i for i in integrations.list_for_event(db=db, event_id=event.id) if i.kind == "alertmanager"
    ]
    integrations.revoke(db=db, integration_id=integration.id, actor=Actor.cli("test"), clock=clock)
    db.commit()
    assert client.post(url, json=payload, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _count(db, AlertBatch) == 0


def test_integrations_are_managed_by_api_and_tokens_are_shown_once(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    url = f"/api/v1/events/{event.slug}/integrations"
    created = client.post(
        url, json={"name": "Prometheus", "kind": "alertmanager"}, headers=auth_headers("commander")
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert len(token) == 32 and created.json()["endpoint"] == "/api/v1/integrations/alertmanager"
    listed = client.get(url, headers=auth_headers("viewer")).json()
    assert [i["name"] for i in listed] == ["Prometheus"] and "token" not in listed[0]
    assert (
        client.post(
            url, json={"name": "x", "kind": "alertmanager"}, headers=auth_headers("viewer")
        ).status_code
        == 403
    )
    unknown = client.post(url, json={"name": "x", "kind": "nagios"}, headers=auth_headers("commander"))
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_kind"
