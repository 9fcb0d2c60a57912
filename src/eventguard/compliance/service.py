"""Marking an incident reportable, its deadlines, their drafts and recording a report as sent.

Every change is audited (``compliance.*``) and on the incident's timeline (kind ``compliance``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.compliance.defaults import rules_of
from eventguard.compliance.models import DeadlineReminder, ReportableMark, ReportDeadline
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, RunbookTask, TaskStatus
from eventguard.plans import service as plans
from eventguard.plans.schemas import COMPLIANCE_GRADES, ComplianceRule, PlanSpec, Team

SYSTEM = Actor.system()


def grade_rank(grade: str) -> int:
    return [str(item) for item in COMPLIANCE_GRADES].index(grade)


def legal_team(spec: PlanSpec) -> Team | None:
    """The team told of deadlines: compliance.legal_team, readiness.legal_team, else the first legal team."""
    wanted = spec.compliance.legal_team or spec.readiness.legal_team
    if wanted:
        return spec.team(wanted)
    return next((team for team in spec.teams if team.kind == "legal"), None)


def applicable(
    spec: PlanSpec, *, grade: str, personal_data: bool, eu_personal_data: bool
) -> list[ComplianceRule]:
    """The rules a reportable incident of this grade and data falls under."""
    found = []
    for rule in rules_of(spec.compliance):
        if grade_rank(grade) < grade_rank(rule.min_grade):
            continue
        if rule.operator_types and spec.compliance.operator_type not in rule.operator_types:
            continue
        if rule.applies_to == "personal_data" and not (personal_data or eu_personal_data):
            continue
        if rule.applies_to == "eu_personal_data" and not eu_personal_data:
            continue
        found.append(rule)
    return found


def reminder_times(spec: PlanSpec, started: datetime, due: datetime) -> list[tuple[str, datetime]]:
    """(kind, when) of every reminder of a deadline, oldest first, none outside (started, due]."""
    settings = spec.compliance.reminders
    span = due - started
    times: dict[datetime, str] = {}
    for fraction in settings.at_fraction:
        if 0 < fraction < 1:
            times.setdefault(started + span * fraction, "fraction")
    for before in settings.before:
        at = due - before
        if started < at < due:
            times.setdefault(at, "before")
    if settings.on_expiry:
        times.setdefault(due, "expired")
    return sorted(((kind, at) for at, kind in times.items()), key=lambda item: item[1])


def _tasks_done(db: Session, incident_id: int, lang: str) -> str:
    tasks = db.scalars(
        select(RunbookTask).where(RunbookTask.incident_id == incident_id).order_by(RunbookTask.position)
    ).all()
    done = [
        task.title.get(lang, task.title.get("en", "")) for task in tasks if task.status is TaskStatus.done
    ]
    return "; ".join(done)


def _prefill(
    db: Session, spec: PlanSpec, incident: Incident, rule: ComplianceRule, lang: str
) -> list[dict[str, Any]]:
    """The draft's fields, the ones EventGuard knows filled in (the legal team completes the rest)."""
    team = legal_team(spec)
    lead = next((p for p in spec.people if team and p.id == team.lead), None)
    contact = ", ".join(x for x in (lead.name, lead.phone or "", lead.email or "") if x) if lead else ""
    opened = incident.opened_at.astimezone(ZoneInfo(spec.event.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    facts = f"#{incident.id} {incident.title}; {opened}"
    if incident.impact:
        facts += f"; {incident.impact}"
    fields = []
    for label in rule.content:
        english = label.en.lower()
        value = ""
        if "contact" in english:
            value = contact
        elif "measures taken" in english or "remedial measures" in english:
            value = _tasks_done(db, incident.id, lang)
        elif "what happened" in english or "nature of the breach" in english or "operator, time" in english:
            value = facts
        fields.append({"label": label.model_dump(by_alias=True), "value": value})
    return fields


def get_mark(*, db: Session, incident_id: int) -> ReportableMark | None:
    return db.scalars(select(ReportableMark).where(ReportableMark.incident_id == incident_id)).first()


def mark_reportable(
    *,
    db: Session,
    incident: Incident,
    grade: str,
    personal_data: bool,
    eu_personal_data: bool,
    aware_at: datetime | None,
    note: str | None,
    actor: Actor,
    clock: Clock,
    language: str = "zh-CN",
) -> tuple[ReportableMark, list[ReportDeadline]]:
    """Mark a security incident reportable: the applicable rules' deadlines start from ``aware_at``
    (default: when the incident opened), with their reminders and drafts."""
    if grade not in COMPLIANCE_GRADES:
        raise InvalidInput(
            Message(
                "Unknown grade {grade}: use {known}.", {"grade": grade, "known": ", ".join(COMPLIANCE_GRADES)}
            ),
            code="invalid_grade",
        )
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    if incident.kind not in spec.compliance.scenario_kinds:
        raise InvalidInput(
            Message(
                "Only incidents of these kinds can be marked reportable: {kinds}.",
                {"kinds": ", ".join(spec.compliance.scenario_kinds)},
            ),
            code="not_reportable_kind",
        )
    if get_mark(db=db, incident_id=incident.id) is not None:
        raise Conflict(Message("This incident is already marked reportable."), code="already_reportable")
    now = clock.now()
    start = aware_at or incident.opened_at
    if start > now:
        raise InvalidInput(Message("The time of awareness cannot be in the future."), code="aware_in_future")
    mark = ReportableMark(
        event_id=incident.event_id,
        incident_id=incident.id,
        grade=grade,
        personal_data=personal_data,
        eu_personal_data=eu_personal_data,
        aware_at=start,
        marked_at=now,
        marked_by=actor.name,
        note=note,
    )
    db.add(mark)
    db.flush()
    deadlines = []
    for rule in applicable(spec, grade=grade, personal_data=personal_data, eu_personal_data=eu_personal_data):
        due = start + rule.within
        deadline = ReportDeadline(
            mark_id=mark.id,
            incident_id=incident.id,
            event_id=incident.event_id,
            rule_id=rule.id,
            rule=rule.model_dump(mode="json", by_alias=True),
            started_at=start,
            due_at=due,
            status="open",
            draft=_prefill(db, spec, incident, rule, language),
        )
        db.add(deadline)
        db.flush()
        for kind, at in reminder_times(spec, start, due):
            db.add(
                DeadlineReminder(
                    deadline_id=deadline.id, kind=kind, due_at=max(at, now) if kind != "expired" else at
                )
            )
        deadlines.append(deadline)
    facts = {
        "grade": grade,
        "personal_data": personal_data,
        "eu_personal_data": eu_personal_data,
        "aware_at": start.isoformat(),
        "deadlines": [{"rule": d.rule_id, "due_at": d.due_at.isoformat()} for d in deadlines],
    }
    audit.record(
        db=db,
        actor=actor,
        action="compliance.mark",
        target_type="incident",
        target_id=incident.id,
        after=facts,
        clock=clock,
    )
    text = f"reportable, grade {grade}: " + ", ".join(
        f"{d.rule_id} due {d.due_at.isoformat()}" for d in deadlines
    )
    timeline.add(
        db=db,
        incident=incident,
        kind="compliance",
        actor=actor,
        clock=clock,
        text=text,
        data={"outcome": "reportable", **facts},
    )
    return mark, deadlines


def deadlines_of(*, db: Session, incident_id: int) -> Sequence[ReportDeadline]:
    return db.scalars(
        select(ReportDeadline)
        .where(ReportDeadline.incident_id == incident_id)
        .order_by(ReportDeadline.due_at)
    ).all()


def get_deadline(*, db: Session, deadline_id: int) -> ReportDeadline:
    found = db.get(ReportDeadline, deadline_id)
    if found is None:
        raise NotFound(Message("No such reporting deadline."), code="deadline_not_found")
    return found


def edit_draft(
    *, db: Session, deadline: ReportDeadline, values: dict[int, str], actor: Actor, clock: Clock
) -> ReportDeadline:
    """Fill in fields of the draft (by position); a sent report is closed."""
    if deadline.status != "open":
        raise Conflict(Message("This report was recorded as sent; its draft is closed."), code="report_sent")
    draft = [dict(field) for field in deadline.draft]
    for index, value in values.items():
        if not 0 <= index < len(draft):
            raise InvalidInput(
                Message("The draft has no field {index}.", {"index": index}), code="no_such_field"
            )
        draft[index]["value"] = value
    before = [field["value"] for field in deadline.draft]
    deadline.draft = draft
    deadline.draft_updated_at, deadline.draft_updated_by = clock.now(), actor.name
    audit.record(
        db=db,
        actor=actor,
        action="compliance.draft",
        target_type="report_deadline",
        target_id=deadline.id,
        before={"values": before},
        after={"values": [field["value"] for field in draft]},
        clock=clock,
    )
    return deadline


def missing_fields(deadline: ReportDeadline) -> list[str]:
    return [
        field["label"].get("en", "") for field in deadline.draft if not str(field.get("value", "")).strip()
    ]


@dataclass(frozen=True)
class Sending:
    sent_at: datetime
    sent_by: str
    sent_to: str
    reference: str | None = None


def record_sent(
    *,
    db: Session,
    deadline: ReportDeadline,
    sending: Sending,
    actor: Actor,
    clock: Clock,
    allow_partial: bool,
) -> ReportDeadline:
    """The legal team sent the report (who, when, to which authority): the deadline is met or late,
    its reminders stop. Fields left empty refuse it unless the rule allows phased information."""
    if deadline.status != "open":
        raise Conflict(Message("This report was recorded as sent already."), code="report_sent")
    if not sending.sent_by.strip() or not sending.sent_to.strip():
        raise InvalidInput(Message("Say who sent it and to which authority."), code="sent_fields_missing")
    if sending.sent_at > clock.now() + timedelta(minutes=1):
        raise InvalidInput(Message("The time it was sent cannot be in the future."), code="sent_in_future")
    missing = missing_fields(deadline)
    if missing and not (allow_partial and deadline.rule.get("phased")):
        raise InvalidInput(
            Message("The draft still misses: {fields}.", {"fields": "; ".join(missing)}),
            code="draft_incomplete",
            details={"missing": missing, "phased": bool(deadline.rule.get("phased"))},
        )
    deadline.status = "sent"
    deadline.sent_at, deadline.sent_by, deadline.sent_to = (
        sending.sent_at,
        sending.sent_by.strip(),
        sending.sent_to.strip(),
    )
    deadline.reference = sending.reference
    deadline.recorded_by, deadline.recorded_at = actor.name, clock.now()
    db.execute(
        update(DeadlineReminder)
        .where(DeadlineReminder.deadline_id == deadline.id, DeadlineReminder.fired_at.is_(None))
        .values(cancelled_at=clock.now())
    )
    facts = {
        "rule": deadline.rule_id,
        "sent_at": sending.sent_at.isoformat(),
        "sent_by": deadline.sent_by,
        "sent_to": deadline.sent_to,
        "reference": sending.reference,
        "on_time": sending.sent_at <= deadline.due_at,
        "partial": bool(missing),
    }
    audit.record(
        db=db,
        actor=actor,
        action="compliance.sent",
        target_type="report_deadline",
        target_id=deadline.id,
        after=facts,
        clock=clock,
    )
    incident = db.get(Incident, deadline.incident_id)
    assert incident is not None
    when = sending.sent_at.isoformat()
    text = f"{deadline.rule_id} sent to {deadline.sent_to} by {deadline.sent_by} at {when}"
    timeline.add(
        db=db,
        incident=incident,
        kind="compliance",
        actor=actor,
        clock=clock,
        text=text,
        data={"outcome": "sent", **facts},
    )
    return deadline


def view(deadline: ReportDeadline, now: datetime) -> dict[str, Any]:
    """A deadline as the API and the room show it."""
    left = (deadline.due_at - now).total_seconds()
    return {
        "id": deadline.id,
        "incident_id": deadline.incident_id,
        "rule_id": deadline.rule_id,
        "name": deadline.rule.get("name", {}),
        "authority": deadline.rule.get("authority", {}),
        "source": deadline.rule.get("source", ""),
        "statutory": deadline.rule.get("statutory", True),
        "phased": deadline.rule.get("phased", False),
        "notify_individuals": deadline.rule.get("notify_individuals", False),
        "started_at": deadline.started_at,
        "due_at": deadline.due_at,
        "status": deadline.status,
        "seconds_left": int(left),
        "overdue": deadline.status == "open" and left < 0,
        "draft": deadline.draft,
        "sent_at": deadline.sent_at,
        "sent_by": deadline.sent_by,
        "sent_to": deadline.sent_to,
        "reference": deadline.reference,
        "on_time": (deadline.sent_at <= deadline.due_at) if deadline.sent_at else None,
    }
