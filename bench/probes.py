"""Probe scale (issue 13): one worker's probe scheduler running 2,000 HTTP probes at a 10 s interval
against a local HTTP server, for at least 60 s.

One run, three parts, in this process (the target server is a subprocess of its own, so its CPU is
not counted):

1. **Scheduling only**: the real scheduler (plan read from a real SQLite database, results written in
   batches to it, heap, offsets, reloads every 5 s) with the check replaced by one that answers at
   once: the CPU this process spends is the scheduling itself (timers, tasks, result writes).
2. **HTTP**: the same scheduler with the real HTTP check (httpx, the shared pool of the worker)
   against the local server: schedule drift p50/p99 (how late each check started after it was due),
   probes/s, failed checks, and the CPU of this process (scheduling plus the HTTP client).
3. **Ceiling**: the same HTTP client (``Clients.make()``) requesting the same server as fast as it
   can, with 1, 10 and 100 requests in flight (4 s each): the best rate is what the client alone can
   do on this machine. (httpx's pool slows down sharply with many requests in flight,
   https://github.com/encode/httpx/issues/3215, hence several levels.)

    .venv/bin/python -m bench probes [--probes 2000] [--interval 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.common import LOOPBACK, ROOT, free_port, machine, machine_busy_cores, write_results

PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n"
    b"Connection: keep-alive\r\n\r\n"
    b'{"status":"ok"}'
)


async def _serve(port: int) -> None:
    """A minimal keep-alive HTTP/1.1 server answering every GET with a small JSON body."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                writer.write(_RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, LOOPBACK, port, backlog=4096)
    async with server:
        await server.serve_forever()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _plan_source(probes: int, interval: int, url: str) -> str:
    document = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    document.pop("drills", None)  # its steps name the example probes, replaced here
    document["monitoring"] = [
        {
            "id": f"http-{n:05d}",
            "kind": "http",
            "target": f"{url}/health/{n}",
            "interval": f"{interval}s",
            "timeout": "5s",
            "keyword": '"status":"ok"',
            "labels": {"alertname": "BenchProbeFailed"},
        }
        for n in range(probes)
    ]
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _run_scheduler(database: Any, seconds: float, check: Any | None) -> dict[str, Any]:
    from eventguard.clock import SystemClock
    from eventguard.probes.scheduler import ProbeScheduler

    options: dict[str, Any] = {} if check is None else {"check": check}
    scheduler = ProbeScheduler(database=database, clock=SystemClock(), **options)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,), name="probe-scheduler")
    wall, cpu = time.monotonic(), _cpu_s()
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=60)
    wall, cpu = time.monotonic() - wall, _cpu_s() - cpu
    drift = list(scheduler.stats.drift)
    return {
        "seconds": round(wall, 1),
        "checks_started": scheduler.stats.started,
        "results_written": scheduler.stats.written,
        "probes_per_s": round(scheduler.stats.written / wall, 1),
        "skipped_turns": scheduler.stats.skipped,
        "queued_turns": scheduler.stats.queued,
        "alerts": scheduler.stats.alerts,
        "drift_p50_ms": round(_percentile(drift, 0.5) * 1000, 1),
        "drift_p99_ms": round(_percentile(drift, 0.99) * 1000, 1),
        "drift_max_ms": round(max(drift, default=0.0) * 1000, 1),
        "cpu_s": round(cpu, 2),
        "cpu_percent_of_one_core": round(cpu / wall * 100, 1),
    }


def _failed_checks(database: Any) -> int:
    from sqlalchemy import func, select

    from eventguard.probes.models import ProbeResult

    with database.session() as db:
        return int(db.scalar(select(func.count()).where(ProbeResult.ok.is_(False))) or 0)


