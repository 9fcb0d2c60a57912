"""From an incident to messages at the receivers: retries, permanent errors, failover within the
5-minute deadline, escalation, acknowledgement, rate-limit coalescing and drill marking — all
through the real worker passes, real HTTP and real SMTP, under a controlled clock."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify.models import ChannelHealth, Delivery, DeliveryStatus, EscalationStep, NotificationSla
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.notify.conftest import vendor_ok
from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply, SmtpReceiver

OPS = Actor(type="user", name="ops", id=None)


def _declare(db: Session, event: Event, clock: FrozenClock, level: int, drill: bool = False) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Main stage stream down",
        level=level,
        scenario_id="livestream-interruption",
        core_functions=None,
        impact="All viewers",
        phase="live",
        actor=OPS,
        clock=clock,
        is_drill=drill,
    )
    db.commit()
    return incident


def _pass(database: Database, context: WorkerContext, db: Session) -> None:
    run_once(database=database, context=context)
    db.commit()  # see what the worker committed


def _deliveries(db: Session, **where: object) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id)
    for name, value in where.items():
        query = query.where(getattr(Delivery, name) == value)
    return list(db.scalars(query))


def test_a_level_three_incident_reaches_the_tech_lead_in_the_wecom_group_within_the_deadline(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    before = REGISTRY.get_sample_value(
        "eventguard_deliveries_total", {"channel": "wecom", "outcome": "delivered"}
    )
    incident = _declare(db, local_event, clock, level=3)
    _pass(database, worker_context, db)
    after = REGISTRY.get_sample_value(
        "eventguard_deliveries_total", {"channel": "wecom", "outcome": "delivered"}
    )
    assert (after or 0) - (before or 0) == 1
    wecom = [r for r in http_receiver.requests if r.path == "/wecom"]
    assert wecom and wecom[0].query["key"] == ["wecom-key"]
    body = wecom[0].json()
    assert body["msgtype"] == "markdown" and "Main stage stream down" in body["markdown"]["content"]
    [sla] = [row for row in db.scalars(select(NotificationSla)) if row.target.startswith("team:tech")]
    assert sla.met is True and sla.first_delivered_at == clock.now()
    assert sla.deadline == incident.opened_at + timedelta(minutes=5)


def test_temporary_errors_are_retried_until_they_succeed(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    failures = iter([Reply(500, b"busy"), Reply(503, b"busy")])

    def flaky_wecom(request: RecordedRequest) -> Reply:
        return next(failures, None) or vendor_ok(request) if request.path == "/wecom" else vendor_ok(request)

    http_receiver.answer_with(flaky_wecom)
    _declare(db, local_event, clock, level=3)
    _pass(database, worker_context, db)
    [first] = [d for d in _deliveries(db) if d.channel_kind == "wecom"]
    assert (
        first.status is DeliveryStatus.pending and first.attempts == 1 and "500" in (first.last_error or "")
    )
    for _ in range(3):
        clock.advance(timedelta(seconds=10))
        _pass(database, worker_context, db)
    db.refresh(first)
    assert first.status is DeliveryStatus.delivered and first.attempts == 3


def test_a_permanent_error_stops_retries_shows_on_the_channel_and_fails_over(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    http_receiver.reply(Reply(200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'))
    _declare(db, local_event, clock, level=3)
    _pass(database, worker_context, db)
    [wecom] = [d for d in _deliveries(db) if d.channel_kind == "wecom"]
    assert wecom.status is DeliveryStatus.failed and wecom.attempts == 1
    health = db.scalar(select(ChannelHealth).where(ChannelHealth.channel_id == "tech-wecom"))
    assert health is not None and health.permanent_failure and "93000" in (health.last_error or "")
    # the tech lead's next contact method (e-mail) went out in the same pass
    assert any("zhang.wei@example.com" in mail.rcpt_tos for mail in smtp_receiver.messages)


def test_failover_from_a_dead_channel_to_a_live_one_meets_the_five_minute_deadline(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    http_receiver.answer_with(lambda request: Reply(502, b"bad gateway"))  # every robot is down
    _declare(db, local_event, clock, level=3)
    for _ in range(6):  # six passes, 30 s apart: 2.5 minutes
        _pass(database, worker_context, db)
        clock.advance(timedelta(seconds=30))
    sla = next(row for row in db.scalars(select(NotificationSla)) if row.target.startswith("team:tech"))
    assert sla.met is True
    assert sla.first_delivered_at is not None and sla.first_delivered_at <= sla.deadline
    assert any("zhang.wei@example.com" in mail.rcpt_tos for mail in smtp_receiver.messages)


def test_nobody_reached_by_the_deadline_is_flagged_as_a_breach(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    http_receiver.answer_with(lambda request: Reply(502, b"down"))
    smtp_receiver.reject_data_with = "451 4.3.0 try again later"
    _declare(db, local_event, clock, level=3)
    for _ in range(12):
        _pass(database, worker_context, db)
        clock.advance(timedelta(seconds=30))
    rows = list(db.scalars(select(NotificationSla)))
    assert rows and all(row.met is False and row.breached_at is not None for row in rows)


def test_escalation_fires_without_acknowledgement_and_stops_once_acknowledged(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
) -> None:
    incident = _declare(db, local_event, clock, level=1)
    _pass(database, worker_context, db)
    steps = list(db.scalars(select(EscalationStep).order_by(EscalationStep.due_at)))
    assert steps[0].due_at == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    _pass(database, worker_context, db)
    assert _deliveries(db, purpose="escalation")
    db.refresh(steps[0])
    assert steps[0].fired_at is not None
    incidents.acknowledge(db=db, incident=db.get(Incident, incident.id), actor=OPS, clock=clock)  # type: ignore[arg-type]
    db.commit()
    _pass(database, worker_context, db)
    clock.advance(timedelta(hours=2))
    _pass(database, worker_context, db)
    fired = [s for s in db.scalars(select(EscalationStep)) if s.fired_at is not None]
    assert len(fired) == 1  # nothing fired after the acknowledgement


def test_a_burst_over_the_robots_limit_is_merged_not_dropped(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    titles = [f"Login probe failed in region {n}" for n in range(30)]
    spec = plans.get_active_plan(db=db, event_id=local_event.id)
    for title in titles:
        incidents.declare(
            db=db,
            event=local_event,
            spec=spec,
            title=title,
            level=3,
            scenario_id="login-failure",
            core_functions=None,
            impact=None,
            phase="live",
            actor=OPS,
            clock=clock,
        )
    db.commit()
    for _ in range(4):
        _pass(database, worker_context, db)
        clock.advance(timedelta(seconds=61))
    wecom = [r for r in http_receiver.requests if r.path == "/wecom"]
    assert len(wecom) <= 20  # within the robot's limit, far fewer than the 30 notifications
    delivered_text = "\n".join(r.json()["markdown"]["content"] for r in wecom)
    missing = [title for title in titles if title not in delivered_text]
    assert missing == [], (
        len(wecom),
        [d.status for d in _deliveries(db) if d.channel_kind == "wecom"],
    )  # merged, never dropped


def test_drill_notifications_are_marked_as_drills(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    _declare(db, local_event, clock, level=1, drill=True)
    _pass(database, worker_context, db)
    assert http_receiver.requests and smtp_receiver.messages
    for request in http_receiver.requests:
        text = request.body.decode("utf-8")
        assert "演练" in text or "DRILL" in text, request.path
    for mail in smtp_receiver.messages:
        assert "演练" in str(mail.message["Subject"]) or "DRILL" in str(mail.message["Subject"])


def test_drill_notifications_merged_into_a_burst_keep_their_drill_mark(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    """A drill's notifications coalesced with real ones into one message (the merged message is not
    a drill as a whole) still show 【演练】/[DRILL] on each of their lines."""
    spec = plans.get_active_plan(db=db, event_id=local_event.id)
    real = [f"Login probe failed in region {n}" for n in range(24)]
    drills = [f"Rehearsed login failure {n}" for n in range(6)]
    for title in [item for pair in zip(real[:6], drills, strict=True) for item in pair] + real[6:]:
        incidents.declare(
            db=db,
            event=local_event,
            spec=spec,
            title=title,
            level=3,
            scenario_id="login-failure",
            core_functions=None,
            impact=None,
            phase="live",
            actor=OPS,
            clock=clock,
            is_drill=title in drills,
        )
    db.commit()
    for _ in range(4):
        _pass(database, worker_context, db)
        clock.advance(timedelta(seconds=61))
    contents = [r.json()["markdown"]["content"] for r in http_receiver.requests if r.path == "/wecom"]
    merged = [content for content in contents if any(title in content for title in real)]
    mixed = [content for content in merged if any(title in content for title in drills)]
    assert mixed, contents  # the burst did merge drill and real notifications together
    lines = [line for content in contents for line in content.splitlines()]
    for title in drills:
        shown = [line for line in lines if title in line]
        assert shown and all("演练" in line or "DRILL" in line for line in shown), (title, shown)
    for title in real:
        assert all("演练" not in line and "DRILL" not in line for line in lines if title in line), title
