"""Notification API: delivery status and SLA per incident, channel health, test messages."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.conftest import AuthHeaders
from tests.notify.conftest import SECRETS
from tests.notify.receivers import HttpReceiver, Reply


def test_an_incident_shows_its_deliveries_and_whether_the_deadline_was_met(
    client: TestClient,
    db: Session,
    database: Database,
    local_event: Event,
    worker_context: WorkerContext,
    auth_headers: AuthHeaders,
) -> None:
    responder = auth_headers("responder")
    created = client.post(
        "/api/v1/incidents",
        headers=responder,
        json={"event": local_event.slug, "title": "Checkout failing", "level": 3},
    )
    incident_id = created.json()["id"]
    before = client.get(f"/api/v1/incidents/{incident_id}/notifications", headers=responder).json()
    assert before == {"sla": [], "deliveries": [], "all_met": None}  # nothing planned until the worker runs
    run_once(database=database, context=worker_context)
    after = client.get(f"/api/v1/incidents/{incident_id}/notifications", headers=responder).json()
    assert after["all_met"] is True and after["sla"] and after["deliveries"]
    assert {d["status"] for d in after["deliveries"]} <= {"delivered", "pending", "superseded"}


def test_a_channels_last_error_is_shown_and_a_test_message_can_be_sent(
    client: TestClient,
    database: Database,
    local_event: Event,
    worker_context: WorkerContext,
    auth_headers: AuthHeaders,
    http_receiver: HttpReceiver,
) -> None:
    commander = auth_headers("commander")
    url = f"/api/v1/events/{local_event.slug}/channels"
    assert client.post(f"{url}/tech-wecom/test", headers=auth_headers("viewer")).status_code == 403
    http_receiver.reply(Reply(200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'))
    assert client.post(f"{url}/tech-wecom/test", headers=commander).status_code == 202
    run_once(database=database, context=worker_context)
    [wecom] = [c for c in client.get(url, headers=commander).json() if c["id"] == "tech-wecom"]
    assert wecom["permanent_failure"] is True and "93000" in wecom["last_error"]
    assert wecom["secret_configured"] is True
    assert client.post(f"{url}/tech-wecom/test", headers=commander).status_code == 202
    run_once(database=database, context=worker_context)
    [wecom] = [c for c in client.get(url, headers=commander).json() if c["id"] == "tech-wecom"]
    assert wecom["permanent_failure"] is False and wecom["last_success_at"] is not None
    assert client.post(f"{url}/nope/test", headers=commander).status_code == 404
    with database.session() as db:  # each test message is in the audit log, with its delivery
        tests = db.scalars(select(AuditEntry).where(AuditEntry.action == "channel.test")).all()
        assert [e.target_id for e in tests] == [f"{local_event.slug}/tech-wecom"] * 2
        assert all(e.after and e.after["delivery_id"] for e in tests)


def test_gateway_credentials_are_never_shown_and_a_test_text_goes_to_the_channels_owner(
    client: TestClient,
    database: Database,
    local_event: Event,
    worker_context: WorkerContext,
    auth_headers: AuthHeaders,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commander = auth_headers("commander")
    url = f"/api/v1/events/{local_event.slug}/channels"
    listed = client.get(url, headers=commander)
    text = listed.text
    for name in ("EG_ALIYUN_SMS_KEY_ID", "EG_ALIYUN_SMS_KEY_SECRET", "EG_TWILIO_AUTH_TOKEN"):
        assert SECRETS[name] not in text  # the values are never shown, only whether they are set
    channels = {c["id"]: c for c in listed.json()}
    assert channels["oncall-sms"]["type"] == "aliyun_sms" and channels["oncall-sms"]["secret_configured"]
    monkeypatch.delenv("EG_ALIYUN_SMS_KEY_SECRET")  # the signing secret alone missing
    channels = {c["id"]: c for c in client.get(url, headers=commander).json()}
    assert channels["oncall-sms"]["secret_configured"] is False
    assert channels["oncall-voice"]["secret_configured"] is True

    assert client.post(f"{url}/oncall-voice/test", headers=commander).status_code == 202
    run_once(database=database, context=worker_context)
    [call] = [r for r in http_receiver.requests if r.path.endswith("/Calls.json")]
    assert parse_qs(call.body.decode())["To"] == ["+8613800000002"]  # the owner, zhang-wei
    channels = {c["id"]: c for c in client.get(url, headers=commander).json()}
    assert channels["oncall-voice"]["last_success_at"] is not None
