"""Action-item reminders (the ``worker_pass`` hook): an item that is still open or in progress tells
its owner team's lead ``postmortems.action_item_reminder_days`` before its due date, on the due date,
and then every ``postmortems.action_item_overdue_every_days`` while it stays overdue — through the
notification pipeline (one failover chain per person, like a page). ``reminded_at`` keeps the last
one, so each falls due once; moving the due date later starts over. Every reminder is audited
(``action_item.reminded``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.db import Database
from eventguard.i18n import t
from eventguard.logs import get_logger
from eventguard.notify import deliveries
from eventguard.notify.channels.base import Notification
from eventguard.notify.planner import FAILOVER_STEP, on_call_lookup
from eventguard.notify.recipients import resolve
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec, PostmortemPolicy, TeamTarget
from eventguard.reviews.export import status_name
from eventguard.reviews.models import ActionItem, ActionItemStatus
from eventguard.reviews.service import SYSTEM
from eventguard.worker.context import WorkerContext

TOPIC = "action_item.reminder"
PURPOSE = "action_item"
CHECK_EVERY = timedelta(minutes=1)  # open items are read at most this often
OPEN = (ActionItemStatus.open, ActionItemStatus.in_progress)
log = get_logger("eventguard.reviews")


@dataclass(frozen=True)
class Due:
    """A reminder that fell due: ``kind`` is ``before`` (the due date is ahead) or ``overdue``."""

    kind: str
    at: datetime


def next_reminder(item: ActionItem, policy: PostmortemPolicy) -> Due | None:
    """When the item's next reminder falls due (None: it gets none). Counted from its last reminder,
    or from its creation: an item made inside the reminder window, or overdue already, is not
    reminded the moment it is made."""
    if item.status not in OPEN:
        return None
    since = item.reminded_at or item.created_at
    before = item.due_at - timedelta(days=policy.action_item_reminder_days)
    if policy.action_item_reminder_days and since < before:
        return Due("before", before)
    every = timedelta(days=policy.action_item_overdue_every_days)
    if not every:
        return None
    if since < item.due_at:
        return Due("overdue", item.due_at)
    return Due("overdue", since + every)


def _whole_days(delta: timedelta) -> int:
    return max(0, delta // timedelta(days=1))


def _note(
    item: ActionItem, due: Due, spec: PlanSpec, lang: str, key: str, context: WorkerContext, now: datetime
) -> Notification:
    due_local = item.due_at.astimezone(ZoneInfo(spec.event.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    if due.kind == "before":
        title = t(
            "Action item due in {days} days: {title}",
            lang,
            days=max(1, -(-(item.due_at - now) // timedelta(days=1))),  # days left, rounded up
            title=item.title,
        )
    elif _whole_days(now - item.due_at) == 0:
        title = t("Action item due now: {title}", lang, title=item.title)
    else:
        title = t(
            "Action item overdue by {days} days: {title}",
            lang,
            days=_whole_days(now - item.due_at),
            title=item.title,
        )
    url = f"{context.settings.base_url}/action-items/{item.id}"
    origin = (
        t("From the postmortem of incident #{id}.", lang, id=item.incident_id)
        if item.incident_id is not None
        else t("From drill run #{id}.", lang, id=item.drill_run_id)
        if item.drill_run_id is not None
        else ""
    )
    body = t(
        "{title}\nOwner: {team}\nDue: {due}\nStatus: {status}\n{origin}\n"
        "Mark it done or in progress, or move its due date: {url}",
        lang,
        title=item.title,
        team=item.owner_team,
        due=due_local,
        status=status_name(item.status.value, lang),
        origin=origin,
        url=url,
    )
    return Notification(
        idempotency_key=key,
        topic=TOPIC,
        title=title,
        text=body,
        markdown=body,
        language=lang,
        incident_url=f"{context.settings.base_url}/incidents/{item.incident_id}"
        if item.incident_id
        else None,
        occurred_at=now,
        data={
            "action_item_id": item.id,
            "reminder": due.kind,
            "due_at": item.due_at.isoformat(),
            "owner_team": item.owner_team,
            "incident_id": item.incident_id,
            "drill_run_id": item.drill_run_id,
            "event": spec.event.slug,
        },
    )


def _remind(db: Session, item: ActionItem, due: Due, spec: PlanSpec, context: WorkerContext) -> int:
    now = context.clock.now()
    queued = 0
    if any(team.id == item.owner_team for team in spec.teams):
        lookup = on_call_lookup(db=db, event_id=item.event_id, spec=spec, at=now)
        for recipient in resolve(spec, [TeamTarget(team=item.owner_team, role="lead")], lookup):
            lang = recipient.person.language if recipient.person else context.settings.default_language
            for rank, method in enumerate(recipient.methods):
                key = deliveries.new_key()
                deliveries.enqueue(
                    db=db,
                    channel_kind=method.kind,
                    address=method.address,
                    notification=_note(item, due, spec, lang, key, context, now),
                    purpose=PURPOSE,
                    clock=context.clock,
                    event_id=item.event_id,
                    incident_id=item.incident_id,
                    channel_id=method.channel_id,
                    recipient=recipient.person.id if recipient.person else None,
                    role=recipient.target,
                    secret_env=method.secret_env,
                    options=dict(method.options),
                    available_at=now + FAILOVER_STEP * rank,
                    failover_group=f"a{item.id}.{int(now.timestamp())}:{recipient.target}"[:64],
                    failover_rank=rank,
                )
                queued += 1
    before = item.reminded_at
    item.reminded_at = now
    audit.record(
        db=db,
        actor=SYSTEM,
        action="action_item.reminded",
        target_type="action_item",
        target_id=item.id,
        before={"reminded_at": before.isoformat() if before else None},
        after={"reminder": due.kind, "reminded_at": now.isoformat(), "messages": queued},
        clock=context.clock,
    )
    return queued


def _due_items(
    db: Session, now: datetime, *, among: Sequence[int] | None = None
) -> list[tuple[ActionItem, Due, PlanSpec]]:
    """Open items whose next reminder fell due; ``among``: only these, their rows locked (a second
    worker skips what this one is reminding, on PostgreSQL)."""
    specs: dict[int, PlanSpec] = {}
    found = []
    query = select(ActionItem).where(ActionItem.status.in_(OPEN)).order_by(ActionItem.id)
    if among is not None:
        query = query.where(ActionItem.id.in_(among)).with_for_update(skip_locked=True)
    for item in db.scalars(query):
        if item.event_id not in specs:
            specs[item.event_id] = plans.get_active_plan(db=db, event_id=item.event_id)
        spec = specs[item.event_id]
        due = next_reminder(item, spec.postmortems)
        if due is not None and due.at <= now:
            found.append((item, due, spec))
    return found


def remind_due(*, database: Database, context: WorkerContext) -> None:
    """Queue the reminders of every open action item whose next one fell due, at most once every
    ``CHECK_EVERY``. A read first: the write transaction is only taken when one is due."""
    now, last = context.clock.now(), context.marks.get("action_item_reminders")
    if last is not None and last <= now < last + CHECK_EVERY:
        return
    context.marks["action_item_reminders"] = now
    with database.session() as db:
        ids = [item.id for item, _due, _spec in _due_items(db, now)]
    if not ids:
        return
    with database.session(write=True) as db:
        due_now = _due_items(db, now, among=ids)  # again: another worker may have reminded them
        sent = [(item.id, due.kind, _remind(db, item, due, spec, context)) for item, due, spec in due_now]
        db.commit()
    if sent:
        log.info("action_item_reminders", reminders=sent)
