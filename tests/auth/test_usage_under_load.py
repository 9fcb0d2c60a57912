"""Reads by freshly used tokens and console sessions during an alert storm, in a real uvicorn server
as ``eventguard serve`` runs it (intake, the journal processor writing incidents): every read
answers 200, and the last-used stamps and session expiries are written all the same, off the read
path (auth/usage.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.runner import JournalProcessor
from eventguard.audit.service import Actor
from eventguard.auth import service, tokens, usage
from eventguard.auth.deps import SESSION_COOKIE
from eventguard.auth.models import ApiToken, Role, TokenKind, User
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from tests.alerts.builders import am_alert, am_payload
from tests.auth.factories import PASSWORD, make_token, make_user

WRITERS = 8
API_READERS = 40
CONSOLE_READERS = 12
ENROLLERS = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    """The app in uvicorn with the journal processor beside it, as ``eventguard serve`` runs them."""

    def __init__(self, app: FastAPI, database: Database, clock: FrozenClock) -> None:
        self.app, self.database = app, database
        self._stop = threading.Event()
        processor = JournalProcessor(database=database, clock=clock, wake=app.state.journal_wake, poll=0.05)
        self._journal = threading.Thread(target=processor.run_forever, args=(self._stop,), daemon=True)
        self._journal.start()
        port = _free_port()
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, limit_concurrency=200)
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self._server.started
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        """Shut down as serve does: uvicorn finishes the requests in flight (and the work each left
        for after its answer) before it returns."""
        self._server.should_exit = True
        self._thread.join(timeout=60)
        assert not self._thread.is_alive()
        self._stop.set()
        self.app.state.journal_wake.set()
        self._journal.join(timeout=10)


@pytest.fixture
def served(app: FastAPI, database: Database, clock: FrozenClock) -> Iterator[Served]:
    server = Served(app, database, clock)
    try:
        yield server
    finally:
        server.stop()
        usage.for_database(database).flush()


def _storm(url: str, token: str, writer: int, calm: threading.Event, statuses: list[int]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while not calm.is_set():
            alert = am_alert("PaymentErrorRate", instance=f"pay-{writer}-{n}")
            answer = client.post(
                "/api/v1/integrations/alertmanager",
                json=am_payload(alert),
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(answer.status_code)
            n += 1


def _wait_for_incident(database: Database) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with database.session() as db:
            found = db.scalar(select(Incident.id).limit(1))
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError("the storm opened no incident")


def test_reads_by_fresh_tokens_and_sessions_all_answer_during_an_alert_storm(
    served: Served, database: Database, db: Session, event: Event, clock: FrozenClock
) -> None:
    _integration, intake_token = integrations.create(
        db=db, event=event, name="prom", kind="alertmanager", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    api_secrets = [
        make_token(db, clock, make_user(db, clock, f"reader-{n}", role=Role.viewer), "read")
        for n in range(API_READERS)
    ]
    sessions = []
    for n in range(CONSOLE_READERS):
        make_user(db, clock, f"watcher-{n}", role=Role.responder)
        _user, secret = service.login(
            db=db, username=f"watcher-{n}", password=PASSWORD, totp_code=None, clock=clock
        )
        sessions.append(secret)
    enrolling = []  # commanders, whom the example plan makes enrol in two-factor first
    for n in range(ENROLLERS):
        make_user(db, clock, f"lead-{n}", role=Role.commander)
        _user, secret = service.login(
            db=db, username=f"lead-{n}", password=PASSWORD, totp_code=None, clock=clock
        )
        enrolling.append(secret)
    db.commit()
    clock.advance(timedelta(minutes=5))  # the sessions' expiry slides from here

    calm = threading.Event()
    storm_statuses: list[int] = []
    writers = [
        threading.Thread(target=_storm, args=(served.url, intake_token, n, calm, storm_statuses))
        for n in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    reads: list[tuple[str, int, str]] = []
    try:
        incident_id = _wait_for_incident(database)
        time.sleep(0.3)  # the storm in full swing

        def read(kind: str, path: str, secret: str) -> None:
            if kind == "api":
                client = httpx.Client(
                    base_url=served.url, timeout=30, headers={"Authorization": f"Bearer {secret}"}
                )
            else:
                client = httpx.Client(base_url=served.url, timeout=30, cookies={SESSION_COOKIE: secret})
            try:
                with client:
                    answer = client.get(path)
                reads.append((kind, answer.status_code, answer.text[:200]))
            except httpx.HTTPError as exc:
                reads.append((kind, 0, repr(exc)))

        room = f"/incidents/{incident_id}"
        jobs = [("api", f"/api/v1{room}", secret) for secret in api_secrets]
        # Half the watchers also pick English (stored as their language), enrollers begin two-factor.
        jobs += [("console", room + ("?lang=en" if n % 2 else ""), s) for n, s in enumerate(sessions)]
        jobs += [("console", "/account/two-factor", secret) for secret in enrolling]
        readers = [threading.Thread(target=read, args=job) for job in jobs]
        for thread in readers:
            thread.start()
            time.sleep(0.005)
        for thread in readers:
            thread.join(timeout=60)
    finally:
        calm.set()
        for thread in writers:
            thread.join(timeout=60)
    served.stop()  # what the reads left to write after their answers is written by now

    assert len(reads) == API_READERS + CONSOLE_READERS + ENROLLERS
    assert [read for read in reads if read[1] != 200] == []
    assert storm_statuses and set(storm_statuses) == {200}

    # The stamps of every token used were written (after each answer), and each session's
    # idle expiry slid from its use.
    db.commit()  # a fresh snapshot
    fresh = {"populate_existing": True}
    used = db.scalars(select(ApiToken).execution_options(**fresh)).all()
    assert len(used) == API_READERS + CONSOLE_READERS + ENROLLERS
    assert all(token.last_used_at == clock.now() for token in used)
    assert all(
        token.expires_at == clock.now() + tokens.SESSION_IDLE_TIMEOUT
        for token in used
        if token.kind == TokenKind.session
    )
    watchers = db.scalars(
        select(User).where(User.username.like("watcher-%")).execution_options(**fresh)
    ).all()
    assert sorted(user.language for user in watchers) == ["en"] * 6 + ["zh-CN"] * 6
    leads = db.scalars(select(User).where(User.username.like("lead-%")).execution_options(**fresh)).all()
    assert all(user.totp_secret is not None for user in leads)
