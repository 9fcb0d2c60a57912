"""Alert intake: alerts/s accepted with a durable commit, next to Prometheus Alertmanager on this machine;
then how fast the journal of what was accepted is processed, and a storm against the embedded default.

*Accept*: EventGuard (``python -m bench.serve``: its own HTTP protocol, which answers intake below ASGI,
and no journal processor; SQLite file or PostgreSQL, 1 or 2 accepting processes) receives
Alertmanager webhooks (1 and 10 alerts per request) and PagerDuty Events v2 triggers; Alertmanager
receives the same alerts on its own ``POST /api/v2/alerts`` (1 and 10 per request). wrk drives every
run with ``bench/intake.lua``: each request carries new alerts, alertname cycling over 20 values so
that alerts keep joining the same groups. Only 2xx answers count; a run with any error is reported as
such and left out of the ratio. "stored" counts the alerts durably accepted: the journal's alert_count.

*Process*: after the accept runs of a backend's first target, its journal holds everything accepted;
``python -m bench.process URL`` drains it (``process_pending``) in a process of its own: alerts/s
processed into alerts and incidents.

*Storm*: ``eventguard serve --no-worker --journal`` (one process that accepts and processes the journal) on a
fresh database, wrk am10 at 32 connections for ``--storm`` seconds; then the time until no journal row
is pending any more (polled every 0.1 s): accept alerts/s, backlog at the end, drain seconds.

    .venv/bin/python -m bench intake [--duration 10] [--connections 8,32] [--targets ...] [--storm 60]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    LOOPBACK,
    ROOT,
    BenchError,
    Patience,
    Server,
    WrkResult,
    cpu_shares,
    cpu_snapshot,
    free_port,
    machine,
    require_tools,
    run_wrk,
    tool_version,
    write_results,
)

LUA = Path(__file__).with_name("intake.lua")
PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
PG_URL = os.environ.get("EVENTGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOOLS = {"wrk": "wrk", "prometheus-alertmanager": "prometheus-alertmanager"}
ALERTMANAGER_CONFIG = """\
# Minimal: every alert goes to a receiver without integrations; grouped like EventGuard's example plan.
route:
  receiver: blackhole
  group_by: [alertname]
receivers:
  - name: blackhole
