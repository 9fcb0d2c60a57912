"""Alert intake answered in ``eventguard serve``'s protocol (protocol.py) and through the ASGI
route (plain uvicorn): the same requests get the same answers, in real uvicorn servers on
127.0.0.1, and the protocol really answered the ones it should."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.models import JournalEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.protocol import EventGuardProtocol
from tests.alerts.builders import am_alert, am_payload
from tests.alerts.fixtures import load

VARYING = {"journal_id", "request_id"}  # differ between two acceptances of the same request


class CountingProtocol(EventGuardProtocol):
    answered = 0

    def _answer(self, *args: Any, **kwargs: Any) -> None:
        type(self).answered += 1
        super()._answer(*args, **kwargs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(app: FastAPI, http: Any) -> tuple[uvicorn.Server, str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, http=http))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture
def servers(app: FastAPI, event: Event) -> Iterator[tuple[str, str]]:
    """(our protocol, plain httptools) serving the same app."""
    ours, ours_url = _run(app, CountingProtocol)
    plain, plain_url = _run(app, "httptools")
    CountingProtocol.answered = 0
    yield ours_url, plain_url
    ours.should_exit = plain.should_exit = True


def _token(db: Session, event: Event, clock: FrozenClock, kind: str, secret: str | None = None) -> str:
    _integration, token = integrations.create(
        db=db, event=event, name=kind, kind=kind, actor=Actor.cli("test"), clock=clock, hmac_secret=secret
    )
    db.commit()
    return token


def _shape(answer: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    body = answer.json()

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("…" if k in VARYING else scrub(v)) for k, v in value.items()}
        return value

    wanted = (
        "content-type",
        "www-authenticate",
        "x-content-type-options",
        "cache-control",
        "x-frame-options",
    )
    return answer.status_code, scrub(body), {h: answer.headers.get(h, "") for h in wanted}


def test_intake_answers_the_same_through_the_protocol_and_the_route(
    servers: tuple[str, str], db: Session, event: Event, clock: FrozenClock
) -> None:
    am = _token(db, event, clock, "alertmanager")
    pd = _token(db, event, clock, "pagerduty")
    grafana = _token(db, event, clock, "grafana", secret="s3cret")
    body = json.dumps(am_payload(am_alert("LoginFailed"))).encode()
    signature = hmac.new(b"s3cret", json.dumps(load("grafana_firing")).encode(), hashlib.sha256).hexdigest()
    pd_trigger = {**load("pagerduty_trigger"), "routing_key": pd}
    keyless = {k: v for k, v in pd_trigger.items() if k != "dedup_key"}
    cases: list[tuple[str, dict[str, str], bytes]] = [
        ("alertmanager", {"Authorization": f"Bearer {am}"}, body),
        ("alertmanager", {"Authorization": f"Bearer {am}", "Accept-Language": "en"}, b"{nope"),
        ("alertmanager", {"Authorization": f"Bearer {am}"}, b"[" * 3000 + b"]" * 3000),
        ("alertmanager", {"Authorization": f"Bearer {am}"}, b'{"version": "4", "alerts": 7}'),
        ("alertmanager", {}, body),
        ("alertmanager", {"Authorization": "Bearer " + "0" * 32}, body),
        ("alertmanager", {"Authorization": f"Bearer {pd}", "Accept-Language": "zh-CN"}, body),
        ("generic", {"Authorization": f"Bearer {am}"}, body),
        ("grafana", {"Authorization": f"Bearer {grafana}", "X-Grafana-Alerting-Signature": "bad"}, b"{}"),
        (
            "grafana",
            {"Authorization": f"Bearer {grafana}", "X-Grafana-Alerting-Signature": signature},
            json.dumps(load("grafana_firing")).encode(),
        ),
        ("pagerduty/v2/enqueue", {}, json.dumps(pd_trigger).encode()),
        ("pagerduty/v2/enqueue", {}, b"not json"),
        ("pagerduty/v2/enqueue", {}, json.dumps({**pd_trigger, "payload": {}}).encode()),
        ("pagerduty/v2/enqueue", {}, json.dumps({**pd_trigger, "routing_key": "x"}).encode()),
    ]
    ours, plain = servers
    for kind, headers, content in cases:
        sent = {"Content-Type": "application/json", **headers}
        first = httpx.post(f"{ours}/api/v1/integrations/{kind}", content=content, headers=sent, timeout=10)
        second = httpx.post(f"{plain}/api/v1/integrations/{kind}", content=content, headers=sent, timeout=10)
        assert _shape(first) == _shape(second), (kind, headers, content[:60])
        assert first.headers["x-request-id"]
    assert CountingProtocol.answered == len(cases)
    # A keyless PagerDuty trigger: each server generated its own key, answered and journaled.
    answers = [httpx.post(f"{url}/api/v1/integrations/pagerduty/v2/enqueue", json=keyless) for url in servers]
    assert [a.status_code for a in answers] == [202, 202]
    for answer in answers:
        key = answer.json()["dedup_key"]
        stored = db.scalars(select(JournalEntry.body).order_by(JournalEntry.id.desc())).all()
        assert any(json.loads(b).get("dedup_key") == key for b in stored)
    db.commit()
    accepted_pairs = 2 * 3 + 2  # the good AM, Grafana and PD cases through both, and the keyless pair
    assert db.scalar(select(func.count()).select_from(JournalEntry)) == accepted_pairs


def test_what_the_protocol_leaves_to_the_route(servers: tuple[str, str], db: Session, event: Event) -> None:
    ours, _plain = servers
    unknown = httpx.post(f"{ours}/api/v1/integrations/nagios", json={}, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_format"
    chunked = httpx.post(
        f"{ours}/api/v1/integrations/alertmanager", content=iter([b"{", b"}"]), timeout=10
    )  # no Content-Length
    assert chunked.status_code == 401
    host, port = ours.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:  # declares 64 MB, sends none
        conn.sendall(
            b"POST /api/v1/integrations/alertmanager HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 67108864\r\n\r\n"
        )
        assert conn.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert CountingProtocol.answered == 0


def test_keep_alive_requests_on_one_connection(
    servers: tuple[str, str], db: Session, event: Event, clock: FrozenClock
) -> None:
    token = _token(db, event, clock, "alertmanager")
    ours, _plain = servers
    with httpx.Client(base_url=ours, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        answers = [
            client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert("X", instance=f"{n}")))
            for n in range(20)
        ]
        assert client.get("/healthz").status_code == 200  # the next request on the connection, via ASGI
    assert [a.status_code for a in answers] == [200] * 20
    assert len({a.json()["journal_id"] for a in answers}) == 20
    assert CountingProtocol.answered == 20


def test_a_journal_that_cannot_be_written_answers_500_and_loses_nothing_after(
    servers: tuple[str, str], database: Any, db: Session, event: Event, clock: FrozenClock
) -> None:
    """A commit that fails (here a trigger refusing the insert) gives every request of it the 500
    envelope with a request id, through the protocol and the route alike; once the cause is gone the
    next request is journaled (on SQLite the writer's held connection was discarded and reopened)."""
    token = _token(db, event, clock, "alertmanager")
    headers = {"Authorization": f"Bearer {token}"}

    def post(url: str, instance: str) -> httpx.Response:
        payload = am_payload(am_alert("X", instance=instance))
        intake = f"{url}/api/v1/integrations/alertmanager"
        return httpx.post(intake, json=payload, headers=headers, timeout=10)

    before = int(db.scalar(select(func.count()).select_from(JournalEntry)) or 0)
    db.rollback()  # holds no lock on the table the DDL below changes
    if database.is_sqlite:
        create = [
            "CREATE TRIGGER journal_refuses BEFORE INSERT ON intake_journal "
            "BEGIN SELECT RAISE(ABORT, 'journal refuses'); END"
        ]
        drop = ["DROP TRIGGER journal_refuses"]
    else:
        create = [
            "CREATE FUNCTION journal_refuses() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'journal refuses'; END $$",
            "CREATE TRIGGER journal_refuses BEFORE INSERT ON intake_journal "
            "FOR EACH ROW EXECUTE FUNCTION journal_refuses()",
        ]
        drop = ["DROP TRIGGER journal_refuses ON intake_journal", "DROP FUNCTION journal_refuses()"]
    with database.engine.begin() as conn:
        for statement in create:
            conn.exec_driver_sql(statement)
    try:
        for url in servers:
            failed = post(url, "refused")
            assert failed.status_code == 500, failed.text
            assert failed.json()["error"]["code"] == "internal_error"
            assert failed.json()["error"]["details"]["request_id"] == failed.headers["x-request-id"]
    finally:
        with database.engine.begin() as conn:
            for statement in drop:
                conn.exec_driver_sql(statement)
    for url in servers:
        accepted = post(url, "after")
        assert accepted.status_code == 200, accepted.text
    db.rollback()  # a fresh snapshot
    assert db.scalar(select(func.count()).select_from(JournalEntry)) == before + 2
    assert CountingProtocol.answered == 2  # the protocol answered its two itself