async def _ceiling(url: str, seconds: float, in_flight: int = 100) -> dict[str, Any]:
    from eventguard.probes.checks import Clients

    clients = Clients.make()
    done = errors = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(n: int) -> None:
        nonlocal done, errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                answer = await clients.verified.get(f"{url}/health/{n}", timeout=5)
                answer.raise_for_status()
                done += 1
                latencies.append(time.perf_counter() - started)
            except httpx.HTTPError:
                errors += 1

    wall, cpu = time.monotonic(), _cpu_s()
    await asyncio.gather(*(worker(n) for n in range(in_flight)))
    wall, cpu = time.monotonic() - wall, _cpu_s() - cpu
    await clients.aclose()
    return {
        "seconds": round(wall, 1),
        "in_flight": in_flight,
        "requests": done,
        "errors": errors,
        "requests_per_s": round(done / wall, 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "cpu_percent_of_one_core": round(cpu / wall * 100, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench probes", description=__doc__)
    parser.add_argument("--probes", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--ceiling-seconds", type=float, default=4.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the target server subprocess
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.serve))
        return 0

    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.db import Database, migrate
    from eventguard.plans import service as plans

    results: dict[str, Any] = {"machine": machine(), "probes": args.probes, "interval_s": args.interval}
    results["machine_busy_cores_before"] = round(machine_busy_cores(2.0), 2)
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bench", "probes", "--serve", str(port)], cwd=ROOT, env=dict(os.environ)
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/ready", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            migrate.upgrade(db_url)
            database = Database(db_url)
            started = time.monotonic()
            with database.session(write=True) as db:
                plans.apply_plan(
                    db=db,
                    source=_plan_source(args.probes, args.interval, url),
                    filename="bench-plan.yaml",
                    actor=Actor.cli("bench"),
                    clock=SystemClock(),
                )
                db.commit()
            results["plan_apply_s"] = round(time.monotonic() - started, 1)

            from eventguard.probes.checks import Outcome

            async def instant(*_args: Any, **_kwargs: Any) -> Outcome:
                return Outcome(True, 0.1, "ok")

            print(f"scheduling only: {args.probes} probes for {args.seconds:.0f} s …", flush=True)
            results["scheduling_only"] = _run_scheduler(database, args.seconds, instant)
            print(f"HTTP: {args.probes} probes, every {args.interval} s, {args.seconds:.0f} s …", flush=True)
            busy_before = machine_busy_cores(1.0)
            results["http"] = _run_scheduler(database, args.seconds, None)
            results["http"]["failed_checks_in_store"] = _failed_checks(database)
            results["machine_busy_cores_between"] = round(busy_before, 2)
            database.dispose()
        print(f"ceiling: the same client, 1/10/100 in flight, {args.ceiling_seconds:.0f} s …", flush=True)
        levels = [asyncio.run(_ceiling(url, args.ceiling_seconds, n)) for n in (1, 10, 100)]
        results["ceiling_levels"] = levels
        results["ceiling"] = max(levels, key=lambda level: float(level["requests_per_s"]))
    finally:
        server.terminate()
        server.wait(timeout=10)
    results["machine_busy_cores_after"] = round(machine_busy_cores(2.0), 2)
    sched, http, ceiling = results["scheduling_only"], results["http"], results["ceiling"]
    print(
        f"scheduling only: {sched['probes_per_s']} probes/s, CPU {sched['cpu_percent_of_one_core']} %,"
        f" drift p50 {sched['drift_p50_ms']} ms p99 {sched['drift_p99_ms']} ms\n"
        f"HTTP:            {http['probes_per_s']} probes/s, CPU {http['cpu_percent_of_one_core']} %,"
        f" drift p50 {http['drift_p50_ms']} ms p99 {http['drift_p99_ms']} ms max {http['drift_max_ms']} ms,"
        f" skipped {http['skipped_turns']}, failed {http['failed_checks_in_store']}\n"
        f"ceiling:         {ceiling['requests_per_s']} requests/s (same client, same server,"
        f" {ceiling['in_flight']} in flight; by level:"
        f" {', '.join(str(level['requests_per_s']) for level in results['ceiling_levels'])})\n"
        f"machine busy cores before/between/after: {results['machine_busy_cores_before']}"
        f" / {results['machine_busy_cores_between']} / {results['machine_busy_cores_after']}"
    )
    print(f"results: {write_results('probes', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
