"""SMS and voice gateways in the delivery pipeline: a level-1 page fails over to an SMS and a call
within notify_within when the groups and the mail are down, and the per-recipient limit delays (never
drops) texts to one number — through real worker passes, real HTTP (local gateways that check each
signature as documented) and a controlled clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, TimelineEntry
from eventguard.notify import deliveries
from eventguard.notify.channels.base import Notification
from eventguard.notify.models import Delivery, DeliveryStatus, NotificationSla, RecipientSend
from eventguard.notify.sender import deliver_due
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.notify.channels.gateways import aliyun_signature_ok, form, twilio_auth_ok
from tests.notify.conftest import SECRETS, vendor_ok
from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply, SmtpReceiver

OPS = Actor(type="user", name="ops", id=None)
ALIYUN_SECRET = SECRETS["EG_ALIYUN_SMS_KEY_SECRET"]
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"  # the example plan's
ZHANG_WEI = "8613800000002"  # the tech lead's number as Aliyun gets it


def _declare(db: Session, event: Event, clock: FrozenClock) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Main stage stream down",
        level=1,
        scenario_id="livestream-interruption",
        core_functions=None,
        impact="All viewers",
        phase="live",
        actor=OPS,
        clock=clock,
    )
    db.commit()
    return incident


def _gateways(aliyun_code: str = "OK") -> Callable[[RecordedRequest], Reply]:
    """Every IM group and the webhook paging gateway down; Aliyun and Twilio answering (Aliyun only
    when the signature is right)."""

    def respond(request: RecordedRequest) -> Reply:
        if request.path.startswith(("/wecom", "/dingtalk", "/feishu", "/slack", "/sms")):
            return Reply(502, b"bad gateway")
        if request.path.startswith("/aliyun"):
            if not aliyun_signature_ok(request, ALIYUN_SECRET):
                return Reply(400, {"Code": "SignatureDoesNotMatch", "Message": "signature"})
            return Reply(200, {"Code": aliyun_code, "Message": aliyun_code, "BizId": "1^0", "RequestId": "r"})
        if request.path.startswith("/twilio"):
            if not twilio_auth_ok(request, TWILIO_SID, SECRETS["EG_TWILIO_AUTH_TOKEN"]):
                return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return Reply(201, {"sid": "CA" + "e" * 32, "status": "queued"})
        return vendor_ok(request)

    return respond


def _run_until(
    database: Database, context: WorkerContext, db: Session, clock: FrozenClock, done: Callable[[], bool]
) -> None:
    for _ in range(11):  # passes 30 s apart: 5 minutes
        run_once(database=database, context=context)
        db.commit()
        if done():
            return
        clock.advance(timedelta(seconds=30))


def _tech_lead_sla(db: Session) -> NotificationSla:
    return next(row for row in db.scalars(select(NotificationSla)) if row.target.startswith("team:tech:lead"))


def test_level_one_with_the_groups_and_mail_down_texts_the_tech_lead_within_notify_within(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    http_receiver.answer_with(_gateways())
    smtp_receiver.reject_data_with = "451 4.3.0 try again later"
    incident = _declare(db, local_event, clock)

    _run_until(database, worker_context, db, clock, lambda: _tech_lead_sla(db).met is True)

    sla = _tech_lead_sla(db)
    assert sla.met is True and sla.first_delivered_at is not None
    assert sla.first_delivered_at <= incident.opened_at + timedelta(minutes=5) == sla.deadline
    texts = [r for r in http_receiver.requests if r.path.startswith("/aliyun")]
    assert texts and all(aliyun_signature_ok(r, ALIYUN_SECRET) for r in texts)
    assert ZHANG_WEI in [form(r)["PhoneNumbers"] for r in texts]
    text = next(form(r) for r in texts if form(r)["PhoneNumbers"] == ZHANG_WEI)
    assert text["TemplateCode"] == "SMS_465320001" and "L1" in text["TemplateParam"]
    delivered = db.scalars(
        select(Delivery).where(Delivery.role == sla.target, Delivery.status == DeliveryStatus.delivered)
    ).all()
    assert [d.channel_kind for d in delivered] == ["aliyun_sms"]
    # the groups were tried first and failed over; the call was not needed
    tried = [
        d.channel_kind
        for d in db.scalars(
            select(Delivery).where(Delivery.role == sla.target).order_by(Delivery.failover_rank)
        )
    ]
    assert tried[:3] == ["wecom", "email", "webhook"] and tried[-1] == "twilio_voice"
    voice = db.scalars(
        select(Delivery).where(Delivery.role == sla.target, Delivery.channel_kind == "twilio_voice")
    ).one()
    run_once(database=database, context=worker_context)
    db.commit()
    db.refresh(voice)
    assert voice.status is DeliveryStatus.superseded
    assert not [
        r for r in http_receiver.requests if r.path.startswith("/twilio") and ZHANG_WEI in r.body.decode()
    ]


def test_when_the_sms_gateway_refuses_for_good_the_tech_lead_is_called(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    http_receiver.answer_with(_gateways(aliyun_code="isv.AMOUNT_NOT_ENOUGH"))  # no balance: permanent
    smtp_receiver.reject_data_with = "451 4.3.0 try again later"
    incident = _declare(db, local_event, clock)

    _run_until(database, worker_context, db, clock, lambda: _tech_lead_sla(db).met is True)

    sla = _tech_lead_sla(db)
    assert sla.met is True and sla.first_delivered_at is not None
    assert sla.first_delivered_at <= incident.opened_at + timedelta(minutes=5)
    calls = [
        r for r in http_receiver.requests if r.path == f"/twilio/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"
    ]
    assert calls and all(twilio_auth_ok(r, TWILIO_SID, SECRETS["EG_TWILIO_AUTH_TOKEN"]) for r in calls)
    call = next(form(r) for r in calls if form(r)["To"] == "+" + ZHANG_WEI)
    assert (
        call["From"] == "+15005550006"
        and "<Say" in call["Twiml"]
        and "Main stage stream down" in call["Twiml"]
    )
    sms = db.scalars(
        select(Delivery).where(Delivery.role == sla.target, Delivery.channel_kind == "aliyun_sms")
    ).one()
    assert sms.status is DeliveryStatus.failed and "isv.AMOUNT_NOT_ENOUGH" in (sms.last_error or "")


# --- the per-recipient limit, on queued deliveries ---------------------------------------------


def _note(n: int) -> Notification:
    text = f"Probe {n} failed"
    return Notification(
        idempotency_key=f"msg_limit_{n}",
        topic="incident.opened",
        title=text,
        text=text,
        markdown=text,
        language="en",
        level=2,
        data={"summary": text},
    )


@pytest.fixture
def aliyun(http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> HttpReceiver:
    monkeypatch.setenv("EG_TEST_ALIYUN_ID", "LTAI5tExampleKeyId")
    monkeypatch.setenv("EG_TEST_ALIYUN_SECRET", ALIYUN_SECRET)
    http_receiver.answer_with(_gateways())
    return http_receiver


def _queue(db: Session, clock: FrozenClock, receiver: HttpReceiver, n: int, **extra: object) -> Delivery:
    options = {
        "signing_secret_env": "EG_TEST_ALIYUN_SECRET",
        "sign_name": "活动保障",
        "template_code": "SMS_465320001",
        "template_params": {"title": "title"},
        "phone": "+86 138-0000-0002",
        "per_recipient_limit": 2,
        **extra,
    }
    return deliveries.enqueue(
        db=db,
        channel_kind="aliyun_sms",
        address=f"{receiver.url}/aliyun/",
        notification=_note(n),
        purpose="notify",
        clock=clock,
        secret_env="EG_TEST_ALIYUN_ID",
        options=options,
    )


def test_texts_over_the_per_recipient_limit_are_merged_or_delayed_never_dropped(
    db: Session, database: Database, clock: FrozenClock, worker_context: WorkerContext, aliyun: HttpReceiver
) -> None:
    before = REGISTRY.get_sample_value("eventguard_recipient_limited_total", {"channel": "aliyun_sms"}) or 0
    burst = [_queue(db, clock, aliyun, n) for n in range(5)]
    db.commit()
    start = clock.now()

    deliver_due(database=database, context=worker_context)  # a burst over the limit: one text
    db.commit()
    for row in burst:
        db.refresh(row)
    assert len(aliyun.requests) == 1 and "5 notifications" in form(aliyun.last)["TemplateParam"]
    # each of the five is delivered, four of them inside the first one's text
    assert [row.status for row in burst] == [DeliveryStatus.delivered] * 5
    assert all(f"merged into delivery {burst[0].id}" in (row.last_error or "") for row in burst[1:])

    second = _queue(db, clock, aliyun, 5)
    db.commit()
    deliver_due(database=database, context=worker_context)  # the second text of the hour
    late = [_queue(db, clock, aliyun, n) for n in (6, 7)]
    db.commit()
    deliver_due(database=database, context=worker_context)  # over the limit: delayed
    db.commit()
    db.refresh(second)
    assert second.status is DeliveryStatus.delivered and len(aliyun.requests) == 2
    for row in late:
        db.refresh(row)
        assert row.status is DeliveryStatus.pending and row.available_at == start + timedelta(hours=1)
        assert "per-recipient limit reached: 2 sms per 60 min to +8613800000002" in (row.last_error or "")
    after = REGISTRY.get_sample_value("eventguard_recipient_limited_total", {"channel": "aliyun_sms"}) or 0
    assert after - before == 2
    assert set(db.scalars(select(RecipientSend.recipient))) == {"+8613800000002"}

    clock.advance(timedelta(minutes=59))
    deliver_due(database=database, context=worker_context)
    assert len(aliyun.requests) == 2  # the window has not freed yet

    clock.advance(timedelta(minutes=1, seconds=1))
    deliver_due(database=database, context=worker_context)
    db.commit()
    for row in late:
        db.refresh(row)
        assert row.status is DeliveryStatus.delivered
    assert len(aliyun.requests) == 4


def test_a_failed_text_does_not_count_against_the_limit(
    db: Session,
    database: Database,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EG_TEST_ALIYUN_ID", "LTAI5tExampleKeyId")
    monkeypatch.setenv("EG_TEST_ALIYUN_SECRET", ALIYUN_SECRET)
    http_receiver.reply(Reply(503, b"busy"), Reply(503, b"busy"))
    http_receiver.answer_with(_gateways())
    first, second = _queue(db, clock, http_receiver, 1), _queue(db, clock, http_receiver, 2)
    db.commit()
    deliver_due(database=database, context=worker_context)  # both fail (503): retried later
    db.commit()
    assert db.scalar(select(RecipientSend.id).limit(1)) is None
    clock.advance(timedelta(minutes=5))
    deliver_due(database=database, context=worker_context)
    db.commit()
    db.refresh(first)
    db.refresh(second)
    assert first.status is second.status is DeliveryStatus.delivered


def test_a_delayed_text_makes_the_persons_next_method_due_at_once(
    db: Session, database: Database, clock: FrozenClock, worker_context: WorkerContext, aliyun: HttpReceiver
) -> None:
    for n in range(2):  # two texts already went to the number this hour
        _queue(db, clock, aliyun, n)
    db.commit()
    deliver_due(database=database, context=worker_context)
    sms = _queue(db, clock, aliyun, 10)
    sms.failover_group, sms.failover_rank = "person-zhang-wei", 0
    later = deliveries.enqueue(
        db=db,
        channel_kind="webhook",
        address=f"{aliyun.url}/pager",
        notification=_note(11),
        purpose="notify",
        clock=clock,
        available_at=clock.now() + timedelta(minutes=2),
        failover_group="person-zhang-wei",
        failover_rank=1,
    )
    db.commit()
    deliver_due(database=database, context=worker_context)
    db.commit()
    db.refresh(sms)
    db.refresh(later)
    assert later.status is DeliveryStatus.delivered  # at once, not two minutes later
    # the delayed text is recorded (when it was held back) and no longer needed: not sent
    assert sms.options.get("recipient_limited") == clock.now().isoformat()
    assert sms.status is DeliveryStatus.superseded and sms.attempts == 0
    assert len([r for r in aliyun.requests if r.path.startswith("/aliyun")]) == 2


def test_the_limit_delay_is_written_on_the_incident_timeline(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    aliyun: HttpReceiver,
) -> None:
    incident = _declare(db, local_event, clock)
    for batch in ((0, 1), (2,)):  # two texts, then a third within the hour
        for n in batch:
            row = _queue(db, clock, aliyun, n)
            row.incident_id, row.event_id = incident.id, local_event.id
        db.commit()
        deliver_due(database=database, context=worker_context)
        db.commit()
    entries = db.scalars(
        select(TimelineEntry).where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "notification"
        )
    ).all()
    delayed = [e for e in entries if e.data.get("outcome") == "delayed"]
    assert len(delayed) == 1 and "per-recipient limit reached" in (delayed[0].text or "")