"""


@dataclass(frozen=True)
class Shape:
    key: str
    title: str
    lua: str  # the shape argument of intake.lua: am, pd or ref
    per_request: int
    path: str
    reference: str  # the Alertmanager shape it is compared with


AM_WEBHOOK = "/api/v1/integrations/alertmanager"
PD_ENQUEUE = "/api/v1/integrations/pagerduty/v2/enqueue"
SHAPES = {
    s.key: s
    for s in (
        Shape("am1", "Alertmanager webhook, 1 alert/request", "am", 1, AM_WEBHOOK, "ref1"),
        Shape("am10", "Alertmanager webhook, 10 alerts/request", "am", 10, AM_WEBHOOK, "ref10"),
        Shape("pd1", "PagerDuty Events v2, 1 event/request", "pd", 1, PD_ENQUEUE, "ref1"),
        Shape("ref1", "Alertmanager API v2, 1 alert/request", "ref", 1, "/api/v2/alerts", "ref1"),
        Shape("ref10", "Alertmanager API v2, 10 alerts/request", "ref", 10, "/api/v2/alerts", "ref10"),
    )
}
EVENTGUARD_SHAPES = ("am1", "am10", "pd1")
REFERENCE_SHAPES = ("ref1", "ref10")


@dataclass(frozen=True)
class Target:
    key: str
    title: str
    backend: str | None  # None: Alertmanager itself
    workers: int = 1


TARGETS = {
    t.key: t
    for t in (
        Target("alertmanager", "Alertmanager (memory)", None),
        Target("eg-sqlite-1w", "EventGuard SQLite, 1 worker", "sqlite", 1),
        Target("eg-sqlite-2w", "EventGuard SQLite, 2 workers", "sqlite", 2),
        Target("eg-pg-1w", "EventGuard PostgreSQL, 1 worker", "postgresql", 1),
        Target("eg-pg-2w", "EventGuard PostgreSQL, 2 workers", "postgresql", 2),
    )
}


# Accepting is an append to the journal (group commit), so a second accepting process helps on SQLite too.
DEFAULT_TARGETS = tuple(TARGETS)
BACKEND_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Settings:
    duration_s: int
    warmup_s: int
    connections: tuple[int, ...]
    threads: int
    targets: tuple[str, ...]
    shapes: tuple[str, ...]
    storm_s: int = 60  # 0: no storm
    process: bool = True


@dataclass
class Measurement:
    target: str
    shape: str
    alerts_per_request: int
    connections: int
    threads: int
    duration_s: float
    requests: int
    ok_requests: int
    non_2xx: int
    socket_errors: int
    requests_per_s: float
    alerts_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    stored_alerts: int | None  # durably accepted, counted on the server side after the run (>= 2xx ones)
    clean: bool
    note: str = ""
    cpu_cores: dict[str, float] = field(default_factory=dict)  # average cores used during the run
    disturbed: bool = False  # other processes used more than NOISE_CORES during the run


_runs = itertools.count(1)  # distinct run numbers keep fingerprints distinct across runs of one database
# The machine may be shared: each run first waits (a little) for it to be quiet, and a run during which
# other processes used more than NOISE_CORES is measured again while the spare time lasts, and flagged
# if it stays disturbed. The spare time bounds the whole benchmark's duration.
NOISE_CORES = 0.25
SPARE_S = 60.0


def _measure(
    *,
    target: Target,
    shape: Shape,
    base_url: str,
    token: str,
    connections: int,
    settings: Settings,
    wrk: str,
    server_group: int | None,
    stored: Callable[[], int],
    settle: Callable[[], None],
    patience: Patience,
) -> Measurement:
    url = base_url + shape.path

    def wrk_run(seconds: int, *extra: str) -> WrkResult:
        args = [shape.lua, str(next(_runs)), str(shape.per_request), token, *extra]
        return run_wrk(
            wrk, url, LUA, args, connections=connections, threads=settings.threads, duration_s=seconds
        )

    patience.wait_for_quiet()
    warm = wrk_run(settings.warmup_s, "check")
    settle()
    while True:
        before, cpu_before = stored(), cpu_snapshot(server_group)
        result = wrk_run(settings.duration_s)
        cpu = cpu_shares(cpu_before, cpu_snapshot(server_group), result.duration_s)
        settle()
        stored_now = stored() - before
        if cpu["other"] <= NOISE_CORES or not patience.allows(settings.duration_s + 2):
            break
        print(f"  ({cpu['other']:.2f} cores used by other processes during the run: measuring again)")
        patience.wait_for_quiet()
    accepted = result.ok_requests * shape.per_request
    notes = []
    if warm.bad or not warm.clean:
        notes.append(
            f"warm-up answers wrong ({warm.bad} bad, {warm.errors_status} non-2xx): {warm.bad_sample}"
        )
    if not result.clean:
        notes.append(f"{result.errors_status} non-2xx, {result.socket_errors} socket errors")
    if stored_now < accepted:
        notes.append(f"only {stored_now} of {accepted} accepted alerts found on the server")
    m = _measurement(target, shape, connections, settings.threads, result, stored_now, notes)
    m.cpu_cores = cpu
    m.disturbed = cpu["other"] > NOISE_CORES
    return m


def _measurement(
    target: Target,
    shape: Shape,
    connections: int,
    threads: int,
    result: WrkResult,
    stored: int,
    notes: list[str],
) -> Measurement:
    return Measurement(
        target=target.key,
        shape=shape.key,
        alerts_per_request=shape.per_request,
        connections=connections,
        threads=threads,
        duration_s=round(result.duration_s, 2),
        requests=result.requests,
        ok_requests=result.ok_requests,
        non_2xx=result.errors_status,
        socket_errors=result.socket_errors,
        requests_per_s=round(result.ok_per_s, 1),
        alerts_per_s=round(result.ok_per_s * shape.per_request, 1),
        p50_ms=round(result.latency_p50_us / 1000, 2),
        p99_ms=round(result.latency_p99_us / 1000, 2),
        max_ms=round(result.latency_max_us / 1000, 2),
        stored_alerts=stored,
        clean=not notes,
        note="; ".join(notes),
    )


def _settle(ready_url: str) -> Callable[[], None]:
    def settle() -> None:
        # wrk drops its connections mid-request when time is up: let the server finish those first.
        time.sleep(0.5)
        httpx.get(ready_url, timeout=60.0)
        time.sleep(0.5)

    return settle


# --- Alertmanager -------------------------------------------------------------------------------------


def _alertmanager_received(base_url: str) -> int:
    text = httpx.get(f"{base_url}/metrics", timeout=30.0).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("alertmanager_alerts_received_total"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def bench_alertmanager(
    target: Target, settings: Settings, tools: dict[str, str], tmp: Path, patience: Patience
) -> list[Measurement]:
    workdir = tmp / "alertmanager"
    workdir.mkdir()
    (workdir / "alertmanager.yml").write_text(ALERTMANAGER_CONFIG, encoding="utf-8")
    port = free_port()
    base_url = f"http://{LOOPBACK}:{port}"
    argv = [
        tools["prometheus-alertmanager"],
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    measurements = []
    shapes = [SHAPES[k] for k in REFERENCE_SHAPES if k in settings.shapes or _needed_reference(k, settings)]
    with Server(
        "alertmanager", argv, ready_url=f"{base_url}/-/ready", log_path=workdir / "log.txt"
    ) as server:
        for shape, connections in itertools.product(shapes, settings.connections):
            measurements.append(
                _measure(
                    target=target,
                    shape=shape,
                    base_url=base_url,
                    token="-",
                    connections=connections,
                    settings=settings,
                    wrk=tools["wrk"],
                    server_group=server.pid,
                    patience=patience,
                    stored=lambda: _alertmanager_received(base_url),
                    settle=_settle(f"{base_url}/-/ready"),
                )
            )
            _print_run(measurements[-1])
    return measurements


def _needed_reference(key: str, settings: Settings) -> bool:
    return any(SHAPES[s].reference == key for s in settings.shapes if s in EVENTGUARD_SHAPES)


# --- EventGuard ---------------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file in ``tmp``, or a new PostgreSQL schema dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'eventguard-{uuid.uuid4().hex[:8]}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    schema = f"eg_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        raise BenchError(
            f"PostgreSQL is not reachable at {PG_URL} (set EVENTGUARD_BENCH_PG_URL): {exc}"
        ) from exc
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare_eventguard(url: str) -> dict[str, str]:
    """Migrate, apply the example plan and create one integration per kind; returns kind -> token."""
    from eventguard.alerts import integrations
    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.db import Database, migrate
    from eventguard.events import service as events
    from eventguard.plans import service as plans

    migrate.upgrade(url)
    database, clock, actor = Database(url), SystemClock(), Actor.cli("bench")
    try:
        with database.session(write=True) as db:
            version = plans.apply_plan(
                db=db, source=PLAN.read_text(encoding="utf-8"), filename=str(PLAN), actor=actor, clock=clock
            )
            event = events.get(db=db, event_id=version.event_id)
            tokens = {}
            for kind in ("alertmanager", "pagerduty"):
                _integration, tokens[kind] = integrations.create(
                    db=db, event=event, name=f"bench {kind}", kind=kind, actor=actor, clock=clock
                )
            db.commit()
    finally:
        database.dispose()
    return tokens


ACCEPTED_ALERTS = "SELECT coalesce(sum(alert_count), 0) FROM intake_journal"
PENDING = "SELECT count(*), coalesce(sum(alert_count), 0) FROM intake_journal WHERE state = 'pending'"


def _scalar_query(url: str, query: str) -> Callable[[], Any]:
    """A function that runs ``query`` on a connection of its own (not the server's) and returns its
    first row."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)

    def run() -> Any:
        with engine.connect() as conn:
            return conn.execute(text(query)).one()

    return run


def _accepted_alerts(url: str) -> Callable[[], int]:
    """Alerts durably accepted so far: the alert counts of every journal row (processed or not)."""
    query = _scalar_query(url, ACCEPTED_ALERTS)
    return lambda: int(query()[0])


def _server_env(url: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": url,
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp / "no-config.toml"),
    }


