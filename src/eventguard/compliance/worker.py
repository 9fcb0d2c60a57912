"""The worker's compliance job (``worker_pass`` hook): reminders that fell due tell the legal team
through the notification pipeline (one failover chain per person, like a page), and are put on the
incident's timeline. A report recorded as sent cancels its reminders."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.compliance.models import DeadlineReminder, ReportDeadline
from eventguard.compliance.service import SYSTEM, legal_team
from eventguard.db import Database
from eventguard.i18n import t
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.logs import get_logger
from eventguard.notify import ack, deliveries
from eventguard.notify.channels.base import Notification
from eventguard.notify.planner import FAILOVER_STEP, on_call_lookup
from eventguard.notify.recipients import resolve
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec, TeamTarget
from eventguard.worker.context import WorkerContext

TOPIC = "compliance.deadline"
log = get_logger("eventguard.compliance")


def _left(seconds: float, lang: str) -> str:
    minutes = int(abs(seconds) // 60)
    text = f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return text if seconds >= 0 else t("{time} ago", lang, time=text)


def _note(
    reminder: DeadlineReminder,
    deadline: ReportDeadline,
    incident: Incident,
    spec: PlanSpec,
    lang: str,
    key: str,
    context: WorkerContext,
    now: datetime,
) -> Notification:
    name = deadline.rule.get("name", {}).get(lang, deadline.rule_id)
    authority = deadline.rule.get("authority", {}).get(lang, "")
    due_local = deadline.due_at.astimezone(ZoneInfo(spec.event.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    seconds = (deadline.due_at - now).total_seconds()
    if reminder.kind == "expired":
        title = t("Reporting deadline passed: {rule} (incident #{id})", lang, rule=name, id=incident.id)
    else:
        title = t(
            "Reporting deadline in {left}: {rule} (incident #{id})",
            lang,
            left=_left(seconds, lang),
            rule=name,
            id=incident.id,
        )
    url = ack.incident_url(context.settings, incident.id)
    body = t(
        "{rule}\nReport to: {authority}\nDue: {due}\nIncident: {summary}\n"
        "Complete the draft and record it as sent: {url}",
        lang,
        rule=name,
        authority=authority,
        due=due_local,
        summary=incident.title,
        url=url,
    )
    return Notification(
        idempotency_key=key,
        topic=TOPIC,
        title=title,
        text=body,
        markdown=body,
        language=lang,
        level=incident.level,
        is_drill=incident.is_drill,
        incident_url=url,
        occurred_at=now,
        data={
            "incident_id": incident.id,
            "deadline_id": deadline.id,
            "rule": deadline.rule_id,
            "reminder": reminder.kind,
            "due_at": deadline.due_at.isoformat(),
            "event": spec.event.slug,
        },
    )


def _fire(db: Session, reminder: DeadlineReminder, context: WorkerContext, now: datetime) -> int:
    deadline = db.get(ReportDeadline, reminder.deadline_id)
    incident = db.get(Incident, deadline.incident_id) if deadline else None
    if deadline is None or incident is None or deadline.status != "open":
        reminder.cancelled_at = now
        return 0
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    team = legal_team(spec)
    queued = 0
    if team is not None:
        lookup = on_call_lookup(db=db, event_id=incident.event_id, spec=spec, at=now)
        for recipient in resolve(spec, [TeamTarget(team=team.id, role="all")], lookup):
            lang = recipient.person.language if recipient.person else context.settings.default_language
            for rank, method in enumerate(recipient.methods):
                key = deliveries.new_key()
                deliveries.enqueue(
                    db=db,
                    channel_kind=method.kind,
                    address=method.address,
                    notification=_note(reminder, deadline, incident, spec, lang, key, context, now),
                    purpose="compliance",
                    clock=context.clock,
                    event_id=incident.event_id,
                    incident_id=incident.id,
                    channel_id=method.channel_id,
                    recipient=recipient.person.id if recipient.person else None,
                    role=recipient.target,
                    secret_env=method.secret_env,
                    options=dict(method.options),
                    available_at=now + FAILOVER_STEP * rank,
                    failover_group=f"c{reminder.id}:{recipient.target}"[:64],
                    failover_rank=rank,
                )
                queued += 1
    reminder.fired_at = now
    timeline.add(
        db=db,
        incident=incident,
        kind="compliance",
        actor=SYSTEM,
        clock=context.clock,
        text=f"{deadline.rule_id}: reminder ({reminder.kind}) to {team.id if team else 'nobody'}",
        data={
            "outcome": "reminded",
            "rule": deadline.rule_id,
            "reminder": reminder.kind,
            "due_at": deadline.due_at.isoformat(),
            "team": team.id if team else None,
            "messages": queued,
        },
    )
    return queued


def fire_due(*, database: Database, context: WorkerContext) -> None:
    """Queue the legal team's messages of every reminder that is due (the ``worker_pass`` hook).
    A read first: the write transaction (SQLite's single writer) is only taken when one is due."""
    now = context.clock.now()
    due_now = (
        select(DeadlineReminder)
        .where(
            DeadlineReminder.fired_at.is_(None),
            DeadlineReminder.cancelled_at.is_(None),
            DeadlineReminder.due_at <= now,
        )
        .order_by(DeadlineReminder.due_at)
        .limit(100)
    )
    with database.session() as db:
        if db.scalars(due_now.with_only_columns(DeadlineReminder.id)).first() is None:
            return
    with database.session(write=True) as db:
        due = db.scalars(due_now.with_for_update(skip_locked=True)).all()
        fired = [(reminder.id, _fire(db, reminder, context, now)) for reminder in due]
        db.commit()
    if fired:
        log.info("compliance_reminders", reminders=fired)
