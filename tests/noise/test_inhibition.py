"""Inhibition: while a level-1 incident is active, the lower-level alerts the plan's rules select
join it instead of opening (and paging) incidents of their own; explained on it and counted. The
example plan's rules: livestream-down-absorbs-symptoms (same scenario), server-crash-absorbs-
function-alerts (equal core functions), ddos-absorbs-attack-symptoms."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.noise import service as noise
from eventguard.noise import silencing
from eventguard.noise.inhibition import Inhibitor
from eventguard.plans.schemas import InhibitRule
from eventguard.worker.context import WorkerContext
from tests.alerts.builders import am_alert
from tests.conftest import LIVE_MOMENT
from tests.noise.helpers import ingest, pages, sample, texts, worker_pass

COMMANDER = Actor(type="user", name="zhang-wei", id=None)


def _incidents(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Incident)) or 0


def test_a_lower_level_alert_of_the_scenario_joins_the_level_1_incident_instead_of_paging(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    [down] = ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))  # live: level 1, livestream
    worker_pass(database, worker_context, db)
    first_pages = len(pages(db, down))
    assert first_pages > 0
    before = sample("eventguard_noise_suppressed_alerts_total", {"kind": "inhibition"})

    joined = ingest(db, local_event, clock, am_alert("StreamBitrateLow", instance="edge-4:443"))
    worker_pass(database, worker_context, db)
    assert joined == [down] and _incidents(db) == 1  # no incident of its own
    incident = db.get(Incident, down)
    assert incident is not None
    db.refresh(incident)
    assert (incident.level, incident.alert_count, incident.firing_count) == (1, 2, 2)
    assert len(pages(db, down)) == first_pages  # nobody paged again
    [row] = noise.incident_noise(db=db, incident_id=down).suppressions
    assert (row.kind, row.rule, row.alerts) == ("inhibition", "inhibit:livestream-down-absorbs-symptoms", 1)
    assert f"join incident #{down} (level 1)" in row.description
    assert any(
        "inhibition rule livestream-down-absorbs-symptoms" in t for t in texts(db, down, "suppression")
    )
    assert sample("eventguard_noise_suppressed_alerts_total", {"kind": "inhibition"}) - before == 1

    # Its resolve follows it to the incident it joined.
    ingest(db, local_event, clock, am_alert("StreamBitrateLow", instance="edge-4:443", status="resolved"))
    db.refresh(incident)
    assert (incident.alert_count, incident.firing_count, incident.status.value) == (2, 1, "triggered")

    # An alert of another scenario is not inhibited: it opens (and pages) its own incident.
    [payment] = ingest(db, local_event, clock, am_alert("PaymentErrorRate"))
    worker_pass(database, worker_context, db)
    assert payment != down and pages(db, payment)


def test_after_the_level_1_incident_resolves_the_same_alert_opens_its_own_incident(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    [down] = ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))
    assert ingest(db, local_event, clock, am_alert("RegionalLatencyHigh", region="south")) == [down]
    incident = incidents.get(db=db, incident_id=down, for_update=True)
    incidents.resolve(db=db, incident=incident, actor=COMMANDER, clock=clock, note="stream back")
    db.commit()
    [own] = ingest(db, local_event, clock, am_alert("RegionalLatencyHigh", region="east"))
    worker_pass(database, worker_context, db)
    assert own != down
    opened = db.get(Incident, own)
    assert opened is not None and opened.level == 2 and pages(db, own)


def test_a_crash_absorbs_alerts_sharing_a_core_function(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    [crash] = ingest(db, local_event, clock, am_alert("ServerCrash", instance="app-1:8080"))
    # PaymentErrorRate: level 2, payment; the crash took down every core function (equal: core_functions).
    assert ingest(db, local_event, clock, am_alert("PaymentErrorRate")) == [crash]
    [row] = noise.incident_noise(db=db, incident_id=crash).suppressions
    assert row.rule == "inhibit:server-crash-absorbs-function-alerts"


def test_a_held_level_1_incident_inhibits_nothing(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    # Nobody was paged for a silenced level-1 incident, so nobody would hear of alerts joining it.
    clock.set(LIVE_MOMENT)
    silencing.create_silence(
        db=db,
        event_id=local_event.id,
        matchers=[{"name": "alertname", "op": "=", "value": "HLSPlaylistStale"}],
        starts_at=None,
        ends_at=clock.now().replace(hour=23),
        comment="switching the CDN",
        actor=COMMANDER,
        source="api",
        clock=clock,
    )
    db.commit()
    [held] = ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))
    assert noise.paging_held(db=db, incident_id=held)
    [own] = ingest(db, local_event, clock, am_alert("StreamBufferingHigh"))
    worker_pass(database, worker_context, db)
    assert own != held and pages(db, own)
    assert noise.incident_noise(db=db, incident_id=held).suppressions[0].kind == "silence"


def _rule(**data: object) -> InhibitRule:
    return InhibitRule.model_validate({"id": "r", **data})


def _incident(level: int, scenario: str | None, functions: list[str], labels: dict[str, str]) -> Incident:
    return Incident(
        id=7,
        level=level,
        scenario_id=scenario,
        core_functions=functions,
        evidence={"alerts": [{"labels": labels}]},
    )


def test_equal_labels_matchers_and_levels_follow_alertmanagers_semantics() -> None:
    source = _incident(1, "livestream-interruption", ["livestream"], {"region": "south", "cluster": "a"})
    rule = _rule(
        source={"levels": [1], "matchers": [{"name": "cluster", "op": "=~", "value": "a|b"}]},
        target={"matchers": [{"name": "alertname", "op": "!=", "value": "Heartbeat"}]},
        equal=["region"],
    )
    inhibitor = Inhibitor([rule], [source])
    common = {"level": 2, "scenario_id": None, "core_functions": []}
    assert inhibitor.match(labels={"alertname": "X", "region": "south"}, **common) is not None  # type: ignore[arg-type]
    assert inhibitor.match(labels={"alertname": "X", "region": "east"}, **common) is None  # type: ignore[arg-type]
    assert inhibitor.match(labels={"alertname": "Heartbeat", "region": "south"}, **common) is None  # type: ignore[arg-type]
    # Never a level as severe as the source's (level 1 does not join level 1).
    assert (
        inhibitor.match(
            labels={"alertname": "X", "region": "south"}, level=1, scenario_id=None, core_functions=[]
        )
        is None
    )
    # A missing label equals a missing label (both empty), as in Alertmanager.
    bare = Inhibitor([rule], [_incident(1, None, [], {"cluster": "b"})])
    assert bare.match(labels={"alertname": "X"}, **common) is not None  # type: ignore[arg-type]
    # The source's matchers select the incident by the labels of the alert that opened it.
    other = Inhibitor([rule], [_incident(1, None, [], {"cluster": "c"})])
    assert other.match(labels={"alertname": "X"}, **common) is None  # type: ignore[arg-type]
    # equal: scenario needs the same scenario on both sides (none is not "the same").
    by_scenario = Inhibitor([_rule(equal=["scenario"])], [source])
    assert by_scenario.match(labels={}, level=3, scenario_id="livestream-interruption", core_functions=[])
    assert by_scenario.match(labels={}, level=3, scenario_id=None, core_functions=[]) is None