def bench_eventguard(
    target: Target, settings: Settings, tools: dict[str, str], tmp: Path, patience: Patience
) -> tuple[list[Measurement], ProcessRun | None]:
    """The accept runs of ``target`` on a fresh database; then, with ``settings.process`` and when the
    target is its backend's first, the drain of the journal those runs left."""
    assert target.backend is not None
    shapes = [SHAPES[k] for k in EVENTGUARD_SHAPES if k in settings.shapes]
    measurements = []
    with fresh_database(target.backend, tmp) as url:
        tokens = prepare_eventguard(url)
        port = free_port()
        base_url = f"http://{LOOPBACK}:{port}"
        argv = [sys.executable, "-m", "bench.serve", "--port", str(port), "--workers", str(target.workers)]
        log = tmp / f"{target.key}.log"
        stored = _accepted_alerts(url)
        with Server(
            target.key, argv, ready_url=f"{base_url}/readyz", env=_server_env(url, tmp), log_path=log
        ) as server:
            for shape, connections in itertools.product(shapes, settings.connections):
                token = tokens["pagerduty" if shape.lua == "pd" else "alertmanager"]
                measurements.append(
                    _measure(
                        target=target,
                        shape=shape,
                        base_url=base_url,
                        token=token,
                        connections=connections,
                        settings=settings,
                        wrk=tools["wrk"],
                        server_group=server.pid,
                        patience=patience,
                        stored=stored,
                        settle=_settle(f"{base_url}/readyz"),
                    )
                )
                _print_run(measurements[-1])
        first_of_backend = next(TARGETS[k] for k in settings.targets if TARGETS[k].backend == target.backend)
        processed = None
        if settings.process and target is first_of_backend:
            processed = bench_process(target, url, tmp, patience)
    return measurements, processed


