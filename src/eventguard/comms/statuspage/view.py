"""The public view of an event: everything the status page, its JSON and its feed show, and nothing
else. It is built from published updates, maintenances, active backup plans, overrides and the
derived component states — never from incident titles, notes, labels or alerts — so whatever the
renderers do with it, internal data cannot reach the public. Its digest keys the page cache.

Every text in it is stripped of control characters: the input schemas refuse them now, but a title
stored before they did (or written by a plugin) must not break the Atom feed — XML cannot hold them —
or the page for everyone."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.comms.backups import plans as backups
from eventguard.comms.models import (
    ComponentOverride,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    PublicStatus,
    PublicUpdate,
    StatusPage,
)
from eventguard.comms.statuspage import components as derivation
from eventguard.comms.statuspage.components import ComponentStatus, Indicator
from eventguard.comms.updates import drafts, maintenance, wording
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.incidents import queries
from eventguard.incidents.models import Incident
from eventguard.inputs import strip_control
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.plans.types import LocalizedText

HISTORY = timedelta(days=90)
Text = dict[str, str]  # {"zh-CN": ..., "en": ...}


@dataclass(frozen=True)
class ComponentView:
    id: str
    name: Text
    description: Text | None
    status: ComponentStatus
    position: int
    updated_at: datetime


@dataclass(frozen=True)
class UpdateView:
    id: str
    status: str
    title: Text
    body: Text
    created_at: datetime


@dataclass(frozen=True)
class IncidentView:
    """A public incident: its name and state come from its newest published update."""

    id: str
    name: Text
    status: str
    impact: str
    components: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[UpdateView, ...]  # newest first


@dataclass(frozen=True)
class MaintenanceView:
    id: str
    name: Text
    status: str
    components: tuple[str, ...]
    scheduled_for: datetime
    scheduled_until: datetime
    created_at: datetime
    updated_at: datetime
    updates: tuple[UpdateView, ...]


@dataclass(frozen=True)
class LinkView:
    label: Text
    url: str


@dataclass(frozen=True)
class BackupView:
    id: str
    kind: str
    name: Text
    stream_url: str | None
    links: tuple[LinkView, ...]
    offline_pack_url: str | None
    activated_at: datetime


@dataclass(frozen=True)
class PauseView:
    """The event is paused (a level with ``pause_activity``, or a commander): the banner shown on
    top of the page, from the plan's pause template (or the built-in text), until it resumes."""

    since: datetime
    title: Text
    body: Text


