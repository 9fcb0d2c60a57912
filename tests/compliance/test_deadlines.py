"""Compliance deadlines end to end under a frozen clock, on SQLite and PostgreSQL: a data leak marked
reportable starts the plan's deadlines, the worker reminds the legal team at half time and 15
minutes before (real deliveries to a local HTTP receiver), a report recorded as sent stops its
reminders; the draft, the audit log and the timeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.compliance.models import ReportableMark
from eventguard.compliance.worker import fire_due
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.notify import sender
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver

CAC_OTHER = "网络安全事件报告(其他网络运营者)"


def _leak(db: Session, event: Event, clock: FrozenClock, scenario: str = "data-leak") -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Participant list exported by an unknown admin account",
        level=1,
        scenario_id=scenario,
        core_functions=None,
        impact="About 2,000 participants' names and phone numbers",
        phase="prep",
        actor=Actor.cli("zhang-wei"),
        clock=clock,
    )
    db.commit()
    return incident


def _reminders(receiver: HttpReceiver) -> list[str]:
    """The bodies of the compliance messages the receiver got (WeCom markdown posts)."""
    bodies = [
        request.body.decode("utf-8") for request in receiver.requests if request.path.startswith("/wecom")
    ]
    return [body for body in bodies if "报告时限" in body]


def _pass(database: Database, context: WorkerContext) -> None:
    fire_due(database=database, context=context)
    sender.deliver_due(database=database, context=context)


def test_deadline_timers_remind_the_legal_team_until_the_report_is_sent(
    client: TestClient,
    db: Session,
    database: Database,
    clock: FrozenClock,
    legal_event: Event,
    http_receiver: HttpReceiver,
    worker_context: WorkerContext,
    auth_headers: AuthHeaders,
) -> None:
    incident = _leak(db, legal_event, clock)
    opened = incident.opened_at
    clock.advance(timedelta(minutes=10))
    body = {"grade": "significant", "personal_data": True, "eu_personal_data": True}
    answer = client.post(
        f"/api/v1/incidents/{incident.id}/reportable", json=body, headers=auth_headers("responder")
    )
    assert answer.status_code == 201, answer.text
    deadlines = {d["rule_id"]: d for d in answer.json()["deadlines"]}
    assert sorted(deadlines) == ["cn-cac-other", "cn-pipl-57", "eu-gdpr-33"]  # other operator: not 1 h / 2 h
    due = {rule: datetime.fromisoformat(d["due_at"].replace("Z", "+00:00")) for rule, d in deadlines.items()}
    assert due == {
        "cn-cac-other": opened + timedelta(hours=4),
        "cn-pipl-57": opened + timedelta(hours=4),
        "eu-gdpr-33": opened + timedelta(hours=72),
    }
    cac = deadlines["cn-cac-other"]
    assert cac["seconds_left"] == int(timedelta(hours=3, minutes=50).total_seconds())
    assert deadlines["eu-gdpr-33"]["seconds_left"] == int(timedelta(hours=71, minutes=50).total_seconds())
    labels = [field["label"]["en"] for field in deadlines["cn-pipl-57"]["draft"]]
    assert "The categories of personal information concerned" in labels
    assert "How to contact the personal information handler" in labels
    contact = next(
        f for f in deadlines["cn-pipl-57"]["draft"] if f["label"]["en"].startswith("How to contact")
    )
    assert "+86 138-0000-0010" in contact["value"]  # the legal lead, pre-filled

    # Just before half time of the 4-hour deadlines: nothing yet.
    clock.set(opened + timedelta(hours=2) - timedelta(seconds=1))
    _pass(database, worker_context)
    assert _reminders(http_receiver) == []
    # Half time: the legal team (Wu Hao, mentioned in the WeCom group) is told of both 4-hour deadlines.
    clock.set(opened + timedelta(hours=2))
    _pass(database, worker_context)
    half = _reminders(http_receiver)
    assert len(half) == 2, half
    assert any(CAC_OTHER in text and "属地省级网信部门" in text for text in half)
    assert all("WuHao" in text for text in half)  # the legal lead's WeCom handle is mentioned
    assert all("还剩 2h00m" in json.loads(text)["markdown"]["content"] for text in half)
    _pass(database, worker_context)
    assert len(_reminders(http_receiver)) == 2  # a fired reminder never fires again

    # The legal team sends the CAC report (a first, phased report) before the 15-minute reminder.
    clock.set(opened + timedelta(hours=3))
    sent_at = clock.now().isoformat()
    refused = client.post(
        f"/api/v1/compliance/deadlines/{cac['id']}/sent",
        json={"sent_at": sent_at, "sent_by": "吴昊", "sent_to": "上海市网信办"},
        headers=auth_headers("responder"),
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "draft_incomplete"
    done = client.post(
        f"/api/v1/compliance/deadlines/{cac['id']}/sent",
        json={
            "sent_at": sent_at,
            "sent_by": "吴昊",
            "sent_to": "上海市网信办",
            "reference": "SH-2026-0042",
            "partial": True,
        },
        headers=auth_headers("responder"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "sent" and done.json()["on_time"] is True

    # 15 minutes before: only the PIPL deadline (still open) reminds.
    clock.set(opened + timedelta(hours=3, minutes=45))
    _pass(database, worker_context)
    before = _reminders(http_receiver)[2:]
    assert len(before) == 1 and "个保法第五十七条" in before[0] and "还剩 15m" in before[0]
    # Expiry of the PIPL target: told it passed; the sent CAC report stays quiet.
    clock.set(opened + timedelta(hours=4))
    _pass(database, worker_context)
    expired = _reminders(http_receiver)[3:]
    assert len(expired) == 1 and "报告时限已过" in expired[0] and CAC_OTHER not in expired[0]

    db.expire_all()
    entries = [e for e in timeline.entries(db=db, incident_id=incident.id) if e.kind == "compliance"]
    outcomes = [e.data["outcome"] for e in entries]
    assert (
        outcomes.count("reportable") == 1 and outcomes.count("sent") == 1 and outcomes.count("reminded") == 4
    )
    sent_entry = next(e for e in entries if e.data["outcome"] == "sent")
    assert sent_entry.data["sent_to"] == "上海市网信办" and sent_entry.data["sent_by"] == "吴昊"
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("compliance.%"))))
    assert actions == {"compliance.mark", "compliance.sent"}


def test_a_complete_draft_is_recorded_and_the_markdown_has_every_field(
    client: TestClient, db: Session, clock: FrozenClock, legal_event: Event, auth_headers: AuthHeaders
) -> None:
    incident = _leak(db, legal_event, clock)
    headers = auth_headers("responder")
    answer = client.post(
        f"/api/v1/incidents/{incident.id}/reportable",
        json={"grade": "general", "personal_data": True},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    (pipl,) = answer.json()["deadlines"]  # grade general: the CAC rules (significant and above) do not apply
    assert (
        pipl["rule_id"] == "cn-pipl-57" and pipl["statutory"] is False and pipl["notify_individuals"] is True
    )
    values = {str(i): f"value {i}" for i in range(len(pipl["draft"]))}
    edited = client.patch(
        f"/api/v1/compliance/deadlines/{pipl['id']}/draft", json={"values": values}, headers=headers
    )
    assert edited.status_code == 200 and all(f["value"].startswith("value ") for f in edited.json()["draft"])
    markdown = client.get(f"/api/v1/compliance/deadlines/{pipl['id']}/draft?lang=zh-CN", headers=headers).text
    assert "涉及的个人信息种类" in markdown and "value 1" in markdown
    sent = client.post(
        f"/api/v1/compliance/deadlines/{pipl['id']}/sent",
        json={"sent_at": clock.now().isoformat(), "sent_by": "Wu Hao", "sent_to": "CAC Shanghai"},
        headers=headers,
    )
    assert sent.status_code == 200 and sent.json()["sent_by"] == "Wu Hao"
    again = client.patch(
        f"/api/v1/compliance/deadlines/{pipl['id']}/draft", json={"values": {"0": "x"}}, headers=headers
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "report_sent"
    twice = client.post(
        f"/api/v1/incidents/{incident.id}/reportable", json={"grade": "major"}, headers=headers
    )
    assert twice.status_code == 409


def test_a_viewer_cannot_mark_an_incident_reportable(
    client: TestClient, db: Session, clock: FrozenClock, legal_event: Event, auth_headers: AuthHeaders
) -> None:
    incident = _leak(db, legal_event, clock)
    answer = client.post(
        f"/api/v1/incidents/{incident.id}/reportable", json={"grade": "major"}, headers=auth_headers("viewer")
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] in ("role_required", "forbidden", "insufficient_role")
    db.expire_all()
    assert db.scalars(select(ReportableMark)).all() == []
    seen = client.get(f"/api/v1/incidents/{incident.id}/compliance", headers=auth_headers("viewer"))
    assert seen.status_code == 200 and seen.json() == {"mark": None, "deadlines": []}


def test_only_security_incidents_can_be_marked_and_bad_input_is_refused(
    client: TestClient, db: Session, clock: FrozenClock, legal_event: Event, auth_headers: AuthHeaders
) -> None:
    headers = auth_headers("responder")
    crash = _leak(db, legal_event, clock, scenario="payment-failure")
    refused = client.post(
        f"/api/v1/incidents/{crash.id}/reportable", json={"grade": "major"}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "not_reportable_kind"
    leak = _leak(db, legal_event, clock)
    bad = client.post(f"/api/v1/incidents/{leak.id}/reportable", json={"grade": "huge"}, headers=headers)
    assert bad.status_code == 422 and "error" in bad.json()
    future = (clock.now() + timedelta(hours=1)).isoformat()
    late = client.post(
        f"/api/v1/incidents/{leak.id}/reportable",
        json={"grade": "major", "aware_at": future},
        headers=headers,
    )
    assert late.status_code == 422 and late.json()["error"]["code"] == "aware_in_future"
    missing = client.post("/api/v1/compliance/deadlines/999999/sent", json={}, headers=headers)
    assert missing.status_code == 422
