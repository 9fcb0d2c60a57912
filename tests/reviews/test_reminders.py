"""Action-item reminders under a frozen clock, on SQLite and PostgreSQL: the owner team's lead hears
of an open item two days before its due date, on the due date and every day it stays overdue (real
deliveries to a local WeCom receiver), each once; an item marked done goes quiet; moving the due date
later starts over; an item made inside the window is not reminded at once; every reminder is audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.notify import sender
from eventguard.plans import service as plans
from eventguard.plans.schemas import PostmortemPolicy
from eventguard.reviews import reminders, service
from eventguard.reviews.models import ActionItem, ActionItemStatus, Postmortem
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending
from tests.notify.conftest import local_event, worker_context
from tests.notify.receivers import HttpReceiver, http_receiver, smtp_receiver

__all__ = ["http_receiver", "local_event", "smtp_receiver", "worker_context"]
ACTOR = Actor.cli("wang-qiang")
DAY = timedelta(days=1)


def _postmortem(
    db: Session, database: Database, event: Event, clock: FrozenClock, ctx: WorkerContext
) -> Postmortem:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payment gateway down",
        level=2,
        scenario_id="payment-failure",
        core_functions=None,
        impact="Ticket sales stopped",
        phase="prep",
        actor=ACTOR,
        clock=clock,
    )
    clock.advance(timedelta(minutes=30))
    incidents.resolve(db=db, incident=incident, actor=ACTOR, clock=clock, note="Fixed")
    db.commit()
    dispatch_pending(database=database, context=ctx)
    db.commit()
    postmortem = service.for_incident(db=db, incident_id=incident.id)
    assert postmortem is not None
    return postmortem


def _pass(database: Database, context: WorkerContext, clock: FrozenClock, at: datetime) -> None:
    clock.set(at)
    reminders.remind_due(database=database, context=context)
    sender.deliver_due(database=database, context=context)


def _told(receiver: HttpReceiver) -> list[str]:
    """The WeCom markdown of every action-item reminder the receiver got."""
    bodies = [json.loads(r.body) for r in receiver.requests if r.path.startswith("/wecom")]
    texts = [body["markdown"]["content"] for body in bodies if body.get("msgtype") == "markdown"]
    return [text for text in texts if "改进事项" in text]


def test_the_owner_team_lead_is_reminded_before_on_and_after_the_due_date_until_done(
    db: Session,
    database: Database,
    clock: FrozenClock,
    local_event: Event,
    http_receiver: HttpReceiver,
    worker_context: WorkerContext,
) -> None:
    postmortem = _postmortem(db, database, local_event, clock, worker_context)
    due = clock.now() + 5 * DAY
    item = service.add_item(
        db=db,
        postmortem=postmortem,
        title="Renew the gateway certificate automatically",
        owner_team="tech",
        due_at=due,
        actor=ACTOR,
        clock=clock,
    )
    db.commit()

    _pass(database, worker_context, clock, due - 2 * DAY - timedelta(minutes=1))
    assert _told(http_receiver) == []
    _pass(database, worker_context, clock, due - 2 * DAY)
    first = _told(http_receiver)
    assert len(first) == 1, first
    assert "改进事项还有 2 天到期" in first[0] and "Renew the gateway certificate" in first[0]
    assert f"/action-items/{item.id}" in first[0] and "ZhangWei" in first[0]  # the tech lead, mentioned
    assert "来自事件 #" in first[0] and "负责团队:tech" in first[0]
    _pass(database, worker_context, clock, due - 2 * DAY + timedelta(minutes=2))
    _pass(database, worker_context, clock, due - timedelta(minutes=1))
    assert len(_told(http_receiver)) == 1  # a reminder falls due once

    _pass(database, worker_context, clock, due)
    assert "改进事项现在到期" in _told(http_receiver)[1]
    _pass(database, worker_context, clock, due + DAY - timedelta(minutes=1))
    assert len(_told(http_receiver)) == 2
    _pass(database, worker_context, clock, due + DAY)
    assert "改进事项已逾期 1 天" in _told(http_receiver)[2]

    # Done: no more reminders.
    service.set_item_status(
        db=db, item=db.get_one(ActionItem, item.id), status=ActionItemStatus.done, actor=ACTOR, clock=clock
    )
    db.commit()
    _pass(database, worker_context, clock, due + 3 * DAY)
    assert len(_told(http_receiver)) == 3

    db.expire_all()
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "action_item.reminded").order_by(AuditEntry.id)
    ).all()
    assert [entry.after["reminder"] for entry in entries if entry.after] == ["before", "overdue", "overdue"]
    assert db.get_one(ActionItem, item.id).reminded_at == due + DAY


def test_an_item_made_inside_the_window_waits_and_a_later_due_date_starts_over(
    db: Session,
    database: Database,
    clock: FrozenClock,
    local_event: Event,
    http_receiver: HttpReceiver,
    worker_context: WorkerContext,
) -> None:
    postmortem = _postmortem(db, database, local_event, clock, worker_context)
    made = clock.now()
    item = service.add_item(
        db=db,
        postmortem=postmortem,
        title="Drill the switch-over",
        owner_team="ops",
        due_at=made + DAY,
        actor=ACTOR,
        clock=clock,
    )
    db.commit()
    _pass(database, worker_context, clock, made + timedelta(minutes=5))
    assert _told_dingtalk(http_receiver, item) == []  # inside the 2-day window already: not at once
    _pass(database, worker_context, clock, made + DAY)
    due_now = _told_dingtalk(http_receiver, item)
    assert len(due_now) == 1 and "Action item due now: Drill the switch-over" in due_now[0]

    # Moved a week later: the "2 days before" reminder comes again.
    db.get_one(ActionItem, item.id).due_at = made + 8 * DAY
    db.commit()
    _pass(database, worker_context, clock, made + 6 * DAY - timedelta(minutes=1))
    assert len(_told_dingtalk(http_receiver, item)) == 1
    _pass(database, worker_context, clock, made + 6 * DAY)
    assert len(_told_dingtalk(http_receiver, item)) == 2 and _in_either_language(
        _told_dingtalk(http_receiver, item)[1]
    )


def _told_dingtalk(receiver: HttpReceiver, item: ActionItem) -> list[str]:
    """The ops group's reminders of ``item``."""
    texts = [
        json.loads(r.body)["markdown"]["text"] for r in receiver.requests if r.path.startswith("/dingtalk")
    ]
    return [text for text in texts if f"/action-items/{item.id}" in text]


