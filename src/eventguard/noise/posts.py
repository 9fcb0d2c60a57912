"""Maintenance windows that say so (``status_page`` in the plan, or in the API's window) post each
occurrence as the status page's scheduled maintenance: ``announce_before`` ahead it is posted as
scheduled, at its start it moves to in progress, at its end to completed — each step once, with a
subscriber notification when ``notify`` (the default). A window deleted (or dropped from the plan)
before its occurrence ended completes it at once.

Noise knows nothing of the status page: each step is handed to the ``maintenance_post`` hook
(``eventguard.domains``), which the comms domain implements; its answer (the maintenance's id) is
kept on the :class:`MaintenancePost` row that makes every step happen exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.domains import hook_functions
from eventguard.events.models import Event
from eventguard.logs import get_logger
from eventguard.noise import metrics
from eventguard.noise.models import MaintenancePost, MaintenanceWindow
from eventguard.noise.windows import Recurrence
from eventguard.plans.schemas import PlanSpec

log = get_logger("eventguard.noise.posts")
DEFAULT_ANNOUNCE = timedelta(hours=24)


@dataclass(frozen=True)
class Posting:
    """A window that posts on the status page, as this module needs it."""

    key: str  # plan-window:<id> | window:<id>
    recurrence: Recurrence
    name: dict[str, str]
    components: list[str]
    title: dict[str, str] | None
    body: dict[str, str] | None
    announce_before: timedelta
    notify: bool


def postings(*, db: Session, event_id: int, spec: PlanSpec) -> list[Posting]:
    """The event's windows that post on the status page (the plan's, then the ad-hoc ones)."""
    found: list[Posting] = []
    for item in spec.maintenance_windows:
        post = item.status_page
        if post is None:
            continue
        found.append(
            Posting(
                key=f"plan-window:{item.id}",
                recurrence=Recurrence(
                    item.start, item.duration, item.repeat, spec.event.timezone, item.until
                ),
                name=item.name.model_dump(by_alias=True),
                components=list(post.components),
                title=post.title.model_dump(by_alias=True) if post.title else None,
                body=post.body.model_dump(by_alias=True) if post.body else None,
                announce_before=post.announce_before,
                notify=post.notify,
            )
        )
    windows = db.scalars(
        select(MaintenanceWindow).where(
            MaintenanceWindow.event_id == event_id,
            MaintenanceWindow.deleted_at.is_(None),
            MaintenanceWindow.status_page.is_not(None),
        )
    )
    for window in windows:
        stored: dict[str, Any] = window.status_page or {}
        found.append(
            Posting(
                key=f"window:{window.id}",
                recurrence=Recurrence(
                    window.starts_at,
                    timedelta(seconds=window.duration_seconds),
                    window.repeat,  # type: ignore[arg-type]
                    window.timezone,
                    window.until,
                ),
                name={"zh-CN": window.name, "en": window.name},
                components=list(stored.get("components") or []),
                title=stored.get("title"),
                body=stored.get("body"),
                announce_before=timedelta(seconds=int(stored.get("announce_before_seconds", 86400))),
                notify=bool(stored.get("notify", True)),
            )
        )
    return found


def _post(db: Session, event_id: int, step: str, clock: Clock, **values: Any) -> int | None:
    answer: int | None = None
    for function in hook_functions("maintenance_post"):
        answer = function(db, event_id=event_id, step=step, clock=clock, **values) or answer
    metrics.MAINTENANCE_POSTS.labels(step).inc()
    return answer


def _upcoming(posting: Posting, now: datetime) -> datetime | None:
    """The start of the occurrence that is on, or that starts within ``announce_before``."""
    on = posting.recurrence.covering(now)
    if on is not None:
        return on
    upcoming = posting.recurrence.next_start(now)
    if upcoming is not None and upcoming - posting.announce_before <= now:
        return upcoming
    return None


def sync(*, db: Session, clock: Clock, spec_of: dict[int, PlanSpec]) -> list[tuple[str, str]]:
    """Post what is due now for every event; returns (window key, step) of each step taken."""
    now = clock.now()
    taken: list[tuple[str, str]] = []
    event_ids = list(db.scalars(select(Event.id).order_by(Event.id)))
    for event_id in event_ids:
        spec = spec_of.get(event_id)
        if spec is None:
            continue
        by_key = {p.key: p for p in postings(db=db, event_id=event_id, spec=spec)}
        unfinished = select(MaintenancePost.id).where(
            MaintenancePost.event_id == event_id, MaintenancePost.ended_at.is_(None)
        )
        if not by_key and db.scalar(unfinished.limit(1)) is None:
            continue
        # The event's row is locked (skipped when another worker has it): one worker posts its steps.
        mine = select(Event.id).where(Event.id == event_id).with_for_update(skip_locked=True, key_share=True)
        if db.scalar(mine) is None:
            continue
        try:
            with db.begin_nested():
                taken += _sync_event(db, event_id, by_key, now, clock)
        except Exception:  # one event's failing post must not stop the others (retried next pass)
            log.exception("maintenance_post_failed", event_id=event_id)
    if taken:
        log.info("maintenance_posted", steps=taken)
    return taken


def _sync_event(
    db: Session, event_id: int, by_key: dict[str, Posting], now: datetime, clock: Clock
) -> list[tuple[str, str]]:
    taken: list[tuple[str, str]] = []
    for posting in by_key.values():
        start = _upcoming(posting, now)
        if start is None:
            continue
        exists = db.scalar(
            select(MaintenancePost.id).where(
                MaintenancePost.event_id == event_id,
                MaintenancePost.window == posting.key,
                MaintenancePost.occurrence_start == start,
            )
        )
        if exists is not None:
            continue
        end = start + posting.recurrence.duration
        maintenance_id = _post(
            db,
            event_id,
            "scheduled",
            clock,
            maintenance_id=None,
            title=posting.title or posting.name,
            body=posting.body,
            components=posting.components,
            starts_at=start,
            ends_at=end,
            notify=posting.notify,
        )
        db.add(
            MaintenancePost(
                event_id=event_id,
                window=posting.key,
                occurrence_start=start,
                occurrence_end=end,
                maintenance_id=maintenance_id,
                announced_at=now,
            )
        )
        db.flush()
        taken.append((posting.key, "scheduled"))
    open_posts = db.scalars(
        select(MaintenancePost)
        .where(MaintenancePost.event_id == event_id, MaintenancePost.ended_at.is_(None))
        .order_by(MaintenancePost.occurrence_start, MaintenancePost.id)
    ).all()
    for post in open_posts:
        current = by_key.get(post.window)
        gone = current is None
        if not gone and now < post.occurrence_start:
            continue
        step = "completed" if gone or now >= post.occurrence_end else "in_progress"
        if step == "in_progress" and post.started_at is not None:
            continue
        _post(
            db,
            event_id,
            "cancelled" if gone and now < post.occurrence_end else step,
            clock,
            maintenance_id=post.maintenance_id,
            title=None,
            body=None,
            components=current.components if current else [],
            starts_at=post.occurrence_start,
            ends_at=post.occurrence_end,
            notify=current.notify if current else True,
        )
        if step == "in_progress":
            post.started_at = now
        else:
            post.ended_at = now
        taken.append((post.window, step))
    return taken


def pending(*, db: Session, now: datetime, spec_of: dict[int, PlanSpec]) -> bool:
    """Whether :func:`sync` has a step to take now (read only: the worker takes no write lock for
    nothing)."""
    for event_id, spec in spec_of.items():
        for posting in postings(db=db, event_id=event_id, spec=spec):
            start = _upcoming(posting, now)
            if start is None:
                continue
            exists = select(MaintenancePost.id).where(
                MaintenancePost.event_id == event_id,
                MaintenancePost.window == posting.key,
                MaintenancePost.occurrence_start == start,
            )
            if db.scalar(exists) is None:
                return True
    unfinished = db.scalars(select(MaintenancePost).where(MaintenancePost.ended_at.is_(None))).all()
    for post in unfinished:
        plan = spec_of.get(post.event_id)
        keys = {p.key for p in postings(db=db, event_id=post.event_id, spec=plan)} if plan else set()
        if post.window not in keys or now >= post.occurrence_end:
            return True
        if now >= post.occurrence_start and post.started_at is None:
            return True
    return False
