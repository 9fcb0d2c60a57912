"""The dashboard: phase countdown, open incidents by level with age and SLA, who is on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.incidents.models import Incident
from eventguard.notify.models import NotificationSla
from eventguard.web.dashboard import countdown, sla_state, sla_summary
from tests.conftest import LIVE_MOMENT
from tests.web.conftest import SignIn


def test_it_shows_the_phase_countdown_and_who_is_on_call(sign_in: SignIn, event: object) -> None:
    page = sign_in("responder").get("/?lang=en")
    assert page.status_code == 200
    assert "<title>Dashboard · EventGuard</title>" in page.text
    assert "prep ends in 26 d 23 h" in page.text  # 2026-05-20 01:00 UTC to 2026-06-16 08:00 +08:00
    assert "On call now" in page.text and 'href="/status/cloud-summit-2026"' in page.text


def test_the_countdown_reads_in_both_languages(db: Session, event: object) -> None:
    from eventguard.plans import service as plans

    spec = plans.get_active_plan(db=db, event_id=event.id)  # type: ignore[attr-defined]
    assert countdown(spec, LIVE_MOMENT, "en") == "live ends in 1 d 8 h"
    assert countdown(spec, LIVE_MOMENT, "zh-CN") == "进行期 1 天 8 小时后结束"
    assert countdown(spec, LIVE_MOMENT - timedelta(hours=4, minutes=5), "en") == "prep ends in 5 min"
    assert countdown(spec, datetime(2026, 4, 30, 14, 30, tzinfo=UTC), "en") == "prep starts in 1 h 30 min"
    assert countdown(spec, LIVE_MOMENT + timedelta(days=90), "en") == "Every phase of the event is over."


def test_an_open_incident_shows_its_level_age_sla_and_link(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    db.add(
        NotificationSla(
            incident_id=incident.id,
            target="team:tech:lead",
            started_at=clock.now(),
            deadline=clock.now() + timedelta(minutes=5),
        )
    )
    db.commit()
    clock.advance(timedelta(minutes=2))
    page = sign_in("viewer").get("/?lang=en")
    assert f'href="/incidents/{incident.id}"' in page.text
    assert "L2" in page.text and "2 min" in page.text
    assert "pending, 3 min left" in page.text
    clock.advance(timedelta(minutes=4))
    assert "breached" in sign_in("viewer").get("/?lang=en").text


def test_a_met_sla_reads_met(sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident) -> None:
    now = clock.now()
    sla = NotificationSla(
        incident_id=incident.id, target="person:li-na", started_at=now, deadline=now + timedelta(minutes=5)
    )
    sla.first_delivered_at, sla.met = now, True
    db.add(sla)
    db.commit()
    assert '<td class="sla sla-met">met</td>' in sign_in("viewer").get("/?lang=en").text


def test_the_dashboard_speaks_chinese_by_default(sign_in: SignIn, event: object) -> None:
    page = sign_in("viewer").get("/?lang=zh-CN")
    assert "<title>仪表盘 · EventGuard</title>" in page.text and "当前值班" in page.text


def test_an_incident_shows_its_worst_sla_breached_first_then_the_nearest_deadline(
    clock: FrozenClock,
) -> None:
    now = clock.now()

    def row(minutes: int, met: bool | None = None) -> NotificationSla:
        return NotificationSla(
            incident_id=1,
            target=f"t{minutes}",
            started_at=now,
            deadline=now + timedelta(minutes=minutes),
            met=met,
        )

    pending = [
        sla_state(row(10), now, "en"),
        sla_state(row(2), now, "en"),
        sla_state(row(5, True), now, "en"),
    ]
    assert sla_summary(pending, "en").text == "pending, 2 min left"
    assert sla_summary([*pending, sla_state(row(-1), now, "en")], "en").state == "breached"
    assert sla_summary([sla_state(row(5, True), now, "en")], "en").text == "met"
    assert sla_summary([], "en").state == "none"


def test_the_dashboard_warns_when_alert_intake_is_behind(
    sign_in: SignIn, db: Session, clock: FrozenClock, event: object
) -> None:
    from eventguard.alerts import integrations
    from eventguard.alerts.journal.append import Append, JournalWriter
    from eventguard.audit.service import Actor
    from eventguard.db import Database

    made, _token = integrations.create(
        db=db,
        event=event,
        name="prom",
        kind="alertmanager",
        actor=Actor.cli("test"),
        clock=clock,  # type: ignore[arg-type]
    )
    db.commit()
    client = sign_in("viewer")
    database: Database = client.app.state.db  # type: ignore[attr-defined]
    JournalWriter(database).write(
        [Append(made.event_id, made.id, "alertmanager", clock.now(), b"{}", 10) for _ in range(3)]
    )
    clock.advance(timedelta(seconds=10))
    assert 'id="intake-lag"' not in client.get("/?lang=en").text  # behind, but within 30 s
    clock.advance(timedelta(seconds=25))
    page = client.get("/?lang=en").text
    assert "Alert intake is behind: 3 accepted requests (30 alerts) wait to be processed" in page
    assert "最早的已等待 35 秒" in client.get("/?lang=zh-CN").text


def test_an_event_without_a_plan_is_named_not_an_error(sign_in: SignIn, db: Session, event: object) -> None:
    from eventguard.events.models import Event

    now = datetime(2026, 5, 1, tzinfo=UTC)
    db.add(Event(slug="bare-event", name="Bare", timezone="UTC", created_at=now, updated_at=now))
    db.commit()
    page = sign_in("viewer").get("/?lang=en")
    assert page.status_code == 200, page.text
    assert "Bare (bare-event) has no plan yet" in page.text
    assert "Cloud Summit 2026" in page.text  # the other events still show
