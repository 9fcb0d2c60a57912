"""Several API processes on one PostgreSQL database: concurrent alerts of one group open one incident."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from eventguard.alerts import integrations
from eventguard.alerts.journal.process import ProcessReport, process_pending
from eventguard.alerts.models import Alert
from eventguard.audit.service import Actor
from eventguard.clock import SystemClock
from eventguard.db import Database, migrate
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from tests.alerts.builders import am_alert, am_payload
from tests.conftest import EXAMPLE_PLAN, PG_URL, _pg_schema_url

SERVERS = 2
CLIENTS = 4
REQUESTS_PER_CLIENT = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    schema = f"eg_conc_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = _pg_schema_url(schema)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def servers(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": pg_url,
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp_path_factory.mktemp("cfg") / "none.toml"),
    }
    ports = [_free_port() for _ in range(SERVERS)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "eventguard.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            _wait_ready(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def _process_until(url: str, storm_over: threading.Event, reports: list[ProcessReport]) -> None:
    database, clock = Database(url), SystemClock()
    try:
        while True:
            over = storm_over.is_set()
            reports.append(process_pending(database=database, clock=clock))
            if over and reports[-1].rows == 0:
                return
            time.sleep(0.01)
    finally:
        database.dispose()


def _post_storm(args: tuple[int, list[str], str, object]) -> list[int]:
    client_number, urls, token, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    statuses = []
    with httpx.Client(timeout=30) as client:
        for n in range(REQUESTS_PER_CLIENT):
            alert = am_alert("PaymentErrorRate", instance=f"pay-{client_number}-{n}")
            response = client.post(
                f"{urls[(client_number + n) % len(urls)]}/api/v1/integrations/alertmanager",
                json=am_payload(alert),
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(response.status_code)
    return statuses


def test_concurrent_alerts_of_one_group_from_several_processes_open_exactly_one_incident(
    pg_url: str, servers: list[str]
) -> None:
    database = Database(pg_url)
    clock = SystemClock()
    with database.session(write=True) as db:
        version = plans.apply_plan(
            db=db,
            source=EXAMPLE_PLAN.read_text(encoding="utf-8"),
            filename=str(EXAMPLE_PLAN),
            actor=Actor.cli("test"),
            clock=clock,
        )
        from eventguard.events import service as events

        event = events.get(db=db, event_id=version.event_id)
        _integration, token = integrations.create(
            db=db, event=event, name="prom", kind="alertmanager", actor=Actor.cli("test"), clock=clock
        )
        db.commit()
    context = multiprocessing.get_context("spawn")
    # Two journal processors share the journal while the storm is accepted (as two workers would).
    storm_over = threading.Event()
    reports: list[ProcessReport] = []
    processors = [
        threading.Thread(target=_process_until, args=(pg_url, storm_over, reports)) for _ in range(2)
    ]
    for thread in processors:
        thread.start()
    with context.Manager() as manager:
        barrier = manager.Barrier(CLIENTS)
        with context.Pool(CLIENTS) as pool:
            results = pool.map(_post_storm, [(i, servers, token, barrier) for i in range(CLIENTS)])
    storm_over.set()
    for thread in processors:
        thread.join(timeout=60)
    assert all(status == 200 for statuses in results for status in statuses), results
    # Every accepted request processed exactly once, by one of the two.
    assert sum(r.rows for r in reports) == CLIENTS * REQUESTS_PER_CLIENT
    with database.session() as db:
        incidents = db.scalars(select(Incident)).all()
        alert_total = db.scalar(select(func.count()).select_from(Alert))
    database.dispose()
    assert len(incidents) == 1
    assert alert_total == CLIENTS * REQUESTS_PER_CLIENT
    assert incidents[0].alert_count == CLIENTS * REQUESTS_PER_CLIENT
