"""Incidents, notify-within rows, drill runs and action items with known times, so that every
figure of the analytics can be computed by hand (the expected values are in the tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from eventguard.drills.models import DrillRun, DrillStatus
from eventguard.events.models import Event
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.notify.models import NotificationSla
from eventguard.reviews.models import ActionItem, ActionItemStatus

NOW = datetime(2026, 6, 16, 7, 3, tzinfo=UTC)  # 15:03 in Shanghai
WITHIN = timedelta(minutes=5)


def incident(
    db: Session,
    event: Event,
    *,
    level: int,
    opened: datetime,
    ack: float | None = None,
    resolved: float | None = None,
    scenario: str | None = "payment-failure",
    phase: str = "live",
    drill: bool = False,
    merged_into: int | None = None,
) -> Incident:
    """``ack`` and ``resolved``: seconds after ``opened``."""
    row = Incident(
        event_id=event.id,
        title=f"L{level} at {opened:%H:%M}",
        status=IncidentStatus.resolved if resolved is not None else IncidentStatus.triggered,
        level=level,
        scenario_id=scenario,
        group_key=f"seed:{opened.isoformat()}:{level}:{drill}",
        source="drill" if drill else "manual",
        is_drill=drill,
        phase=phase,
        opened_at=opened,
        acknowledged_at=opened + timedelta(seconds=ack) if ack is not None else None,
        resolved_at=opened + timedelta(seconds=resolved) if resolved is not None else None,
        merged_into_id=merged_into,
        evidence={},
        updated_at=opened,
    )
    db.add(row)
    db.flush()
    return row


def sla(
    db: Session, found: Incident, target: str, *, delivered: float | None = None, met: bool | None = None
) -> None:
    """A notify-within row started when the incident opened; ``delivered``: seconds after."""
    start = found.opened_at
    db.add(
        NotificationSla(
            incident_id=found.id,
            target=target,
            level=found.level,
            started_at=start,
            deadline=start + WITHIN,
            first_delivered_at=start + timedelta(seconds=delivered) if delivered is not None else None,
            met=met,
            breached_at=start + WITHIN if met is False and delivered is None else None,
        )
    )


def other_event(db: Session) -> Event:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    event = Event(
        slug="other-launch", name="Other launch", timezone="UTC", created_at=moment, updated_at=moment
    )
    db.add(event)
    db.flush()
    return event


def drill_run(db: Session, event: Event, *, finished: datetime | None, score: int, drill: str) -> None:
    db.add(
        DrillRun(
            event_id=event.id,
            drill_id=drill,
            scenario_id="stream-outage",
            mode="live",
            status=DrillStatus.finished if finished else DrillStatus.running,
            created_at=(finished or NOW) - timedelta(hours=1),
            created_by="test",
            started_at=(finished or NOW) - timedelta(hours=1),
            finished_at=finished,
            score=score if finished else None,
            passed=score >= 80 if finished else None,
        )
    )


def action_item(db: Session, event: Event, *, team: str, due: datetime, status: ActionItemStatus) -> None:
    db.add(
        ActionItem(
            event_id=event.id,
            title=f"{team} {status.value}",
            owner_team=team,
            due_at=due,
            status=status,
            created_at=datetime(2026, 6, 1, tzinfo=UTC),
            created_by="test",
        )
    )


def seed(db: Session, event: Event, *, other: bool = True) -> Event | None:
    """The example event's incidents (and, with ``other``, one of another event without a plan,
    which the dashboard cannot show); returns the other event."""
    day = datetime(2026, 6, 16, tzinfo=UTC)
    a = incident(
        db, event, level=1, opened=day + timedelta(hours=2), ack=120, resolved=1800, scenario="stream-down"
    )
    b = incident(db, event, level=2, opened=day + timedelta(hours=6, minutes=30), ack=360, resolved=5400)
    c = incident(db, event, level=2, opened=datetime(2026, 6, 10, 13, tzinfo=UTC), ack=60, phase="prep")
    d = incident(db, event, level=3, opened=day + timedelta(hours=7), scenario=None)
    e = incident(db, event, level=1, opened=day + timedelta(hours=3), ack=600, resolved=1200, drill=True)
    incident(
        db, event, level=2, opened=day + timedelta(hours=6, minutes=31), ack=5, resolved=10, merged_into=b.id
    )
    sla(db, a, "team:tech:lead", delivered=60, met=True)
    sla(db, a, "team:comms", delivered=400, met=False)
    sla(db, b, "team:tech:lead", delivered=240, met=True)
    sla(db, b, "team:comms", met=False)
    sla(db, c, "team:tech:lead")  # never delivered, not yet marked: breached once its deadline passed
    sla(db, d, "team:tech:lead")  # deadline 07:05, now 07:03: pending
    sla(db, e, "team:tech:lead", delivered=30, met=True)  # a drill's: not counted
    second = other_event(db) if other else None
    if second is not None:
        g = incident(db, second, level=1, opened=day + timedelta(hours=1), ack=300, resolved=600)
        sla(db, g, "team:tech:lead", delivered=100, met=True)
        action_item(db, second, team="ops", due=NOW - timedelta(days=2), status=ActionItemStatus.open)
    drill_run(db, event, finished=datetime(2026, 5, 1, 10, tzinfo=UTC), score=60, drill="stream-outage-drill")
    drill_run(db, event, finished=datetime(2026, 6, 1, 10, tzinfo=UTC), score=85, drill="stream-outage-drill")
    drill_run(db, event, finished=None, score=0, drill="data-leak-tabletop")
    action_item(db, event, team="tech", due=NOW - timedelta(days=1), status=ActionItemStatus.open)
    action_item(db, event, team="tech", due=NOW + timedelta(days=3), status=ActionItemStatus.in_progress)
    action_item(db, event, team="comms", due=NOW - timedelta(days=2), status=ActionItemStatus.done)
    db.commit()
    return second