@dataclass(frozen=True)
class PageView:
    slug: str
    name: Text
    description: Text | None
    timezone: str
    created_at: datetime
    updated_at: datetime
    indicator: Indicator
    indicator_text: str  # msgid of Statuspage's description
    components: tuple[ComponentView, ...]
    incidents: tuple[IncidentView, ...]  # unresolved, newest first
    history: tuple[IncidentView, ...]  # resolved within HISTORY, newest first
    maintenances: tuple[MaintenanceView, ...]  # upcoming and running, soonest first
    backups: tuple[BackupView, ...]
    valid_until: datetime | None  # the clock alone changes the view then (maintenance, history)
    pause: PauseView | None = None  # the event is paused

    def digest(self) -> str:
        """A short hash of everything shown (the page cache's key)."""
        data = json.dumps(dataclasses.asdict(self), default=str, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()[:32]


def _text(value: LocalizedText) -> Text:
    return {"zh-CN": value.zh_cn, "en": value.en}


def load(*, db: Session, event: Event, clock: Clock, base_url: str = "") -> PageView:
    """The public view of ``event`` now (``base_url``: where the page's own links point)."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    now = clock.now()
    incidents = _real_incidents(db, event)
    windows = [m for m in maintenance.list_recent(db=db, event_id=event.id, now=now)]
    shown_windows = [
        m for m in windows if maintenance.effective_status(m, now) is not MaintenanceStatus.completed
    ]
    running = [
        f
        for m in shown_windows
        if maintenance.effective_status(m, now) in maintenance.RUNNING
        for f in m.components
    ]
    overrides = derivation.overrides_of(db=db, event_id=event.id)
    states = derivation.derive(
        spec=spec,
        incidents=[i for i in incidents if i.is_open],
        under_maintenance=running,
        overrides={key: row.status for key, row in overrides.items()},
    )
    updates = [
        u for u in drafts.published_for_event(db=db, event_id=event.id, since=now - HISTORY) if not u.is_drill
    ]
    public_incidents = _public_incidents(updates)
    unresolved = tuple(i for i in public_incidents if i.status != PublicStatus.resolved)
    components = _components(spec, event, states, incidents, windows, overrides, now)
    value = derivation.indicator(states.values(), [i.impact for i in unresolved])
    page_row = db.get(StatusPage, event.id)
    stamps = [page_row.changed_at if page_row else event.created_at, event.updated_at]
    stamps += [c.updated_at for c in components]
    view = PageView(
        slug=event.slug,
        name=_text(spec.event.name),
        description=_text(spec.event.description) if spec.event.description else None,
        timezone=spec.event.timezone,
        created_at=event.created_at,
        updated_at=max(stamps),
        indicator=value,
        indicator_text=derivation.indicator_text(value, states.values()),
        components=components,
        incidents=unresolved,
        history=tuple(i for i in public_incidents if i.status == PublicStatus.resolved),
        maintenances=_maintenances(db, shown_windows, now),
        backups=_backups(db, event, spec),
        valid_until=_valid_until(now, windows, updates),
        pause=_pause(db, event, spec, base_url),
    )
    return scrubbed(view)


def _pause(db: Session, event: Event, spec: PlanSpec, base_url: str) -> PauseView | None:
    row = events.current_pause(db=db, event_id=event.id)
    if row is None:
        return None
    incident = db.get(Incident, row.incident_id) if row.incident_id is not None else None
    if incident is not None and incident.is_drill:
        return None
    text = wording.pause_wording(spec=spec, incident=incident, since=row.paused_at, base_url=base_url)
    return PauseView(since=row.paused_at, title=text.title, body=text.body)


_Shown = TypeVar("_Shown")


def scrubbed(value: _Shown) -> _Shown:
    """``value`` (a view, or any part of one) with every text stripped of control characters; the
    same object when there is none, so the usual case costs one scan."""
    return cast(_Shown, _scrub(value))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, dict):
        items = {_scrub(key): _scrub(item) for key, item in value.items()}
        return value if items == value else items
    if isinstance(value, tuple):
        parts = tuple(_scrub(item) for item in value)
        return value if parts == value else parts
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for part in dataclasses.fields(value):
            before = getattr(value, part.name)
            after = _scrub(before)
            if after is not before:
                changes[part.name] = after
        return dataclasses.replace(value, **changes) if changes else value
    return value


def _real_incidents(db: Session, event: Event) -> list[Incident]:
    """The open incidents and the recent ones (for change times), drills left out."""
    open_incidents, _ = queries.list_incidents(db=db, event_id=event.id, open_only=True, limit=500)
    recent, _ = queries.list_incidents(db=db, event_id=event.id, limit=100)
    return [i for i in {i.id: i for i in (*open_incidents, *recent)}.values() if not i.is_drill]


def _components(
    spec: PlanSpec,
    event: Event,
    states: dict[str, ComponentStatus],
    incidents: Sequence[Incident],
    windows: Sequence[Maintenance],
    overrides: dict[str, ComponentOverride],
    now: datetime,
) -> tuple[ComponentView, ...]:
    ordered = sorted(spec.core_functions, key=lambda f: f.restore_priority)
    views = []
    for position, function in enumerate(ordered, start=1):
        stamps = [_public_stamp(i) for i in incidents if function.id in i.core_functions]
        stamps += [
            s
            for m in windows
            if function.id in m.components
            for s in (m.updated_at, *maintenance.boundaries(m))
            if s <= now
        ]
        override = overrides.get(function.id)
        stamps += [override.set_at] if override is not None else []
        views.append(
            ComponentView(
                id=function.id,
                name=_text(function.name),
                description=_text(function.description) if function.description else None,
                status=states[function.id],
                position=position,
                updated_at=max(stamps, default=event.created_at),
            )
        )
    return tuple(views)


def _public_stamp(incident: Incident) -> datetime:
    """When the incident last changed in a way the public page shows (opened, moved between states);
    not ``updated_at``, which private notes, task ticks and role changes move as well."""
    moments = (
        incident.opened_at,
        incident.acknowledged_at,
        incident.mitigating_at,
        incident.monitoring_at,
        incident.resolved_at,
    )
    return max(moment for moment in moments if moment is not None)


def _update_view(update: PublicUpdate) -> UpdateView:
    assert update.published_at is not None
    return UpdateView(
        id=f"u-{update.id}",
        status=update.status.value,
        title=dict(update.title),
        body=dict(update.body),
        created_at=update.published_at,
    )


def _public_incidents(updates: Sequence[PublicUpdate]) -> list[IncidentView]:
    grouped: dict[int, list[PublicUpdate]] = {}
    for update in updates:  # newest first
        grouped.setdefault(update.incident_id, []).append(update)
    views = []
    for incident_id, items in grouped.items():
        newest, oldest = items[0], items[-1]
        monitoring = [u.published_at for u in items if u.status is PublicStatus.monitoring]
        views.append(
            IncidentView(
                id=f"i-{incident_id}",
                name=dict(newest.title),
                status=newest.status.value,
                impact=newest.impact,
                components=tuple(newest.components),
                created_at=oldest.published_at or oldest.created_at,
                updated_at=newest.published_at or newest.created_at,
                monitoring_at=min((m for m in monitoring if m), default=None),
                resolved_at=newest.published_at if newest.status is PublicStatus.resolved else None,
                updates=tuple(_update_view(u) for u in items),
            )
        )
    return sorted(views, key=lambda view: view.updated_at, reverse=True)


def _maintenance_update(row: MaintenanceUpdate, name: Text) -> UpdateView:
    return UpdateView(
        id=f"mu-{row.id}", status=row.status.value, title=name, body=dict(row.body), created_at=row.created_at
    )


def _maintenances(db: Session, windows: Sequence[Maintenance], now: datetime) -> tuple[MaintenanceView, ...]:
    updates = maintenance.updates_of(db=db, maintenance_ids=[m.id for m in windows])
    return tuple(
        MaintenanceView(
            id=f"m-{m.id}",
            name=dict(m.title),
            status=maintenance.effective_status(m, now).value,
            components=tuple(m.components),
            scheduled_for=m.scheduled_for,
            scheduled_until=m.scheduled_until,
            created_at=m.created_at,
            updated_at=m.updated_at,
            updates=tuple(_maintenance_update(u, dict(m.title)) for u in updates[m.id]),
        )
        for m in windows
    )


def _backups(db: Session, event: Event, spec: PlanSpec) -> tuple[BackupView, ...]:
    plans_by_id = {plan.id: plan for plan in spec.backup_plans}
    shown: dict[str, BackupView] = {}
    for activation in backups.list_active(db=db, event_id=event.id):
        plan = plans_by_id.get(activation.backup_id)
        if plan is None or activation.is_drill or plan.id in shown:
            continue
        shown[plan.id] = BackupView(
            id=plan.id,
            kind=plan.kind,
            name=_text(plan.name),
            stream_url=plan.stream_url,
            links=tuple(LinkView(label=_text(link.label), url=link.url) for link in plan.links),
            offline_pack_url=plan.offline_pack_url,
            activated_at=activation.activated_at,
        )
    return tuple(shown.values())


def _valid_until(
    now: datetime, windows: Sequence[Maintenance], updates: Sequence[PublicUpdate]
) -> datetime | None:
    moments = [moment for m in windows for moment in maintenance.boundaries(m) if moment > now]
    moments += [u.published_at + HISTORY for u in updates if u.published_at is not None]
    return min((moment for moment in moments if moment > now), default=None)
