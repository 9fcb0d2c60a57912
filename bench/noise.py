"""Noise control's cost in journal processing: the same journal (``--alerts`` alerts, 50 per row, in 10
alert groups) drained by ``process_pending`` with the code before noise control (the reference, the
tree of ``--baseline``, exported with ``git archive``) and with this tree: no rules, 25 rules of which
none matches (20 silences, 5 maintenance windows), and one silence that holds every alert.

Each measurement is a fresh database (SQLite file, or a PostgreSQL schema at EVENTGUARD_BENCH_PG_URL)
prepared and drained in a child process that imports the tree under test; only the drain is timed.

    .venv/bin/python -m bench noise [--alerts 20000] [--repeat 2] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import BenchError
from bench.intake import PLAN, fresh_database

ROOT = Path(__file__).resolve().parents[1]
PER_ROW = 50
GROUPS = 10
WINDOWS_BLOCK = "\n# Planned work: matching alerts"
CONFIGS = ("reference", "none", "25 rules, none match", "1 silence holds all")


def _baseline_rev() -> str:
    """The commit before the one that added the noise package."""
    found = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "src/eventguard/noise/__init__.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not found:
        raise BenchError("no commit adds src/eventguard/noise; give --baseline")
    return f"{found[-1]}^"


def _export(rev: str, into: Path) -> Path:
    """The reference's ``src`` and its own example plan (a newer plan has keys it does not know)."""
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    plan = subprocess.run(
        ["git", "show", f"{rev}:examples/plans/online-conference.yaml"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    (into / "reference-plan.yaml").write_bytes(plan)
    return into / "src"


def _payload(row: int) -> bytes:
    alerts = []
    for n in range(PER_ROW):
        index = row * PER_ROW + n
        labels = {"alertname": f"BenchAlert{index % GROUPS}", "instance": f"node-{index}:9100", "env": "prod"}
        alerts.append(
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": f"bench alert {index}"},
                "startsAt": "2026-05-20T01:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com",
                "fingerprint": f"{index:016x}",
            }
        )
    body = {
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "eventguard",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com",
        "alerts": alerts,
    }
    return json.dumps(body).encode()


def child(url: str, config: str, alerts: int) -> dict[str, Any]:
    """Prepare ``url`` (plan, journal, rules of ``config``) and drain it; returns the figures."""
    from sqlalchemy import insert

    from eventguard.alerts import integrations
    from eventguard.alerts.journal.models import journal_table
    from eventguard.alerts.journal.process import process_pending
    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.db import Database, migrate
    from eventguard.events import service as events
    from eventguard.logs import configure
    from eventguard.plans import service as plans

    configure("WARNING", False)
    migrate.upgrade(url)
    database, clock = Database(url), SystemClock()
    source = PLAN.read_text(encoding="utf-8")
    if config == "reference":  # the reference reads the example plan of its own revision
        source = Path(os.environ["EVENTGUARD_BENCH_REFERENCE_PLAN"]).read_text(encoding="utf-8")
        if WINDOWS_BLOCK in source:
            source = source[: source.index(WINDOWS_BLOCK)]
    try:
        with database.session(write=True) as db:
            version = plans.apply_plan(
                db=db, source=source, filename=str(PLAN), actor=Actor.cli("bench"), clock=clock
            )
            integration, _token = integrations.create(
                db=db,
                event=events.get(db=db, event_id=version.event_id),
                name="bench",
                kind="alertmanager",
                actor=Actor.cli("bench"),
                clock=clock,
            )
            now = clock.now()
            rows = [
                {
                    "event_id": integration.event_id,
                    "integration_id": integration.id,
                    "kind": "alertmanager",
                    "received_at": now,
                    "body": _payload(r),
                    "alert_count": PER_ROW,
                    "state": "pending",
                    "attempts": 0,
                }
                for r in range(alerts // PER_ROW)
            ]
            db.execute(insert(journal_table), rows)
            if config != "reference" and config != "none":
                _rules(db, integration.event_id, config, now)
            db.commit()
        started = time.perf_counter()
        report = process_pending(database=database, clock=clock)
        seconds = time.perf_counter() - started
    finally:
        database.dispose()
    return {"alerts": report.alerts, "incidents": len(report.incident_ids), "seconds": seconds}


def _rules(db: Any, event_id: int, config: str, now: datetime) -> None:
    from eventguard.audit.service import Actor
    from eventguard.clock import FrozenClock
    from eventguard.noise import service as noise

    actor, clock = Actor.cli("bench"), FrozenClock(now)
    end = now + timedelta(hours=2)
    if config == "1 silence holds all":
        matchers = [{"name": "alertname", "op": "=~", "value": "BenchAlert.*"}]
        noise.create_silence(
            db=db,
            event_id=event_id,
            matchers=matchers,
            starts_at=None,
            ends_at=end,
            comment="bench",
            actor=actor,
            source="cli",
            clock=clock,
        )
        return
    for n in range(20):
        matchers = [
            {"name": "alertname", "op": "=", "value": f"Other{n}"},
            {"name": "instance", "op": "=~", "value": f"edge-{n}.*"},
        ]
        noise.create_silence(
            db=db,
            event_id=event_id,
            matchers=matchers,
            starts_at=None,
            ends_at=end,
            comment="bench",
            actor=actor,
            source="cli",
            clock=clock,
        )
    for n in range(5):
        noise.create_window(
            db=db,
            event_id=event_id,
            timezone="Asia/Shanghai",
            name=f"window {n}",
            matchers=[{"name": "component", "op": "=", "value": f"c{n}"}],
            starts_at=now - timedelta(minutes=5),
            duration=timedelta(hours=1),
            repeat="daily",
            until=None,
            actor=actor,
            clock=clock,
        )


def _run(src: Path, url: str, config: str, alerts: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{src}{os.pathsep}{ROOT}",
        "EVENTGUARD_BENCH_REFERENCE_PLAN": str(src.parent / "reference-plan.yaml"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.noise", "--child", url, config, str(alerts)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError(f"bench.noise child failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(child(argv[1], argv[2], int(argv[3]))))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench noise", description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--baseline", default=None, help="git revision of the reference (default: before noise)"
    )
    options = parser.parse_args(argv)
    print(
        f"# {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{options.alerts} alerts in {options.alerts // PER_ROW} journal rows, best of {options.repeat}"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base_src = _export(options.baseline or _baseline_rev(), tmp)
        for backend in options.backends.split(","):
            best: dict[str, dict[str, Any]] = {}
            # Round-robin over the configurations, so that a change in the machine's load (other work
            # runs here) falls on all of them alike; the best of the rounds is kept for each.
            for _ in range(options.repeat):
                for config in CONFIGS:
                    src = base_src if config == "reference" else ROOT / "src"
                    with fresh_database(backend, tmp) as url:
                        figures = _run(src, url, config, options.alerts)
                    if config not in best or figures["seconds"] < best[config]["seconds"]:
                        best[config] = figures
            for config in CONFIGS:
                found = best[config]
                rate = found["alerts"] / found["seconds"]
                print(
                    f"  {backend:<10} {config:<22} {found['alerts']} alerts in {found['seconds']:.2f} s = "
                    f"{rate:,.0f} alerts/s ({found['incidents']} incidents)",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
