"""Maintenance windows: ad hoc ones (API, CLI, console; once, daily or weekly in the event's time
zone, optionally posted on the status page) and the plan's, with their recurrences and views.
``noise.service.rules_for`` matches the ones on now against alerts; ``noise.posts`` posts them.

Keyword-only functions taking the session; they flush at most, the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.noise.models import MaintenanceWindow
from eventguard.noise.silencing import MAX_SILENCE, checked_matchers
from eventguard.noise.windows import Recurrence, Repeat
from eventguard.plans.schemas import PlanSpec


def window_recurrence(window: MaintenanceWindow) -> Recurrence:
    return Recurrence(
        start=window.starts_at,
        duration=timedelta(seconds=window.duration_seconds),
        repeat=window.repeat,  # type: ignore[arg-type]
        timezone=window.timezone,
        until=window.until,
    )


def plan_windows(spec: PlanSpec) -> list[tuple[Any, Recurrence]]:
    return [
        (
            item,
            Recurrence(
                start=item.start,
                duration=item.duration,
                repeat=item.repeat,
                timezone=spec.event.timezone,
                until=item.until,
            ),
        )
        for item in spec.maintenance_windows
    ]


def create_window(
    *,
    db: Session,
    event_id: int,
    timezone: str,
    name: str,
    matchers: Sequence[dict[str, str]],
    starts_at: datetime,
    duration: timedelta,
    repeat: Repeat,
    until: datetime | None,
    actor: Actor,
    clock: Clock,
    status_page: dict[str, Any] | None = None,
    known_components: Sequence[str] = (),
) -> MaintenanceWindow:
    """``status_page``: {components, title, body, announce_before (timedelta), notify} or None;
    its components must be among ``known_components`` (the plan's core functions)."""
    built = checked_matchers(matchers)
    posted = _status_page(status_page, known_components) if status_page is not None else None
    if duration <= timedelta(0):
        raise InvalidInput(Message("A maintenance window needs a positive duration."), code="window_duration")
    step = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}.get(repeat)
    if step is not None and duration > step:
        raise InvalidInput(
            Message(
                "A {repeat} maintenance window lasts at most {step}.", {"repeat": repeat, "step": str(step)}
            ),
            code="window_duration",
        )
    if until is not None and until <= starts_at:
        raise InvalidInput(Message("A maintenance window must end after it starts."), code="window_until")
    now = clock.now()
    window = MaintenanceWindow(
        event_id=event_id,
        name=name,
        matchers=[m.as_dict() for m in built],
        starts_at=starts_at,
        duration_seconds=int(duration.total_seconds()),
        repeat=repeat,
        until=until,
        timezone=timezone,
        created_by=actor.name,
        created_at=now,
        status_page=posted,
    )
    db.add(window)
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="maintenance_window.create",
        target_type="maintenance_window",
        target_id=window.id,
        after=window_view(window, now),
        clock=clock,
    )
    return window


def _status_page(value: dict[str, Any], known: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(value["components"]) - set(known))
    if unknown:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": ", ".join(unknown)}),
            code="unknown_core_function",
        )
    if not value.get("components"):
        raise InvalidInput(
            Message("Name the core functions the maintenance affects on the status page."),
            code="window_components",
        )
    announce = value.get("announce_before")
    if announce is None:
        announce = timedelta(hours=24)
    if announce < timedelta(0) or announce > MAX_SILENCE:
        raise InvalidInput(
            Message("announce_before must be between 0 and a year."), code="window_announce_before"
        )
    return {
        "components": list(value["components"]),
        "title": value.get("title"),
        "body": value.get("body"),
        "announce_before_seconds": int(announce.total_seconds()),
        "notify": bool(value.get("notify", True)),
    }


def window_view(window: MaintenanceWindow, at: datetime) -> dict[str, Any]:
    recurrence = window_recurrence(window)
    on = recurrence.covering(at) if window.deleted_at is None else None
    upcoming = recurrence.next_start(at) if window.deleted_at is None else None
    return {
        "id": window.id,
        "origin": "api",
        "name": window.name,
        "matchers": list(window.matchers),
        "starts_at": window.starts_at.isoformat(),
        "duration_seconds": window.duration_seconds,
        "repeat": window.repeat,
        "until": window.until.isoformat() if window.until else None,
        "timezone": window.timezone,
        "created_by": window.created_by,
        "active": on is not None,
        "current_start": on.isoformat() if on else None,
        "next_start": upcoming.isoformat() if upcoming else None,
        "status_page": window.status_page,
    }


def plan_window_view(item: Any, recurrence: Recurrence, at: datetime) -> dict[str, Any]:
    on, upcoming = recurrence.covering(at), recurrence.next_start(at)
    return {
        "id": item.id,
        "origin": "plan",
        "name": item.name.en,
        "matchers": [{"name": m.name, "op": m.op, "value": m.value} for m in item.matchers],
        "starts_at": item.start.isoformat(),
        "duration_seconds": int(item.duration.total_seconds()),
        "repeat": item.repeat,
        "until": item.until.isoformat() if item.until else None,
        "timezone": recurrence.timezone,
        "created_by": "plan",
        "active": on is not None,
        "current_start": on.isoformat() if on else None,
        "next_start": upcoming.isoformat() if upcoming else None,
        "status_page": (
            {
                "components": list(item.status_page.components),
                "title": item.status_page.title.model_dump(by_alias=True) if item.status_page.title else None,
                "body": item.status_page.body.model_dump(by_alias=True) if item.status_page.body else None,
                "announce_before_seconds": int(item.status_page.announce_before.total_seconds()),
                "notify": item.status_page.notify,
            }
            if item.status_page is not None
            else None
        ),
    }


def list_windows(*, db: Session, event_id: int) -> list[MaintenanceWindow]:
    query = select(MaintenanceWindow).where(
        MaintenanceWindow.event_id == event_id, MaintenanceWindow.deleted_at.is_(None)
    )
    return list(db.scalars(query.order_by(MaintenanceWindow.id)))


def delete_window(
    *, db: Session, event_id: int, window_id: int, actor: Actor, clock: Clock
) -> MaintenanceWindow:
    window = db.get(MaintenanceWindow, window_id)
    if window is None or window.event_id != event_id or window.deleted_at is not None:
        raise NotFound(
            Message("No maintenance window {id}.", {"id": window_id}), code="maintenance_window_not_found"
        )
    now = clock.now()
    window.deleted_at = now
    audit.record(
        db=db,
        actor=actor,
        action="maintenance_window.delete",
        target_type="maintenance_window",
        target_id=window.id,
        before=window_view(window, now),
        clock=clock,
    )
    return window
