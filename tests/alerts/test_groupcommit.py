"""Group commit: several intake requests written in one transaction, each with its own answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts import PayloadInvalid, integrations
from eventguard.alerts.groupcommit import GroupCommitter, IntakeRequest
from eventguard.alerts.models import Alert, AlertBatch
from eventguard.alerts.service import IngestResult
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.errors import EventGuardError, Forbidden, Unauthorized
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from tests.alerts.builders import am_alert, am_payload


def _token(db: Session, event: Event, clock: FrozenClock, kind: str) -> str:
    _integration, token = integrations.create(
        db=db, event=event, name=f"{kind} sender", kind=kind, actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return token


def _am(token: str, payload: Any) -> IntakeRequest:
    return IntakeRequest(token=token, kind="alertmanager", payload=lambda: payload)


def _count(db: Session, model: type[Any]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_requests_of_one_transaction_get_their_own_answers(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    am, pd = _token(db, event, clock, "alertmanager"), _token(db, event, clock, "pagerduty")
    requests = [
        _am(am, am_payload(am_alert("HLSPlaylistStale", instance="edge-1:443"))),
        _am("0" * 32, am_payload(am_alert("HLSPlaylistStale", instance="edge-2:443"))),  # unknown token
        IntakeRequest(token=pd, kind="alertmanager", payload=lambda: am_payload(am_alert("X"))),  # wrong kind
        _am(am, {"version": "4", "alerts": "not a list"}),  # invalid payload
        _am(am, am_payload(am_alert("HLSPlaylistStale", instance="edge-3:443"))),
    ]
    outcomes = GroupCommitter(database, clock).commit(requests)

    first, unknown, wrong_kind, invalid, last = outcomes
    assert isinstance(first, IngestResult) and isinstance(last, IngestResult)
    assert isinstance(unknown, Unauthorized)
    assert isinstance(wrong_kind, Forbidden) and wrong_kind.code == "wrong_integration_kind"
    assert isinstance(invalid, PayloadInvalid)
    assert first.batch_id != last.batch_id
    # Both good requests are about one outage: one incident, named in both answers.
    assert first.incident_ids == last.incident_ids and len(first.incident_ids) == 1
    assert _count(db, Alert) == 2 and _count(db, AlertBatch) == 2 and _count(db, Incident) == 1


def test_a_fingerprint_reported_twice_in_one_transaction_counts_both_receipts(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock, "alertmanager")
    alert = am_alert("PaymentGatewayDown", instance="pay-1")
    resolved = {**alert, "status": "resolved", "endsAt": "2026-06-16T04:09:00Z"}
    outcomes = GroupCommitter(database, clock).commit(
        [_am(token, am_payload(alert)), _am(token, am_payload(resolved))]
    )
    assert all(isinstance(o, IngestResult) for o in outcomes)
    row = db.scalars(select(Alert)).one()
    assert row.receive_count == 2
    assert row.status == "resolved"  # the later request has the last word
    assert [o.incident_ids for o in outcomes if isinstance(o, IngestResult)] == [[row.incident_id]] * 2


def test_an_unexpected_failure_is_kept_to_its_own_request(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock, "alertmanager")

    def broken() -> Any:
        raise RuntimeError("the sender's body could not be read")

    requests = [
        _am(token, am_payload(am_alert("LoginFailed", instance="a"))),
        IntakeRequest(token=token, kind="alertmanager", payload=broken),
        _am(token, am_payload(am_alert("LoginFailed", instance="b"))),
    ]
    outcomes = GroupCommitter(database, clock).commit(requests)
    assert isinstance(outcomes[1], RuntimeError)
    assert isinstance(outcomes[0], IngestResult) and isinstance(outcomes[2], IngestResult)
    assert _count(db, Alert) == 2 and _count(db, AlertBatch) == 2


def test_concurrent_submissions_share_transactions_and_open_one_incident(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock, "alertmanager")
    committer = GroupCommitter(database, clock)
    transactions: list[int] = []
    commit = committer.commit

    def counting_commit(requests: Any) -> Any:
        transactions.append(len(requests))
        return commit(requests)

    committer.commit = counting_commit  # type: ignore[method-assign]  # counts; the real commit runs

    async def storm() -> list[IngestResult | BaseException]:
        payloads = [am_payload(am_alert("DDoSDetected", instance=f"edge-{i}")) for i in range(200)]
        return await asyncio.gather(
            *(committer.submit(_am(token, p)) for p in payloads), return_exceptions=True
        )

    results = asyncio.run(storm())
    assert all(isinstance(r, IngestResult) for r in results), [
        r for r in results if not isinstance(r, IngestResult)
    ]
    assert sum(transactions) == 200 and len(transactions) < 200  # requests that waited went in together
    assert len({tuple(r.incident_ids) for r in results if isinstance(r, IngestResult)}) == 1
    assert _count(db, Alert) == 200 and _count(db, Incident) == 1


def test_errors_reach_the_waiting_request(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    committer = GroupCommitter(database, clock)
    with pytest.raises(EventGuardError) as excinfo:
        asyncio.run(committer.submit(_am("f" * 32, am_payload(am_alert("X")))))
    assert excinfo.value.status_code == 401
    assert _count(db, AlertBatch) == 0


def test_the_stored_counts_of_incidents_match_their_alerts_after_any_sequence(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """Counts are kept up by what each transaction does, not recounted: compare them with a count of
    the alerts after a random mix of firing and resolved reports, several per transaction."""
    import random

    from eventguard.alerts.service import counts

    token = _token(db, event, clock, "alertmanager")
    committer = GroupCommitter(database, clock)
    rng = random.Random(20261202)
    for _round in range(12):
        requests = []
        for _ in range(rng.randint(1, 6)):
            reports = []
            for _ in range(rng.randint(1, 4)):
                name = rng.choice(["LoginFailed", "PaymentGatewayDown"])
                alert = am_alert(name, instance=f"i{rng.randint(1, 5)}")
                if rng.random() < 0.4:
                    alert = {**alert, "status": "resolved", "endsAt": "2026-06-16T04:09:00Z"}
                reports.append(alert)
            requests.append(_am(token, am_payload(*reports)))
        outcomes = committer.commit(requests)
        assert all(isinstance(o, IngestResult) for o in outcomes), outcomes
        clock.advance(timedelta(seconds=rng.choice([5, 60, 2400])))  # past the reopen window now and then
    db.expire_all()
    checked = db.scalars(select(Incident)).all()
    assert len(checked) >= 2
    for incident in checked:
        assert (incident.alert_count, incident.firing_count) == counts(db=db, incident_id=incident.id)


def test_the_same_report_from_several_senders_is_merged_and_answered_to_each(
    database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    """An Alertmanager HA pair (or three) sends the same group: one row, every receipt counted."""
    token = _token(db, event, clock, "alertmanager")
    alert = am_alert("StreamBitrateLow", instance="cdn-7")
    outcomes = GroupCommitter(database, clock).commit([_am(token, am_payload(alert)) for _ in range(3)])
    results = [o for o in outcomes if isinstance(o, IngestResult)]
    row = db.scalars(select(Alert)).one()
    assert len(results) == 3 and row.receive_count == 3 and row.status == "firing"
    assert [r.incident_ids for r in results] == [[row.incident_id]] * 3
    incident = db.get(Incident, row.incident_id)
    assert incident is not None and (incident.alert_count, incident.firing_count) == (1, 1)
