"""How comms reacts to domain events (run by the worker's outbox dispatcher, one transaction each).

- ``incident.opened`` / ``incident.releveled``: when the plan says the level's public announcement
  is ``required``, a draft is written from the scenario's announcement template (unless the incident
  has one already) and comms is reminded.
- ``comms.draft_reminder``: the reminder rule — every ``reminder_minutes`` (10 by default, per
  event) after the draft was written, while the incident is open, its current level still requires
  an announcement and none of its updates has been published, comms (the incident's comms role,
  else the PR team's lead, else the event owner) gets a reminder delivery and the timeline a
  ``notification`` entry; at most ``MAX_REMINDERS`` times.
- ``incident.resolved``: an incident that told the public something gets a "resolved" draft.
- ``incident.paused``: the event was paused: a draft announcing it from the plan's pause template
  (the built-in text when it has none), unless the incident has an open pause draft already.
- ``comms.update_published`` / ``comms.maintenance_updated``: subscribers and announcement webhooks
  get their deliveries (``comms.hooks.fanout``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.hooks import fanout
from eventguard.comms.models import PublicStatus, UpdateState
from eventguard.comms.statuspage import state
from eventguard.comms.updates import approval, drafts, wording
from eventguard.errors import NotFound
from eventguard.i18n import t
from eventguard.incidents import roles, timeline
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentRole
from eventguard.notify import ack, deliveries, recipients
from eventguard.notify.channels.base import Notification
from eventguard.outbox import service as outbox
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.plans.schemas import Person, PlanSpec
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import Handler

MAX_REMINDERS = 12
SYSTEM = Actor(type="system", name="eventguard")


def _incident(db: Session, incident_id: int) -> Incident | None:
    try:
        return incidents.get(db=db, incident_id=incident_id, for_update=True)
    except NotFound:  # deleted since: nothing left to do
        return None


def on_incident_changed(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """Draft the announcement the level requires and start reminding comms."""
    clock = context.clock
    incident = _incident(db, message.aggregate_id)
    if incident is None or not incident.is_open:
        return
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is None or level.public_announcement != "required":
        return
    if any(
        u.auto or u.state is UpdateState.published
        for u in drafts.list_for_incident(db=db, incident_id=incident.id)
    ):
        return
    drafts.create_draft(
        db=db,
        incident=incident,
        spec=spec,
        draft=drafts.DraftInput(),
        base_url=context.settings.base_url,
        actor=SYSTEM,
        clock=clock,
        auto=True,
        required=True,
    )
    _schedule_reminder(db, incident, 1, clock)


def _schedule_reminder(db: Session, incident: Incident, number: int, clock: Clock) -> None:
    page = state.read(db=db, event_id=incident.event_id, clock=clock)
    message = outbox.enqueue(
        db=db,
        topic="comms.draft_reminder",
        aggregate_type="incident",
        aggregate_id=incident.id,
        event_id=incident.event_id,
        payload={"incident_id": incident.id, "reminder": number},
        is_drill=incident.is_drill,
        clock=clock,
    )
    message.available_at = clock.now() + timedelta(minutes=page.reminder_minutes)


def on_reminder(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """Remind comms while the incident is open and nothing has been published (the module's rule)."""
    clock = context.clock
    incident = _incident(db, message.aggregate_id)
    number = int(message.payload.get("reminder", 1))
    if incident is None or not incident.is_open or approval.has_published(db=db, incident_id=incident.id):
        return
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is None or level.public_announcement != "required":
        return  # re-levelled to a level that requires no announcement: comms is not chased
    person = _comms_person(db, incident, spec)
    text = t("The public announcement of incident #{id} is still unpublished.", "en", id=incident.id)
    data = {"reminder": number, "to": person.id if person else None}
    timeline.add(
        db=db, incident=incident, kind="notification", actor=SYSTEM, clock=clock, text=text, data=data
    )
    if person is not None:
        _send_reminder(db, incident, spec, person, number, context)
    if number < MAX_REMINDERS:
        _schedule_reminder(db, incident, number + 1, clock)


def _comms_person(db: Session, incident: Incident, spec: PlanSpec) -> Person | None:
    assigned = next(
        (
            r.person_id
            for r in roles.list_roles(db=db, incident_id=incident.id)
            if r.role is IncidentRole.comms
        ),
        None,
    )
    pr_lead = next((team.lead for team in spec.teams if team.kind == "pr" and team.lead), None)
    for person_id in (assigned, pr_lead, spec.event.owner):
        person = next((p for p in spec.people if p.id == person_id), None)
        if person is not None:
            return person
    return None


def _send_reminder(
    db: Session, incident: Incident, spec: PlanSpec, person: Person, number: int, context: WorkerContext
) -> None:
    methods = recipients.contact_methods(spec, person)
    if not methods:
        return
    method, lang, settings, clock = methods[0], person.language, context.settings, context.clock
    url = ack.incident_url(settings, incident.id)
    title = t("Publish the announcement of incident #{id}", lang, id=incident.id)
    text = t(
        "Level {level} requires a public announcement and none has been published yet. "
        "Review and publish the draft: {url}",
        lang,
        level=incident.level,
        url=url,
    )
    deliveries.enqueue(
        db=db,
        channel_kind=method.kind,
        address=method.address,
        notification=Notification(
            idempotency_key=f"rem_i{incident.id}_{number}",
            topic="comms.draft_reminder",
            title=title,
            text=text,
            markdown=text,
            language=lang,
            level=incident.level,
            is_drill=incident.is_drill,
            incident_url=url,
            mentions=list(method.options.get("mentions", [])),
            occurred_at=clock.now(),
        ),
        purpose="reminder",
        clock=clock,
        event_id=incident.event_id,
        incident_id=incident.id,
        channel_id=method.channel_id,
        recipient=person.id,
        role="comms",
        secret_env=method.secret_env,
        options=dict(method.options),
    )


def on_incident_resolved(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """An incident the public heard about gets a "resolved" draft for comms to publish."""
    clock = context.clock
    incident = _incident(db, message.aggregate_id)
    if incident is None:
        return
    updates = drafts.list_for_incident(db=db, incident_id=incident.id)
    published = [u for u in updates if u.state is UpdateState.published]
    if not published or published[-1].status is PublicStatus.resolved:
        return
    if any(u.state in drafts.OPEN_STATES and u.status is PublicStatus.resolved for u in updates):
        return
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    draft = drafts.DraftInput(
        status=PublicStatus.resolved, components=published[-1].components, impact=published[-1].impact
    )
    drafts.create_draft(
        db=db,
        incident=incident,
        spec=spec,
        draft=draft,
        base_url=context.settings.base_url,
        actor=SYSTEM,
        clock=clock,
        auto=True,
    )


def on_incident_paused(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """The event is paused: comms gets a draft that tells participants (the plan's pause template)."""
    clock = context.clock
    incident = _incident(db, message.aggregate_id)
    if incident is None:
        return
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    template = wording.pause_template(spec)
    if template is not None:
        updates = drafts.list_for_incident(db=db, incident_id=incident.id)
        if any(u.state in drafts.OPEN_STATES and u.template_id == template.id for u in updates):
            return  # paused again while its first draft is still open
        draft = drafts.DraftInput(template_id=template.id)
    else:
        text = wording.pause_wording(
            spec=spec, incident=incident, since=clock.now(), base_url=context.settings.base_url
        )
        draft = drafts.DraftInput(title=text.title, body=text.body)
    drafts.create_draft(
        db=db,
        incident=incident,
        spec=spec,
        draft=draft,
        base_url=context.settings.base_url,
        actor=SYSTEM,
        clock=clock,
        auto=True,
    )


def on_update_published(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """Queue the deliveries of a published update."""
    fanout.update_published(
        db=db, update_id=message.aggregate_id, settings=context.settings, clock=context.clock
    )


def on_maintenance_updated(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """Queue the deliveries of a maintenance update."""
    fanout.maintenance_updated(
        db=db, maintenance_update_id=message.aggregate_id, settings=context.settings, clock=context.clock
    )


HANDLERS: dict[str, Handler] = {
    "incident.opened": on_incident_changed,
    "incident.releveled": on_incident_changed,
    "incident.resolved": on_incident_resolved,
    "incident.paused": on_incident_paused,
    "comms.draft_reminder": on_reminder,
    "comms.update_published": on_update_published,
    "comms.maintenance_updated": on_maintenance_updated,
}
