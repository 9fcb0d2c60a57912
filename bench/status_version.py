"""What the status page's per-request change-version check costs (issue 12).

Every document answered from memory first reads the event's ``status_pages.version`` (one
primary-key row over the page cache's own connection). This measures, in one run and one process,
``StatusPageCache.peek`` of a fresh document — the work of a request answered from memory, without
the socket — with that read (as shipped), next to the reference: the same cache whose version read
is replaced by a constant (the cache before the check). On SQLite (a file in WAL mode) and, when it
answers, PostgreSQL (``EVENTGUARD_BENCH_PG_URL``, default the test server, in a fresh schema).

    .venv/bin/python -m bench status_version [--requests 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import ROOT, machine, write_results

PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
SLUG = "cloud-summit-2026"
PG_URL = os.environ.get("EVENTGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class _Constant:
    """The reference: a version probe that never asks the database."""

    def __init__(self, version: int) -> None:
        self.version, self.reads = version, 0

    def read(self, event_id: int) -> int:
        return self.version

    def close(self) -> None:
        return None


def _prepare(url: str) -> Any:
    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.comms.statuspage.cache import StatusPageCache
    from eventguard.db import Database, migrate
    from eventguard.plans import service as plans

    migrate.upgrade(url)
    database = Database(url)
    with database.session(write=True) as db:
        plans.apply_plan(
            db=db,
            source=PLAN.read_text(encoding="utf-8"),
            filename=str(PLAN),
            actor=Actor.cli("bench"),
            clock=SystemClock(),
        )
        db.commit()
    cache = StatusPageCache(
        database=database, clock=SystemClock(), base_url="http://127.0.0.1", recheck_seconds=3600
    )
    cache.document(SLUG, "html", "zh-CN")
    return database, cache


def _per_peek_us(cache: Any, requests: int) -> float:
    """Median over 5 rounds of the microseconds one peek of the fresh page takes."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(requests):
            if cache.peek(SLUG, "html", "zh-CN") is None:
                raise RuntimeError("the page was not fresh in memory")
        rounds.append((time.perf_counter() - started) / requests * 1e6)
    return statistics.median(rounds)


def _measure(name: str, url: str, requests: int) -> dict[str, Any]:
    database, cache = _prepare(url)
    try:
        checked = _per_peek_us(cache, requests)
        probe = cache.versions
        entry_version = probe.read(next(iter(cache._entries.values())).event_id)
        cache.versions = _Constant(entry_version)
        reference = _per_peek_us(cache, requests)
        cache.versions = probe
        probe.close()
    finally:
        database.dispose()
    return {
        "database": name,
        "requests_per_round": requests,
        "peek_with_version_check_us": round(checked, 2),
        "peek_reference_us": round(reference, 2),
        "added_us": round(checked - reference, 2),
        "ceiling_requests_per_s_one_core": round(1e6 / checked),
        "ceiling_reference_requests_per_s_one_core": round(1e6 / reference),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench status_version", description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"machine": machine(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        results["runs"].append(_measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.requests))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no PostgreSQL here: SQLite alone
        results["postgresql"] = f"skipped: {exc.__class__.__name__}"
    else:
        sep = "&" if "?" in PG_URL else "?"
        try:
            url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
            results["runs"].append(_measure("postgresql", url, max(2000, args.requests // 4)))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    for run in results["runs"]:
        print(
            f"{run['database']:<10} peek with version check {run['peek_with_version_check_us']:>8} µs"
            f"  reference {run['peek_reference_us']:>6} µs  added {run['added_us']:>8} µs"
        )
    print(f"results: {write_results('status_version', results)}")
    return 0
