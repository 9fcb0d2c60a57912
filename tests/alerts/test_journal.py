"""The intake journal: accept (authenticate, check, append durably with group commit) and process
(big batches, exactly once, in order, poison rows parked), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal import process as journal
from eventguard.alerts.journal.accept import Accepter, IntegrationCache
from eventguard.alerts.journal.append import Append, JournalWriter
from eventguard.alerts.journal.models import DONE, PARKED, PENDING, JournalEntry
from eventguard.alerts.models import Alert, AlertBatch
from eventguard.alerts.service import counts
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.errors import EventGuardError
from eventguard.events.models import Event
from eventguard.incidents.models import Incident, IncidentStatus
from tests.alerts.builders import am_alert, am_payload
from tests.conftest import AuthHeaders

AM = "/api/v1/integrations/alertmanager"


def _token(db: Session, event: Event, clock: FrozenClock, kind: str = "alertmanager") -> str:
    _integration, token = integrations.create(
        db=db, event=event, name=f"{kind} sender", kind=kind, actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return token


def _count(db: Session, model: type[Any], *where: Any) -> int:
    db.commit()  # a fresh read snapshot (SQLite WAL)
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _post(client: TestClient, token: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    response = client.post(AM, json=am_payload(*alerts), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _process(database: Database, clock: FrozenClock) -> journal.ProcessReport:
    return journal.process_pending(database=database, clock=clock)


def test_an_accepted_request_is_journaled_before_its_answer_and_processed_once(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock)
    answer = _post(client, token, am_alert("HLSPlaylistStale", instance="edge-1"))
    assert answer["status"] == "accepted" and answer["alerts"] == 1
    row = db.get(JournalEntry, answer["journal_id"])
    assert row is not None and row.state == PENDING and orjson.loads(row.body)["version"] == "4"
    assert _count(db, Alert) == 0 and _count(db, Incident) == 0

    report = _process(database, clock)
    assert (report.rows, report.alerts, report.parked) == (1, 1, [])
    assert _count(db, Alert) == 1 and _count(db, Incident) == 1
    db.refresh(row)
    assert row.state == DONE and row.batch_id is not None and db.get(AlertBatch, row.batch_id) is not None
    assert _process(database, clock).rows == 0  # nothing twice
    assert _count(db, AlertBatch) == 1


def test_firing_then_resolved_in_one_storm_ends_resolved(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """Rows of one group are processed in journal order, even when a batch holds both."""
    token = _token(db, event, clock)
    alert = am_alert("PaymentGatewayDown", instance="pay-1")
    resolved = {**alert, "status": "resolved", "endsAt": "2026-06-16T04:09:00Z"}
    for _ in range(3):
        _post(client, token, alert)
        _post(client, token, resolved)
    _process(database, clock)
    row = db.scalars(select(Alert)).one()
    assert row.status == "resolved" and row.receive_count == 6
    incident = db.get(Incident, row.incident_id)
    assert incident is not None and incident.status is IncidentStatus.monitoring
    assert (incident.alert_count, incident.firing_count) == (1, 0)


def test_small_batches_give_the_same_result_as_one_big_batch(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """A batch split anywhere (a processor killed and restarted, a lower limit) ends the same."""
    token = _token(db, event, clock)
    alert = am_alert("LoginFailed", instance="a")
    resolved = {**alert, "status": "resolved", "endsAt": "2026-06-16T04:09:00Z"}
    for payload in (alert, resolved, alert, am_alert("LoginFailed", instance="b")):
        _post(client, token, payload)
    report = journal.ProcessReport()
    while journal.process_event_batch(
        database=database, clock=clock, event_id=event.id, report=report, max_rows=1
    ):
        pass
    assert report.rows == 4
    rows = {r.labels["instance"]: r for r in db.scalars(select(Alert))}
    assert rows["a"].status == "firing" and rows["a"].receive_count == 3 and rows["b"].status == "firing"
    assert _count(db, Incident) == 1


def test_a_poison_row_is_parked_and_the_rows_behind_it_are_processed(
    client: TestClient,
    database: Database,
    db: Session,
    event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
) -> None:
    token = _token(db, event, clock)
    _post(client, token, am_alert("LoginFailed", instance="a"))
    # A row that passed accept but cannot be processed (here: bytes no format reads).
    [integration] = integrations.list_for_event(db=db, event_id=event.id)
    poison = JournalEntry(
        event_id=event.id,
        integration_id=integration.id,
        kind="alertmanager",
        received_at=clock.now(),
        body=b'{"version": "4", "alerts": "not a list"}',
        alert_count=1,
    )
    db.add(poison)
    db.commit()
    _post(client, token, am_alert("LoginFailed", instance="b"))

    report = _process(database, clock)
    assert report.parked == [poison.id] and report.rows == 2
    assert _count(db, Alert) == 2
    db.refresh(poison)
    assert poison.state == PARKED and "invalid" in (poison.error or "").lower()

    admin = auth_headers("admin")
    listed = client.get("/api/v1/intake/journal/parked", headers=admin)
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [poison.id]
    assert client.get("/api/v1/intake/journal/parked", headers=auth_headers("commander")).status_code == 403
    lag = client.get("/api/v1/intake/journal", headers=admin).json()
    assert lag["parked"] == 1 and lag["depth"] == 0
    retried = client.post(f"/api/v1/intake/journal/{poison.id}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json()["state"] == PENDING
    assert client.post(f"/api/v1/intake/journal/{poison.id}/retry", headers=admin).status_code == 404
    assert _process(database, clock).parked == [poison.id]  # still broken: parked again, counted again
    metrics = client.get("/metrics").text
    assert "eventguard_intake_journal_parked_rows 1.0" in metrics


def test_lag_is_visible_in_metrics(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock)
    for n in range(3):
        _post(client, token, am_alert("DDoSDetected", instance=f"edge-{n}"), am_alert("X", instance="y"))
    clock.advance(timedelta(seconds=42))
    metrics = client.get("/metrics").text
    assert "eventguard_intake_journal_depth 3.0" in metrics
    assert "eventguard_intake_journal_pending_alerts 6.0" in metrics
    assert "eventguard_intake_journal_oldest_age_seconds 42.0" in metrics
    _process(database, clock)
    metrics = client.get("/metrics").text
    assert "eventguard_intake_journal_depth 0.0" in metrics
    assert "eventguard_intake_journal_oldest_age_seconds 0.0" in metrics


def test_concurrent_appends_share_commits(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock)
    accepter = Accepter(database, clock)
    commits: list[int] = []
    write = accepter.writer.write

    def counting_write(appends: Any, *held: Any) -> list[int]:
        commits.append(len(appends))
        return write(appends, *held)  # the real commit runs; this only counts

    accepter.writer.write = counting_write  # type: ignore[method-assign]
    headers = {"authorization": f"Bearer {token}"}

    async def storm() -> list[Any]:
        bodies = [orjson.dumps(am_payload(am_alert("DDoSDetected", instance=f"e{i}"))) for i in range(200)]
        return await asyncio.gather(
            *(accepter.accept("alertmanager", b, headers) for b in bodies), return_exceptions=True
        )

    results = asyncio.run(storm())
    assert all(not isinstance(r, BaseException) for r in results), results
    assert len({r.journal_id for r in results}) == 200
    assert sum(commits) == 200 and len(commits) < 200  # requests that waited went in together
    assert _count(db, JournalEntry) == 200
    _process(database, clock)
    assert _count(db, Alert) == 200 and _count(db, Incident) == 1


def test_refused_requests_write_nothing(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    assert client.post(AM, content=b"{nope", headers=headers).status_code == 400
    assert client.post(AM, content=b"[" * 5000 + b"]" * 5000, headers=headers).status_code == 400
    assert client.post(AM, json={"version": "4", "alerts": "x"}, headers=headers).status_code == 400
    assert client.post(AM, json=am_payload(am_alert("X"))).status_code == 401
    unknown = client.post("/api/v1/integrations/nagios", json={}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_format"
    assert _count(db, JournalEntry) == 0


def test_a_revoked_token_is_refused_within_the_cache_lifetime(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock)
    now = [100.0]
    cache = IntegrationCache(database, ttl=1.0, monotonic=lambda: now[0])
    known = cache.get(token)
    [integration] = integrations.list_for_event(db=db, event_id=event.id)
    integrations.revoke(db=db, integration_id=integration.id, actor=Actor.cli("test"), clock=clock)
    db.commit()
    now[0] += 0.5
    assert cache.get(token) == known  # trusted for at most a second
    now[0] += 0.6
    with pytest.raises(EventGuardError) as refused:
        cache.get(token)
    assert refused.value.status_code == 401


def test_the_stored_counts_of_incidents_match_their_alerts_after_any_sequence(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """Counts are kept up by what each batch does, not recounted: compare them with a count of the
    alerts after a random mix of firing and resolved reports, several rows per batch."""
    token = _token(db, event, clock)
    rng = random.Random(20261202)
    for _round in range(12):
        for _ in range(rng.randint(1, 6)):
            reports = []
            for _ in range(rng.randint(1, 4)):
                alert = am_alert(
                    rng.choice(["LoginFailed", "PaymentGatewayDown"]), instance=f"i{rng.randint(1, 5)}"
                )
                if rng.random() < 0.4:
                    alert = {**alert, "status": "resolved", "endsAt": "2026-06-16T04:09:00Z"}
                reports.append(alert)
            _post(client, token, *reports)
        assert _process(database, clock).parked == []
        clock.advance(timedelta(seconds=rng.choice([5, 60, 2400])))  # past the reopen window now and then
    db.expire_all()
    checked = db.scalars(select(Incident)).all()
    assert len(checked) >= 2
    for incident in checked:
        assert (incident.alert_count, incident.firing_count) == counts(db=db, incident_id=incident.id)


def test_the_same_report_from_several_senders_is_merged(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """An Alertmanager HA pair (or three) sends the same group: one row, every receipt counted."""
    token = _token(db, event, clock)
    alert = am_alert("StreamBitrateLow", instance="cdn-7")
    for _ in range(3):
        _post(client, token, alert)
    _process(database, clock)
    row = db.scalars(select(Alert)).one()
    assert row.receive_count == 3 and row.status == "firing"
    incident = db.get(Incident, row.incident_id)
    assert incident is not None and (incident.alert_count, incident.firing_count) == (1, 1)


def test_processed_rows_are_pruned_after_the_retention_and_parked_ones_kept(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock)
    [integration] = integrations.list_for_event(db=db, event_id=event.id)
    body = orjson.dumps(am_payload(am_alert("LoginFailed")))
    JournalWriter(database).write(
        [Append(event.id, integration.id, "alertmanager", clock.now(), body, 1) for _ in range(3)]
    )
    db.commit()  # this session's read snapshot predates the append (SQLite WAL)
    db.add(
        JournalEntry(
            event_id=event.id,
            integration_id=integration.id,
            kind="alertmanager",
            received_at=clock.now(),
            body=b"[]",
            alert_count=0,
        )
    )
    db.commit()
    assert token
    _process(database, clock)
    clock.advance(timedelta(hours=23))
    assert journal.prune(db=db, clock=clock, retention=timedelta(hours=24)) == 0
    clock.advance(timedelta(hours=2))
    assert journal.prune(db=db, clock=clock, retention=timedelta(hours=24)) == 3
    db.commit()
    assert _count(db, JournalEntry) == 1 and _count(db, JournalEntry, JournalEntry.state == PARKED) == 1
    assert _count(db, AlertBatch) == 3  # the evidence incidents point to stays


def test_a_batch_in_which_every_row_fails_is_not_parked_at_once(
    client: TestClient, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """A failure of every row (the database, a deployment) is not one row's fault: the rows stay
    pending with their attempts counted, and are parked only after MAX_ATTEMPTS passes."""
    token = _token(db, event, clock)
    _post(client, token, am_alert("LoginFailed", instance="a"))
    # Break processing itself, for every row: the event's plan is gone.
    from eventguard.plans.models import PlanVersion

    db.execute(PlanVersion.__table__.delete())
    db.commit()
    for attempt in range(1, journal.MAX_ATTEMPTS + 1):
        with pytest.raises(journal.BatchFailed):
            _process(database, clock)
        db.commit()  # a fresh read snapshot (SQLite WAL)
        row = db.scalars(select(JournalEntry).execution_options(populate_existing=True)).one()
        assert row.attempts == attempt
        assert row.state == (PARKED if attempt == journal.MAX_ATTEMPTS else PENDING)
    assert _process(database, clock).rows == 0  # parked rows are left alone


def test_the_worker_prunes_processed_rows_once_past_the_retention(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    from eventguard.config import Settings
    from eventguard.worker.context import WorkerContext
    from eventguard.worker.loop import prune_journal

    _token(db, event, clock)
    [integration] = integrations.list_for_event(db=db, event_id=event.id)
    db.commit()
    body = orjson.dumps(am_payload(am_alert("LoginFailed")))
    JournalWriter(database).write([Append(event.id, integration.id, "alertmanager", clock.now(), body, 1)])
    _process(database, clock)
    settings = Settings(database_url=database.url, secret_key="k", journal_retention_hours=1)
    context = WorkerContext(clock=clock, settings=settings)
    assert prune_journal(database=database, context=context) == 0  # processed just now
    clock.advance(timedelta(hours=2))
    assert prune_journal(database=database, context=context) == 1
    assert _count(db, JournalEntry) == 0
    context.http.close()


def test_each_append_gets_the_id_of_its_own_row_across_batches_and_after_deletes(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """The ids a batch answers are those of its rows, in order (SQLite derives them from the last
    rowid of one multi-row INSERT; PostgreSQL returns them), also after the newest row was deleted."""
    writer = JournalWriter(database)

    def appends(tag: str, count: int) -> list[Append]:
        return [
            Append(event.id, None, "alertmanager", clock.now(), f"{tag}-{i}".encode(), 1)
            for i in range(count)
        ]

    first = writer.write(appends("a", 7))
    with database.session(write=True) as session:  # the newest row goes: rowids must not be reused wrongly
        session.execute(JournalEntry.__table__.delete().where(JournalEntry.id == first[-1]))
        session.commit()
    second = writer.write(appends("b", 300))
    third = writer.write(appends("c", 1))
    db.expire_all()
    bodies = dict(db.execute(select(JournalEntry.id, JournalEntry.body)).all())
    for ids, tag in ((first[:-1], "a"), (second, "b"), (third, "c")):
        assert [bodies[i] for i in ids] == [f"{tag}-{n}".encode() for n in range(len(ids))]
    assert len(set(first[:-1] + second + third)) == 307
    assert min(second) > max(first[:-1]) and min(third) > max(second)
