"""The ``maintenance_post`` hook: a maintenance window of noise control (``eventguard.noise.posts``)
posts its occurrence as the status page's scheduled maintenance — scheduled ahead, in progress at
its start, completed at its end (or cancelled), each with a subscriber notification when asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock, local_time
from eventguard.comms.models import MaintenanceStatus
from eventguard.comms.updates import maintenance
from eventguard.i18n import t
from eventguard.plans import service as plans

M = MaintenanceStatus
ACTOR = Actor(type="system", name="maintenance-window")
LANGUAGES = ("zh-CN", "en")
STEPS = {
    "in_progress": (M.in_progress, "The planned maintenance has started."),
    "completed": (M.completed, "The planned maintenance is complete."),
    "cancelled": (M.completed, "The planned maintenance was cancelled."),
}


def _scheduled_body(starts_at: datetime, ends_at: datetime, timezone: str, lang: str) -> str:
    return t(
        "Planned maintenance from {start} to {end}.",
        lang,
        start=local_time(starts_at, timezone),
        end=local_time(ends_at, timezone),
    )


def post(
    db: Session,
    *,
    event_id: int,
    step: str,
    maintenance_id: int | None,
    title: dict[str, str] | None,
    body: dict[str, str] | None,
    components: list[str],
    starts_at: datetime,
    ends_at: datetime,
    notify: bool,
    clock: Clock,
) -> int | None:
    """Schedule the maintenance (returns its id) or move it to the step's status."""
    if step == "scheduled":
        spec = plans.get_active_plan(db=db, event_id=event_id)
        zone = spec.event.timezone
        text = body or {lang: _scheduled_body(starts_at, ends_at, zone, lang) for lang in LANGUAGES}
        created = maintenance.schedule(
            db=db,
            event_id=event_id,
            spec=spec,
            title=title or {},
            body=text,
            components=components,
            scheduled_for=starts_at,
            scheduled_until=ends_at,
            auto_transition=True,
            notify=notify,
            actor=ACTOR,
            clock=clock,
        )
        return created.id
    if maintenance_id is None or step not in STEPS:
        return None
    found = maintenance.get(db=db, maintenance_id=maintenance_id, event_id=event_id)
    status, message = STEPS[step]
    if found.status is M.completed or (found.status is status and step != "cancelled"):
        return found.id  # someone set it by hand already
    maintenance.change_status(
        db=db,
        maintenance=found,
        status=status,
        body={lang: t(message, lang) for lang in LANGUAGES},
        notify=notify,
        actor=ACTOR,
        clock=clock,
    )
    return found.id
