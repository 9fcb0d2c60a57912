"""Component states follow incidents, maintenance and overrides; the indicator follows components."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.statuspage import components as status
from eventguard.comms.statuspage.view import load
from eventguard.comms.updates import maintenance
from eventguard.errors import InvalidInput
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import IncidentStatus
from eventguard.plans import service as plans
from tests.comms.conftest import TESTER, declare
from tests.conftest import AuthHeaders


def _states(db: Session, event: Event, clock: FrozenClock) -> dict[str, str]:
    db.expire_all()
    return {c.id: c.status for c in load(db=db, event=event, clock=clock).components}


def test_component_status_follows_open_incidents_by_level(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    assert set(_states(db, event, clock).values()) == {"operational"}
    declare(db, event, clock, scenario="login-failure", level=3)
    declare(db, event, clock, scenario="payment-failure", level=2)
    stream = declare(db, event, clock, scenario="livestream-interruption", level=1)
    states = _states(db, event, clock)
    assert states["login"] == "degraded_performance"
    assert states["payment"] == "partial_outage"
    assert states["livestream"] == "major_outage"
    assert states["materials"] == "operational"
    incidents.transition(db=db, incident=stream, target=IncidentStatus.monitoring, actor=TESTER, clock=clock)
    db.commit()
    assert _states(db, event, clock)["livestream"] == "degraded_performance"
    incidents.resolve(db=db, incident=stream, actor=TESTER, clock=clock)
    db.commit()
    assert _states(db, event, clock)["livestream"] == "operational"


def test_the_worst_open_incident_wins_and_drills_never_count(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    declare(db, event, clock, level=3)
    declare(db, event, clock, level=1, is_drill=True)
    assert _states(db, event, clock)["livestream"] == "degraded_performance"
    declare(db, event, clock, level=2)
    assert _states(db, event, clock)["livestream"] == "partial_outage"


def test_component_status_follows_maintenance_by_the_clock(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    start = clock.now() + timedelta(hours=1)
    window = maintenance.schedule(
        db=db,
        event_id=event.id,
        spec=spec,
        title={"zh-CN": "支付升级", "en": "Payment upgrade"},
        body={"zh-CN": "支付将暂停 30 分钟。", "en": "Payments pause for 30 minutes."},
        components=["payment"],
        scheduled_for=start,
        scheduled_until=start + timedelta(minutes=30),
        auto_transition=True,
        notify=False,
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    page = load(db=db, event=event, clock=clock)
    assert [(m.id, m.status) for m in page.maintenances] == [(f"m-{window.id}", "scheduled")]
    assert page.valid_until == start
    assert _states(db, event, clock)["payment"] == "operational"
    clock.set(start)
    assert _states(db, event, clock)["payment"] == "under_maintenance"
    assert load(db=db, event=event, clock=clock).indicator_text == "Service Under Maintenance"
    maintenance.change_status(
        db=db,
        maintenance=window,
        status=maintenance.M.verifying,
        body={"zh-CN": "验证中", "en": "Verifying"},
        notify=False,
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    clock.advance(timedelta(hours=2))
    assert _states(db, event, clock)["payment"] == "under_maintenance"  # verifying: only a person ends it
    maintenance.change_status(
        db=db,
        maintenance=window,
        status=maintenance.M.completed,
        body={"zh-CN": "完成", "en": "Done"},
        notify=False,
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    assert _states(db, event, clock)["payment"] == "operational"
    assert load(db=db, event=event, clock=clock).maintenances == ()


def test_an_incident_beats_maintenance_and_an_override_beats_both(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    declare(db, event, clock, scenario="payment-failure", level=3)
    assert status.derive(spec=spec, incidents=[], under_maintenance=["payment"], overrides={})["payment"] == (
        "under_maintenance"
    )
    status.set_override(
        db=db,
        event_id=event.id,
        spec=spec,
        component_id="payment",
        status="major_outage",
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    assert _states(db, event, clock)["payment"] == "major_outage"
    assert status.clear_override(db=db, event_id=event.id, component_id="payment", actor=TESTER, clock=clock)
    db.commit()
    assert _states(db, event, clock)["payment"] == "degraded_performance"


def test_the_indicator_is_the_worst_component_raised_by_unresolved_public_incidents() -> None:
    assert status.indicator([]) == "none"
    assert status.indicator(["operational", "degraded_performance"]) == "minor"
    assert status.indicator(["partial_outage", "degraded_performance"]) == "major"
    assert status.indicator(["major_outage"]) == "critical"
    assert status.indicator(["under_maintenance"]) == "none"
    assert status.indicator(["operational"], ["critical"]) == "critical"
    assert status.indicator_text("none", ["under_maintenance"]) == "Service Under Maintenance"
    assert status.indicator_text("major", []) == "Partial System Outage"


def test_an_override_needs_a_known_component_and_status(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    with pytest.raises(InvalidInput):
        status.set_override(
            db=db,
            event_id=event.id,
            spec=spec,
            component_id="nope",
            status="major_outage",
            actor=TESTER,
            clock=clock,
        )
    with pytest.raises(InvalidInput):
        status.set_override(
            db=db,
            event_id=event.id,
            spec=spec,
            component_id="login",
            status="broken",
            actor=TESTER,
            clock=clock,
        )


def test_commanders_override_components_over_http_and_the_page_follows(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    url = f"/api/v1/events/{event.slug}/status/components/livestream"
    assert (
        client.put(url, json={"status": "partial_outage"}, headers=auth_headers("responder")).status_code
        == 403
    )
    answer = client.put(url, json={"status": "partial_outage"}, headers=auth_headers("commander"))
    assert answer.status_code == 200, answer.text
    assert {c["id"]: (c["status"], c["overridden"]) for c in answer.json()}["livestream"] == (
        "partial_outage",
        True,
    )
    page = client.get(f"/status/{event.slug}.json").json()
    assert {c["id"]: c["status"] for c in page["components"]}["livestream"] == "partial_outage"
    cleared = client.delete(url, headers=auth_headers("commander")).json()
    assert {c["id"]: c["status"] for c in cleared}["livestream"] == "operational"
    invalid = client.put(url, json={"status": "on_fire"}, headers=auth_headers("commander"))
    assert invalid.status_code == 422