def _in_either_language(text: str) -> bool:
    # The ops lead on call that day reads zh-CN (the rota changes the lead over the week).
    return "Action item due in 2 days" in text or "改进事项还有 2 天到期" in text


def _item(due: datetime, created: datetime, reminded: datetime | None = None) -> ActionItem:
    return ActionItem(
        status=ActionItemStatus.open, due_at=due, created_at=created, reminded_at=reminded, title="x"
    )


@pytest.mark.parametrize(
    ("before_days", "every_days", "reminded", "expected"),
    [
        (2, 1, None, ("before", 8)),
        (2, 1, 8, ("overdue", 10)),
        (2, 1, 10, ("overdue", 11)),
        (2, 3, 11, ("overdue", 14)),
        (0, 1, None, ("overdue", 10)),
        (2, 0, 8, None),
        (0, 0, None, None),
    ],
)
def test_the_next_reminder_follows_the_plan_policy(
    before_days: int, every_days: int, reminded: int | None, expected: tuple[str, int] | None
) -> None:
    start = datetime(2026, 12, 1, 9, 0)

    def day(n: int) -> datetime:
        return start + n * DAY

    item = _item(day(10), day(0), day(reminded) if reminded is not None else None)
    policy = PostmortemPolicy(
        action_item_reminder_days=before_days, action_item_overdue_every_days=every_days
    )
    found = reminders.next_reminder(item, policy)
    assert (found and (found.kind, found.at)) == (expected and (expected[0], day(expected[1])))
    item.status = ActionItemStatus.wont_do
    assert reminders.next_reminder(item, policy) is None
