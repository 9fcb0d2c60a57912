"""Probes against real local servers on 127.0.0.1: each failing probe opens an incident of the level
the plan's rules give its labels (through the intake journal), its recovery resolves the alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts.models import Alert
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.probes.models import ProbeResult, ProbeState
from eventguard.probes.scheduler import ProbeScheduler
from tests.conftest import LIVE_MOMENT, ProcessJournal
from tests.probes.plan import apply_with
from tests.probes.servers import (
    Served,
    http_server,
    prometheus,
    short_lived_certificate,
    tls_context,
    wait_for,
)


@pytest.fixture
def live(clock: FrozenClock) -> FrozenClock:
    clock.set(LIVE_MOMENT)
    return clock


@pytest.fixture
def served() -> Iterator[Served]:
    with http_server() as server:
        yield server


def _scheduler(database: Database, clock: FrozenClock) -> ProbeScheduler:
    return ProbeScheduler(database=database, clock=clock, spread=False)


def _state(db: Session, probe_id: str) -> ProbeState:
    db.commit()
    db.expire_all()  # the sessions do not expire on commit: read what the scheduler wrote
    state = db.scalar(select(ProbeState).where(ProbeState.probe_id == probe_id))
    assert state is not None
    return state


def _incidents(db: Session) -> list[Incident]:
    db.commit()
    db.commit()
    db.expire_all()
    return list(db.scalars(select(Incident).order_by(Incident.id)))


def _alert(db: Session, probe_id: str) -> Alert:
    db.commit()
    db.commit()
    db.expire_all()
    found = [a for a in db.scalars(select(Alert)) if a.labels.get("probe") == probe_id]
    assert len(found) == 1, found
    return found[0]


def test_http_probe_slow_then_500_opens_an_incident_and_recovery_resolves_it(
    db: Session,
    database: Database,
    app: FastAPI,
    live: FrozenClock,
    served: Served,
    process_journal: ProcessJournal,
) -> None:
    probe = {
        "id": "login-endpoint",
        "kind": "http",
        "target": f"{served.url}/health",
        "interval": "10s",
        "threshold": "1s",
        "keyword": '"status":"ok"',
        "json_path": "checks.db",
        "json_equals": "up",
        "labels": {"alertname": "LoginProbeFailed"},
    }
    apply_with(db, live, [probe])
    scheduler = _scheduler(database, live)

    assert scheduler.run_once() == []
    assert _state(db, "login-endpoint").status == "up"

    served.behaviour.mode = "slow"
    live.advance(dt.timedelta(seconds=10))
    assert scheduler.run_once() == [("login-endpoint", "firing")]
    state = _state(db, "login-endpoint")
    assert state.status == "down" and state.detail is not None and state.detail.startswith("slow")
    process_journal()
    [incident] = _incidents(db)
    # The example plan: LoginProbeFailed from a probe in the live phase is level 1 of login-failure.
    assert (incident.level, incident.scenario_id, incident.status) == (
        1,
        "login-failure",
        IncidentStatus.triggered,
    )

    served.behaviour.mode = "error"
    live.advance(dt.timedelta(seconds=10))
    assert scheduler.run_once() == []  # still failing: no second alert
    assert "HTTP 500" in (_state(db, "login-endpoint").detail or "")
    process_journal()
    assert len(_incidents(db)) == 1

    served.behaviour.mode = "ok"
    live.advance(dt.timedelta(seconds=10))
    assert scheduler.run_once() == [("login-endpoint", "resolved")]
    process_journal()
    [incident] = _incidents(db)
    assert incident.status is IncidentStatus.monitoring
    assert _alert(db, "login-endpoint").status == "resolved"
    # Every result is kept (the ring holds 120): ok, slow, 500, ok.
    results = db.scalars(select(ProbeResult).order_by(ProbeResult.seq)).all()
    assert [r.ok for r in results] == [True, False, False, True]


def test_a_paused_probe_is_not_checked(
    db: Session, database: Database, app: FastAPI, live: FrozenClock, served: Served
) -> None:
    from eventguard.audit.service import Actor
    from eventguard.probes import service

    event = apply_with(db, live, [{"id": "web", "kind": "http", "target": f"{served.url}/health"}])
    scheduler = _scheduler(database, live)
    scheduler.run_once()
    hits = served.behaviour.hits
    service.set_paused(db=db, event=event, probe_id="web", paused=True, actor=Actor.cli("test"), clock=live)
    db.commit()
    live.advance(dt.timedelta(minutes=1))
    scheduler.run_once()
    assert served.behaviour.hits == hits
    assert _state(db, "web").seq == 1


def _hls_probe(served: Served, **extra: Any) -> dict[str, Any]:
    return {
        "id": "main-stream-freshness",
        "kind": "hls",
        "target": f"{served.url}/live/master.m3u8",
        "interval": "10s",
        "intervals": {"live": "2s", "prep": "5m"},
        "threshold": "30s",
        "stale_targets": 3,
        "phases": ["prep", "live"],
        "labels": {"alertname": "HLSPlaylistStale", "stream": "main"},
        **extra,
    }


def test_a_stalled_livestream_opens_a_level_1_incident_in_the_live_phase(
    db: Session,
    database: Database,
    app: FastAPI,
    live: FrozenClock,
    served: Served,
    process_journal: ProcessJournal,
) -> None:
    apply_with(db, live, [_hls_probe(served)])
    scheduler = _scheduler(database, live)
    for _ in range(3):  # the playlist advances: fresh
        assert scheduler.run_once() == []
        served.behaviour.sequence += 1
        live.advance(dt.timedelta(seconds=2))
    assert _state(db, "main-stream-freshness").status == "up"
    # It stops advancing: after more than 3 x the target duration (2 s) it is stale.
    assert scheduler.run_once() == []
    live.advance(dt.timedelta(seconds=4))
    assert scheduler.run_once() == []
    live.advance(dt.timedelta(seconds=4))
    assert scheduler.run_once() == [("main-stream-freshness", "firing")]
    assert "has not advanced" in (_state(db, "main-stream-freshness").detail or "")
    process_journal()
    [incident] = _incidents(db)
    assert (incident.level, incident.scenario_id) == (1, "livestream-interruption")


def test_a_stalled_livestream_in_prep_is_level_3_and_a_missing_segment_fails(
    db: Session,
    database: Database,
    app: FastAPI,
    clock: FrozenClock,
    served: Served,
    process_journal: ProcessJournal,
) -> None:
    apply_with(db, clock, [_hls_probe(served)])  # the clock is in the prep phase
    scheduler = _scheduler(database, clock)
    assert scheduler.run_once() == []
    served.behaviour.segments_ok = False
    clock.advance(dt.timedelta(minutes=5))  # prep's interval
    served.behaviour.sequence += 1
    assert scheduler.run_once() == [("main-stream-freshness", "firing")]
    assert "segment" in (_state(db, "main-stream-freshness").detail or "")
    process_journal()
    [incident] = _incidents(db)
    assert (incident.level, incident.scenario_id) == (3, "livestream-interruption")


def test_a_certificate_about_to_expire_fails_the_probe(
    db: Session, database: Database, app: FastAPI, live: FrozenClock, tmp_path: Path
) -> None:
    cert, key, expiry = short_lived_certificate(tmp_path, valid_for=dt.timedelta(days=2))
    live.set(dt.datetime.now(dt.UTC))  # the certificate's age is real time
    probe = {
        "id": "tls",
        "kind": "http",
        "target": "",
        "verify_tls": False,
        "tls_expiry_days": 14,
        "labels": {"alertname": "CertificateExpiring"},
    }
    with http_server(tls_context(cert, key)) as served:
        probe["target"] = f"{served.url}/health"
        apply_with(db, live, [probe])
        scheduler = _scheduler(database, live)
        assert scheduler.run_once() == [("tls", "firing")]
        detail = _state(db, "tls").detail or ""
        assert "TLS certificate expires in 2.0 days" in detail and f"{expiry:%Y-%m-%d}" in detail
        # With 1 day asked for, the same certificate is fine.
        apply_with(db, live, [{**probe, "tls_expiry_days": 1}])
        live.advance(dt.timedelta(seconds=30))
        assert scheduler.run_once() == [("tls", "resolved")]


def test_a_heartbeat_that_stops_fails_after_its_grace(
    db: Session,
    database: Database,
    app: FastAPI,
    client: Any,
    live: FrozenClock,
    process_journal: ProcessJournal,
) -> None:
    from eventguard.alerts import integrations
    from eventguard.audit.service import Actor

    event = apply_with(
        db,
        live,
        [
            {
                "id": "transcoder-heartbeat",
                "kind": "heartbeat",
                "interval": "1m",
                "threshold": "2m",
                "phases": ["live"],
                "labels": {"alertname": "TranscoderHeartbeatMissing"},
            }
        ],
    )
    _row, token = integrations.create(
        db=db, event=event, name="transcoder", kind="probe", actor=Actor.cli("test"), clock=live
    )
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    scheduler = _scheduler(database, live)
    for _ in range(4):  # a beat a minute: fine
        assert client.post("/api/v1/probes/transcoder-heartbeat/beat", headers=headers).status_code == 200
        assert scheduler.run_once() == []
        live.advance(dt.timedelta(minutes=1))
    assert _state(db, "transcoder-heartbeat").status == "up"
    live.advance(dt.timedelta(minutes=2))  # 3 min quiet: within interval + grace
    assert scheduler.run_once() == []
    live.advance(dt.timedelta(minutes=1))  # its next check: 4 min quiet
    assert scheduler.run_once() == [("transcoder-heartbeat", "firing")]
    process_journal()
    [incident] = _incidents(db)
    assert (incident.level, incident.scenario_id) == (1, "livestream-interruption")
    # A beat again: resolved at the next check.
    assert client.get("/api/v1/probes/transcoder-heartbeat/beat", headers=headers).status_code == 200
    live.advance(dt.timedelta(minutes=1))
    assert scheduler.run_once() == [("transcoder-heartbeat", "resolved")]
    # Another kind's token, or none, is refused.
    assert client.post("/api/v1/probes/transcoder-heartbeat/beat").status_code == 401
    assert client.post("/api/v1/probes/nope/beat", headers=headers).status_code == 404


def test_prometheus_metric_crossing_the_threshold_opens_an_incident(
    db: Session,
    database: Database,
    app: FastAPI,
    live: FrozenClock,
    served: Served,
    tmp_path: Path,
    process_journal: ProcessJournal,
) -> None:
    with prometheus(tmp_path, served.port) as base:
        probe = {
            "id": "abnormal-logins",
            "kind": "metric_threshold",
            "target": base,
            "query": "max(login_failures_per_minute)",
            "threshold": {"op": ">", "value": 50},
            "for": "1m",
            "interval": "30s",
            "labels": {"alertname": "AbnormalLoginSpike"},
        }
        apply_with(db, live, [probe])
        scheduler = _scheduler(database, live)
        served.behaviour.gauge = 12

        def scraped(value: float) -> bool:
            import httpx

            answer = httpx.get(f"{base}/api/v1/query", params={"query": "login_failures_per_minute"}).json()
            result = answer["data"]["result"]
            return bool(result) and float(result[0]["value"][1]) == value

        wait_for(lambda: scraped(12), timeout=60)
        assert scheduler.run_once() == []
        assert _state(db, "abnormal-logins").detail == "12"
        served.behaviour.gauge = 75
        wait_for(lambda: scraped(75), timeout=60)
        live.advance(dt.timedelta(seconds=30))
        assert scheduler.run_once() == []  # crossed, but not for 1m yet
        assert "pending" in (_state(db, "abnormal-logins").detail or "")
        live.advance(dt.timedelta(minutes=1))
        assert scheduler.run_once() == [("abnormal-logins", "firing")]
        process_journal()
        [incident] = _incidents(db)
        assert (incident.level, incident.scenario_id) == (2, "malicious-attack")
        served.behaviour.gauge = 3
        wait_for(lambda: scraped(3), timeout=60)
        live.advance(dt.timedelta(seconds=30))
        assert scheduler.run_once() == [("abnormal-logins", "resolved")]


def test_participation_below_the_phase_target_and_pushed_values(
    db: Session,
    database: Database,
    app: FastAPI,
    client: Any,
    live: FrozenClock,
    auth_headers: Any,
) -> None:
    from eventguard.alerts import integrations
    from eventguard.audit.service import Actor

    event = apply_with(
        db,
        live,
        [
            {
                "id": "live-viewers",
                "kind": "participation",
                "expected": {"live": 1000},
                "min_ratio": 0.5,
                "labels": {"alertname": "LowParticipation"},
            }
        ],
    )
    _row, token = integrations.create(
        db=db, event=event, name="platform", kind="probe", actor=Actor.cli("t"), clock=live
    )
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    scheduler = _scheduler(database, live)
    assert (
        client.post("/api/v1/probes/live-viewers/value", json={"value": 800}, headers=headers).status_code
        == 200
    )
    assert scheduler.run_once() == []
    assert (
        client.post("/api/v1/probes/live-viewers/value", json={"value": 300}, headers=headers).status_code
        == 200
    )
    live.advance(dt.timedelta(minutes=1))
    assert scheduler.run_once() == [("live-viewers", "firing")]
    assert _state(db, "live-viewers").detail == "300 < expected 500"
    bad = client.post("/api/v1/probes/live-viewers/value", json={"value": "many"}, headers=headers)
    assert bad.status_code == 422 and "error" in bad.json()
    # The API shows the state to a viewer.
    listed = client.get(f"/api/v1/events/{event.slug}/probes", headers=auth_headers("viewer")).json()
    assert [(p["id"], p["status"], p["firing"]) for p in listed] == [("live-viewers", "down", True)]
    assert (
        client.post(
            f"/api/v1/events/{event.slug}/probes/live-viewers/pause", headers=auth_headers("viewer")
        ).status_code
        == 403
    )
    paused = client.post(
        f"/api/v1/events/{event.slug}/probes/live-viewers/pause", headers=auth_headers("responder")
    )
    assert paused.status_code == 200 and paused.json()["paused"] is True


def test_tcp_and_dns_probes(
    db: Session, database: Database, app: FastAPI, live: FrozenClock, served: Served
) -> None:
    from tests.probes.servers import free_port

    closed = free_port()
    apply_with(
        db,
        live,
        [
            {"id": "tcp-open", "kind": "tcp", "host": "127.0.0.1", "port": served.port},
            {"id": "tcp-closed", "kind": "tcp", "host": "127.0.0.1", "port": closed},
            {"id": "dns-local", "kind": "dns", "name": "localhost", "expect": ["127.0.0.1", "::1"]},
            {"id": "dns-missing", "kind": "dns", "name": "no-such-host.invalid"},
        ],
    )
    raised = dict(_scheduler(database, live).run_once())
    assert raised == {"tcp-closed": "firing", "dns-missing": "firing"}
    assert _state(db, "tcp-open").status == "up" and _state(db, "dns-local").status == "up"


def test_readiness_item_all_probes_green(
    db: Session, database: Database, app: FastAPI, live: FrozenClock, served: Served
) -> None:
    from eventguard.domains import hook_functions

    event = apply_with(db, live, [{"id": "web", "kind": "http", "target": f"{served.url}/health"}])
    [check] = [f for f in hook_functions("readiness_checks") if f.__module__ == "eventguard.probes.service"]
    [item] = check(db, event_id=event.id, now=live.now())
    assert item["key"] == "probes.all_green" and item["ok"] is False  # never checked yet
    _scheduler(database, live).run_once()
    db.commit()
    db.expire_all()
    [item] = check(db, event_id=event.id, now=live.now())
    assert item["ok"] is True and item["fix_path"] == f"/events/{event.slug}/probes"
    served.behaviour.mode = "error"
    live.advance(dt.timedelta(minutes=1))
    _scheduler(database, live).run_once()
    db.commit()
    db.expire_all()
    [item] = check(db, event_id=event.id, now=live.now())
    assert item["ok"] is False and "web (down)" in item["detail"].render("en")