# --- Process: draining the journal --------------------------------------------------------------------


@dataclass
class ProcessRun:
    backend: str
    target: str  # whose accept runs filled the journal
    rows: int
    alerts: int
    parked: int
    incidents: int
    seconds: float
    alerts_per_s: float
    rows_per_s: float
    pending_after: int  # rows still pending after the drain (0 expected)
    cpu_cores: dict[str, float] = field(default_factory=dict)  # process/postgres/other, average cores
    disturbed: bool = False
    note: str = ""


def bench_process(target: Target, url: str, tmp: Path, patience: Patience) -> ProcessRun:
    """``python -m bench.process URL`` on the journal the accept runs left; the processing process's CPU
    is the children's time of this one."""
    assert target.backend is not None
    print(f"  processing the journal of {target.key} (python -m bench.process) ...", flush=True)
    patience.wait_for_quiet()
    before, started = cpu_snapshot(None), time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.process", url],
        cwd=ROOT,
        env=_server_env(url, tmp),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise BenchError(f"bench.process failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = cpu_shares(before, cpu_snapshot(None), wall)
    # The connection's PostgreSQL backend exited with the process, its CPU time with it: bench.process
    # read it before disconnecting.
    backend = round((data.get("postgres_backend_cpu_s") or 0.0) / wall, 2)
    cpu = {
        "process": cpu["wrk"],
        "postgres": round(cpu["postgres"] + backend, 2),
        "other": round(max(0.0, cpu["other"] - backend), 2),
    }
    seconds = float(data["seconds"])
    notes = []
    if data["parked"]:
        notes.append(f"{data['parked']} rows parked")
    if data["pending_after"]["rows"]:
        notes.append(f"{data['pending_after']['rows']} rows still pending")
    if data["alerts"] < data["pending_before"]["alerts"]:
        notes.append(f"{data['alerts']} of {data['pending_before']['alerts']} pending alerts processed")
    run = ProcessRun(
        backend=target.backend,
        target=target.key,
        rows=int(data["rows"]),
        alerts=int(data["alerts"]),
        parked=int(data["parked"]),
        incidents=int(data["incidents"]),
        seconds=round(seconds, 2),
        alerts_per_s=round(data["alerts"] / seconds, 1) if seconds else 0.0,
        rows_per_s=round(data["rows"] / seconds, 1) if seconds else 0.0,
        pending_after=int(data["pending_after"]["rows"]),
        cpu_cores=cpu,
        disturbed=cpu["other"] > NOISE_CORES,
        note="; ".join(notes),
    )
    _print_process(run)
    return run


def _print_process(r: ProcessRun) -> None:
    flag = f"  NOTE: {r.note}" if r.note else ""
    flag += "  (disturbed by other processes)" if r.disturbed else ""
    c = r.cpu_cores
    print(
        f"  process {r.backend:<10} {r.alerts} alerts / {r.rows} rows in {r.seconds:.1f} s = "
        f"{r.alerts_per_s:.0f} alerts/s ({r.incidents} incidents)  cores "
        f"{c['process']:.2f}/{c['postgres']:.2f}/{c['other']:.2f}{flag}",
        flush=True,
    )


# --- Storm: the embedded default, accepting and processing in one process -----------------------------


@dataclass
class StormRun:
    backend: str
    connections: int
    storm_s: float  # wrk's measured duration
    requests: int
    ok_requests: int
    non_2xx: int
    socket_errors: int
    alerts_per_s: float  # accepted (2xx) during the storm
    p50_ms: float
    p99_ms: float
    accepted_alerts: int  # in the journal after the storm
    backlog_rows: int  # pending when wrk ended
    backlog_alerts: int
    drain_s: float | None  # from wrk's end until nothing pending; None: not drained within the limit
    processed_alerts_per_s: float | None  # accepted alerts / (storm + drain)
    cpu_cores: dict[str, float] = field(default_factory=dict)  # during the storm
    drain_cpu_cores: dict[str, float] = field(default_factory=dict)
    disturbed: bool = False
    note: str = ""


STORM_SHAPE, STORM_CONNECTIONS = "am10", 32
POLL_S = 0.1


def bench_storm(
    backend: str, settings: Settings, tools: dict[str, str], tmp: Path, patience: Patience
) -> StormRun:
    shape = SHAPES[STORM_SHAPE]
    print(
        f"{BACKEND_TITLES[backend]} storm: eventguard serve --no-worker --journal, {shape.key} at "
        f"{STORM_CONNECTIONS} connections for {settings.storm_s} s, then the drain:",
        flush=True,
    )
    with fresh_database(backend, tmp) as url:
        tokens = prepare_eventguard(url)
        port = free_port()
        base_url = f"http://{LOOPBACK}:{port}"
        argv = [
            sys.executable,
            "-m",
            "eventguard.cli.main",
            "serve",
            "--no-worker",
            "--journal",
            "--port",
            str(port),
        ]
        pending = _scalar_query(url, PENDING)
        accepted = _accepted_alerts(url)
        log = tmp / f"storm-{backend}.log"
        with Server(
            f"storm-{backend}", argv, ready_url=f"{base_url}/readyz", env=_server_env(url, tmp), log_path=log
        ) as server:

            def wrk_run(seconds: int, *extra: str) -> WrkResult:
                args = [shape.lua, str(next(_runs)), str(shape.per_request), tokens["alertmanager"], *extra]
                return run_wrk(
                    tools["wrk"],
                    base_url + shape.path,
                    LUA,
                    args,
                    connections=STORM_CONNECTIONS,
                    threads=settings.threads,
                    duration_s=seconds,
                )

            def drain(limit_s: float, since: float) -> float | None:
                """Seconds from ``since`` until no journal row is pending (None: not within the limit)."""
                while time.monotonic() - since < limit_s:
                    if int(pending()[0]) == 0:
                        return time.monotonic() - since
                    time.sleep(POLL_S)
                return None

            warm = wrk_run(settings.warmup_s, "check")
            drain(120.0, time.monotonic())
            patience.wait_for_quiet()
            accepted_before = accepted()
            cpu_before = cpu_snapshot(server.pid)
            result = wrk_run(settings.storm_s)
            cpu_end = cpu_snapshot(server.pid)
            ended = time.monotonic()
            backlog_rows, backlog_alerts = (int(v) for v in pending())
            drain_limit = max(120.0, 5.0 * settings.storm_s)
            drained = drain(drain_limit, ended)
            drain_cpu = cpu_shares(cpu_end, cpu_snapshot(server.pid), time.monotonic() - ended)
            total = accepted() - accepted_before
    cpu = cpu_shares(cpu_before, cpu_end, result.duration_s)
    notes = []
    if warm.bad or not warm.clean:
        notes.append(
            f"warm-up answers wrong ({warm.bad} bad, {warm.errors_status} non-2xx): {warm.bad_sample}"
        )
    if not result.clean:
        notes.append(f"{result.errors_status} non-2xx, {result.socket_errors} socket errors")
    if drained is None:
        notes.append(f"backlog not drained within {drain_limit:.0f} s")
    if total < result.ok_requests * shape.per_request:
        notes.append(
            f"only {total} of {result.ok_requests * shape.per_request} accepted alerts in the journal"
        )
    run = StormRun(
        backend=backend,
        connections=STORM_CONNECTIONS,
        storm_s=round(result.duration_s, 2),
        requests=result.requests,
        ok_requests=result.ok_requests,
        non_2xx=result.errors_status,
        socket_errors=result.socket_errors,
        alerts_per_s=round(result.ok_per_s * shape.per_request, 1),
        p50_ms=round(result.latency_p50_us / 1000, 2),
        p99_ms=round(result.latency_p99_us / 1000, 2),
        accepted_alerts=total,
        backlog_rows=backlog_rows,
        backlog_alerts=backlog_alerts,
        drain_s=round(drained, 2) if drained is not None else None,
        processed_alerts_per_s=(
            round(total / (result.duration_s + drained), 1) if drained is not None else None
        ),
        cpu_cores=cpu,
        drain_cpu_cores=drain_cpu,
        disturbed=cpu["other"] > NOISE_CORES,
        note="; ".join(notes),
    )
    _print_storm(run)
    return run


def _print_storm(r: StormRun) -> None:
    flag = f"  NOTE: {r.note}" if r.note else ""
    flag += "  (disturbed by other processes)" if r.disturbed else ""
    drain = f"{r.drain_s:.1f} s" if r.drain_s is not None else "not drained"
    c = r.cpu_cores
    print(
        f"  storm {r.backend:<10} {r.alerts_per_s:.0f} alerts/s accepted for {r.storm_s:.0f} s "
        f"(p99 {r.p99_ms:.0f} ms), backlog {r.backlog_alerts} alerts ({r.backlog_rows} rows), "
        f"drained in {drain}  cores {c['server']:.2f}/{c['wrk']:.2f}/{c['postgres']:.2f}/"
        f"{c['other']:.2f}{flag}",
        flush=True,
    )


# --- Report -------------------------------------------------------------------------------------------


def _cpu_text(m: Measurement) -> str:
    c = m.cpu_cores
    return (
        f"{c.get('server', 0):.2f}/{c.get('wrk', 0):.2f}/{c.get('postgres', 0):.2f}/{c.get('other', 0):.2f}"
    )


def _print_run(m: Measurement) -> None:
    flag = "" if m.clean else f"  ERRORS: {m.note}"
    flag += "  (disturbed by other processes)" if m.disturbed else ""
    print(
        f"  {m.target:<13} {m.shape:<6} c={m.connections:<3} {m.alerts_per_s:>9.1f} alerts/s "
        f"({m.requests_per_s:.1f} req/s)  p50 {m.p50_ms:.1f} ms  p99 {m.p99_ms:.1f} ms  "
        f"cores {_cpu_text(m)}{flag}",
        flush=True,
    )


def _row(
    shape: Shape, connections: int | str, ref: Measurement | None, ours: dict[str, Measurement]
) -> dict[str, Any]:
    reference = ref.alerts_per_s if ref is not None and ref.clean else None
    row: dict[str, Any] = {
        "shape": shape.key,
        "title": shape.title,
        "connections": connections,
        "alertmanager": reference,
        "eventguard": {},
    }
    for key, m in ours.items():
        row["eventguard"][key] = {
            "alerts_per_s": m.alerts_per_s if m.clean else None,
            "ratio": round(m.alerts_per_s / reference, 4) if m.clean and reference else None,
            "p50_ms": m.p50_ms,
            "p99_ms": m.p99_ms,
        }
    return row


def _best(candidates: Sequence[Measurement]) -> Measurement | None:
    clean = [m for m in candidates if m.clean]
    return max(clean, key=lambda m: m.alerts_per_s) if clean else None


def comparison(measurements: Sequence[Measurement]) -> list[dict[str, Any]]:
    """Per EventGuard shape: one row per concurrency, then the best of each over the concurrencies; each
    with every target's alerts/s and its ratio to Alertmanager's (same concurrency, or its best)."""
    eventguard_keys = [t.key for t in TARGETS.values() if t.backend is not None]
    rows = []
    for shape_key in EVENTGUARD_SHAPES:
        shape = SHAPES[shape_key]
        runs = [m for m in measurements if m.shape == shape_key]
        if not runs:
            continue
        refs = [m for m in measurements if m.target == "alertmanager" and m.shape == shape.reference]
        for connections in sorted({m.connections for m in runs}):
            ref = next((m for m in refs if m.connections == connections), None)
            ours = {m.target: m for m in runs if m.connections == connections}
            rows.append(_row(shape, connections, ref, ours))
        best = {key: _best([m for m in runs if m.target == key]) for key in eventguard_keys}
        rows.append(_row(shape, "best", _best(refs), {k: m for k, m in best.items() if m is not None}))
    return rows


def _fmt(value: float | None, spec: str = ".0f") -> str:
    return "err" if value is None else format(value, spec)


def print_tables(measurements: Sequence[Measurement], rows: Sequence[dict[str, Any]]) -> None:
    print("\nAll runs (alerts/s from 2xx answers only; stored = alerts found on the server after the run;")
    print("cores = average cores used by server/wrk/postgres/other processes; * = disturbed by others)")
    head = (
        f"{'target':<13} {'shape':<6} {'conns':>5} {'req/s':>9} {'alerts/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    )
    print(f"{head} {'non-2xx':>7} {'sockerr':>7} {'stored':>8}  {'cores':<20} note")
    for m in measurements:
        stored = m.stored_alerts if m.stored_alerts is not None else "-"
        print(
            f"{m.target:<13} {m.shape:<6} {m.connections:>5} {m.requests_per_s:>9.1f} {m.alerts_per_s:>9.1f} "
            f"{m.p50_ms:>8.1f} {m.p99_ms:>8.1f} {m.non_2xx:>7} {m.socket_errors:>7} {stored:>8}  "
            f"{_cpu_text(m) + ('*' if m.disturbed else ''):<20} {m.note}"
        )
    keys = [t.key for t in TARGETS.values() if t.backend and any(t.key in r["eventguard"] for r in rows)]
    print("\nAlerts/s, EventGuard vs Alertmanager (ratio = EventGuard / Alertmanager)")
    print(
        f"{'shape':<6} {'conns':>5} {'alertmanager':>12} " + " ".join(f"{k:>13} {'ratio':>6}" for k in keys)
    )
    for row in rows:
        cells = []
        for key in keys:
            cell = row["eventguard"].get(key, {})
            cells.append(f"{_fmt(cell.get('alerts_per_s')):>13} {_fmt(cell.get('ratio'), '.3f'):>6}")
        first = f"{row['shape']:<6} {row['connections']!s:>5} {_fmt(row['alertmanager']):>12} "
        print(first + " ".join(cells))


def print_pipeline(processed: Sequence[ProcessRun], storms: Sequence[StormRun]) -> None:
    if processed:
        print("\nProcess: python -m bench.process draining the journal the accept runs left")
        print("(cores = average cores used by the processing process/postgres/other processes)")
        print(
            f"{'backend':<11} {'filled by':<13} {'rows':>8} {'alerts':>9} {'seconds':>8} {'alerts/s':>9} "
            f"{'rows/s':>8} {'incidents':>9}  {'cores':<16} note"
        )
        for r in processed:
            c = r.cpu_cores
            cores = f"{c['process']:.2f}/{c['postgres']:.2f}/{c['other']:.2f}" + ("*" if r.disturbed else "")
            print(
                f"{r.backend:<11} {r.target:<13} {r.rows:>8} {r.alerts:>9} {r.seconds:>8.1f} "
                f"{r.alerts_per_s:>9.0f} {r.rows_per_s:>8.0f} {r.incidents:>9}  {cores:<16} {r.note}"
            )
    if storms:
        print(
            "\nStorm: eventguard serve --no-worker --journal (accepting and processing), "
            "wrk am10 at 32 connections"
        )
        print("(backlog = alerts pending when wrk ended; drain = seconds from then until none pending;")
        print(" cores during the storm = server/wrk/postgres/other, during the drain = server/postgres)")
        print(
            f"{'backend':<11} {'seconds':>7} {'accept/s':>9} {'p99 ms':>8} {'accepted':>9} {'backlog':>9} "
            f"{'drain s':>8} {'overall/s':>9}  {'cores':<20} {'drain cores':<12} note"
        )
        for r in storms:
            c, d = r.cpu_cores, r.drain_cpu_cores
            cores = f"{c['server']:.2f}/{c['wrk']:.2f}/{c['postgres']:.2f}/{c['other']:.2f}"
            cores += "*" if r.disturbed else ""
            print(
                f"{r.backend:<11} {r.storm_s:>7.0f} {r.alerts_per_s:>9.0f} {r.p99_ms:>8.1f} "
                f"{r.accepted_alerts:>9} {r.backlog_alerts:>9} {_fmt(r.drain_s, '.1f'):>8} "
                f"{_fmt(r.processed_alerts_per_s):>9}  {cores:<20} "
                f"{d.get('server', 0):.2f}/{d.get('postgres', 0):.2f}{'':<3} {r.note}"
            )


PROCESS_GOAL = 10_000.0  # alerts/s drained, SQLite
RATIO_GOALS = {"am10": 1.0, "am1": 0.5}  # accept, EventGuard / Alertmanager (best of the connections)


def goals(
    rows: Sequence[dict[str, Any]], processed: Sequence[ProcessRun], storms: Sequence[StormRun]
) -> list[dict[str, Any]]:
    """Each target of the design, with the figure measured and whether it is met."""
    verdicts: list[dict[str, Any]] = []
    for row in rows:
        goal = RATIO_GOALS.get(row["shape"])
        if goal is None or row["connections"] != "best":
            continue
        for key, cell in row["eventguard"].items():
            ratio = cell["ratio"]
            verdicts.append(
                {
                    "goal": f"accept {row['shape']} {key} >= {goal}x Alertmanager",
                    "value": ratio,
                    "met": ratio is not None and ratio >= goal,
                }
            )
    for r in processed:
        if r.backend == "sqlite":
            verdicts.append(
                {
                    "goal": f"process (SQLite) >= {PROCESS_GOAL:,.0f} alerts/s",
                    "value": r.alerts_per_s,
                    "met": r.alerts_per_s >= PROCESS_GOAL and not r.note,
                }
            )
    for s in storms:
        verdicts.append(
            {
                "goal": f"storm ({s.backend}) backlog of a {s.storm_s:.0f} s storm drained within "
                f"{s.storm_s:.0f} s",
                "value": s.drain_s,
                "met": s.drain_s is not None and s.drain_s <= s.storm_s and s.non_2xx == 0,
            }
        )
    return verdicts


def print_goals(verdicts: Sequence[dict[str, Any]]) -> None:
    if not verdicts:
        return
    print("\nGoals")
    for v in verdicts:
        value = v["value"]
        shown = "err" if value is None else (f"{value:.3f}" if value < 100 else f"{value:,.0f}")
        print(f"  {'met    ' if v['met'] else 'NOT MET'}  {v['goal']}: {shown}")


def _versions(tools: dict[str, str]) -> dict[str, str]:
    versions = {
        "alertmanager": tool_version([tools["prometheus-alertmanager"], "--version"]),
        "wrk": tool_version([tools["wrk"], "-v"]),
        "sqlite": sqlite3.sqlite_version,
        "eventguard_commit": tool_version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
    }
    for package in ("uvicorn", "fastapi", "sqlalchemy", "psycopg"):
        versions[package] = metadata.version(package)
    return versions


def _postgres_version() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(PG_URL)
    query = (
        "SELECT name, setting FROM pg_settings"
        " WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method')"
    )
    try:
        with engine.connect() as conn:
            return ", ".join(f"{name}={setting}" for name, setting in conn.execute(text(query)))
    except OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {PG_URL} (set EVENTGUARD_BENCH_PG_URL, or leave out the eg-pg "
            f"targets with --targets): {str(exc).splitlines()[0]}"
        ) from exc
    finally:
        engine.dispose()


def parse_args(argv: Sequence[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench intake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="Seconds measured per run (default 10).")
    parser.add_argument(
        "--warmup", type=int, default=2, help="Seconds of warm-up before each run (default 2)."
    )
    parser.add_argument(
        "--connections", default="8,32", help="Comma-separated wrk connections (default 8,32)."
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2).")
    parser.add_argument(
        "--targets",
        default=",".join(DEFAULT_TARGETS),
        help=f"Subset of {','.join(TARGETS)} (default: all).",
    )
    parser.add_argument("--shapes", default=",".join(EVENTGUARD_SHAPES), help="Subset of am1,am10,pd1.")
    parser.add_argument(
        "--storm",
        type=int,
        default=60,
        help="Seconds of the storm against eventguard serve, per backend (default 60; 0: no storm).",
    )
    parser.add_argument(
        "--no-process", action="store_true", help="Do not time the drain of the accepted journal."
    )
    args = parser.parse_args(argv)
    targets = tuple(t for t in args.targets.split(",") if t)
    shapes = tuple(s for s in args.shapes.split(",") if s)
    unknown = [t for t in targets if t not in TARGETS] + [s for s in shapes if s not in EVENTGUARD_SHAPES]
    if unknown:
        parser.error(f"unknown target or shape: {', '.join(unknown)}")
    if "alertmanager" not in targets:
        parser.error("the reference (alertmanager) is always measured: the ratio needs it")
    connections = tuple(int(c) for c in args.connections.split(","))
    return Settings(
        args.duration,
        args.warmup,
        connections,
        args.threads,
        targets,
        shapes,
        storm_s=args.storm,
        process=not args.no_process,
    )


def main(argv: Sequence[str]) -> int:
    settings = parse_args(argv)
    try:
        tools = require_tools(TOOLS)
        needs_pg = any(TARGETS[t].backend == "postgresql" for t in settings.targets)
        info = {"machine": machine(), "versions": _versions(tools)}
        if needs_pg:
            info["versions"]["postgresql"] = _postgres_version()
    except BenchError as exc:
        print(f"bench intake: {exc}", file=sys.stderr)
        return 2
    m = info["machine"]
    print(
        f"intake benchmark on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB): "
        f"{settings.duration_s} s per run after {settings.warmup_s} s of warm-up, "
        f"connections {settings.connections}, {settings.threads} wrk threads; "
        f"process: {'yes' if settings.process else 'no'}; storm: {settings.storm_s} s"
    )
    started = time.monotonic()
    measurements: list[Measurement] = []
    processed: list[ProcessRun] = []
    storms: list[StormRun] = []
    patience = Patience(SPARE_S, NOISE_CORES)
    backends = list(dict.fromkeys(b for t in settings.targets if (b := TARGETS[t].backend) is not None))
    try:
        with tempfile.TemporaryDirectory(prefix="eventguard-bench-") as tmp:
            for key in settings.targets:
                target = TARGETS[key]
                print(f"{target.title}:", flush=True)
                if target.backend is None:
                    measurements += bench_alertmanager(target, settings, tools, Path(tmp), patience)
                    continue
                runs, drained = bench_eventguard(target, settings, tools, Path(tmp), patience)
                measurements += runs
                processed += [drained] if drained is not None else []
            if settings.storm_s > 0:
                for backend in backends:
                    storms.append(bench_storm(backend, settings, tools, Path(tmp), patience))
    except BenchError as exc:
        print(f"bench intake: {exc}", file=sys.stderr)
        return 2
    rows = comparison(measurements)
    print_tables(measurements, rows)
    print_pipeline(processed, storms)
    verdicts = goals(rows, processed, storms)
    print_goals(verdicts)
    path = write_results(
        "intake",
        {
            **info,
            "command": " ".join(["python -m bench intake", *argv]),
            "settings": asdict(settings),
            "noise": {
                "quiet_cores": NOISE_CORES,
                "spare_s": SPARE_S,
                "spare_left_s": round(patience.spare_s),
            },
            "elapsed_s": round(time.monotonic() - started),
            "runs": [asdict(m) for m in measurements],
            "comparison": rows,
            "process": [asdict(r) for r in processed],
            "storm": [asdict(r) for r in storms],
            "goals": verdicts,
        },
    )
    print(f"\nwritten {path.relative_to(ROOT)} ({time.monotonic() - started:.0f} s)")
    return 0
