"""Soak: intake and notifications at a fixed rate for a long time, against real `eventguard serve
--no-worker` and `eventguard worker` subprocesses on a SQLite file, sampling every ``--sample``
seconds the resident memory (RSS) of each process and the intake latency seen by the sender.

The load: ``--rate`` alerts per second (one Alertmanager alert per request, paced on a fixed
schedule by a few sender threads), ``--new-groups`` of them per second with a new alert name (so
a new incident, whose first notification the worker sends to a webhook receiver in this process),
the rest firing again in groups already open (deduplicated into their incident). Before and after
the load the processes idle for ``--idle`` seconds: those samples are the idle RSS.

It prints and writes (``bench/results/soak-<date>.json`` and ``.md``) one row per sample — time,
RSS api, RSS worker, intake p50/p99, alerts accepted, notifications received — and a verdict: a
least-squares line through each process's RSS under load (after the first fifth, the warm-up),
its slope in MB per minute and the growth it projects over the run, "flat" when that is under
max(10 MB, 5 %); p99 "stable" when the last third's median p99 is under twice the first third's.

    .venv/bin/python -m bench soak [--duration 600] [--rate 50] [--sample 10] [--idle 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench.common import LOOPBACK, RESULTS_DIR, Server, free_port, machine, write_results

SLUG = "soak-2026"
GOAL_IDLE_MB = 150.0
GOAL_LOAD_MB = 250.0


def plan(receiver: str) -> str:
    """One event in its live phase, one on-call person paged through a webhook channel pointed at
    ``receiver``; every alert name is its own incident (level 3, no escalation, no auto-resolve)."""
    levels = "".join(
        f"""  - level: {number}
    name: {{zh-CN: {number} 级响应, en: Level {number}}}
    description: {{zh-CN: 长稳测试, en: Soak test}}
    notify_within: 5m
    notify:
      - {{team: ops, role: lead}}
    public_announcement: none
    pause_activity: false
    auto_resolve: false
"""
        for number in (1, 2, 3)
    )
    return f"""format_version: 1
event:
  slug: {SLUG}
  name: {{zh-CN: 长稳测试活动, en: Soak test event}}
  timezone: UTC
  owner: ann
  default_level: 3
  group_by: [alertname]
  phases:
    - name: live
      start: 2026-01-01T00:00:00Z
      end: 2030-12-31T00:00:00Z
people:
  - id: ann
    name: Ann On-call
    phone: "+86 138-0000-0100"
    language: en
channels:
  - id: pager
    type: webhook
    name: {{zh-CN: 寻呼网关, en: Pager gateway}}
    owner: ann
    target: {receiver}/page
teams:
  - id: ops
    kind: ops
    name: {{zh-CN: 运维, en: Operations}}
    lead: ann
    members: [ann]
    channels: [pager]
levels:
{levels}"""


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 and counts each ``webhook-id`` once."""

    def __init__(self) -> None:
        self.port = free_port()
        self.seen: set[str] = set()
        self.requests = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.requests += 1
                    receiver.seen.add(self.headers.get("webhook-id") or f"no-id-{receiver.requests}")
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def notified(self) -> int:
        with self._lock:
            return len(self.seen)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def prepare(url: str, receiver: Receiver) -> str:
    """Migrate, apply the soak plan and make an Alertmanager integration; its intake token."""
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
                db=db, source=plan(receiver.url), filename="soak.yaml", actor=actor, clock=clock
            )
            event = events.get(db=db, event_id=version.event_id)
            _integration, token = integrations.create(
                db=db, event=event, name="soak", kind="alertmanager", actor=actor, clock=clock
            )
            db.commit()
    finally:
        database.dispose()
    return token


def rss_mb(pid: int | None) -> float:
    """Resident memory of the process and its descendants (its process group), in MB."""
    if pid is None:
        return 0.0
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
            pgid = int(stat.rsplit(")", 1)[1].split()[2])
            if pgid != pid:
                continue
            for line in (entry / "status").read_text(encoding="ascii").splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return round(total_kb / 1024, 1)


def _alert(name: str, instance: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": name, "instance": instance, "severity": "warning", "event": SLUG},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": "2026-06-16T04:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.test/graph",
        "fingerprint": hashlib.sha256(f"{name}/{instance}".encode()).hexdigest()[:16],
    }


def _payload(alert: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": f"{{}}:{{alertname={alert['labels']['alertname']!r}}}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "eventguard",
        "groupLabels": {"alertname": alert["labels"]["alertname"]},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.test",
        "alerts": [alert],
    }


@dataclass
class Load:
    """Sender threads posting alert ``n`` at ``start + n / rate``; latencies by completion time."""

    base: str
    token: str
    rate: float
    new_groups: float
    threads: int = 4
    accepted: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (finished at, seconds)
    behind_s: float = 0.0  # how far the senders fell behind their schedule at worst
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    started: float = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(60)

    def _name(self, n: int) -> tuple[str, str]:
        per_group = max(1, round(self.rate / self.new_groups)) if self.new_groups > 0 else 0
        group = n // per_group if per_group else 0
        return f"Soak{group:06d}", f"host-{n % 97}"

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as client:
            while not self._stop.is_set():
                with self._lock:
                    n, self._next = self._next, self._next + 1
                due = self.started + n / self.rate
                ahead = due - time.monotonic()
                if ahead > 0:
                    if self._stop.wait(ahead):
                        return
                else:
                    with self._lock:
                        self.behind_s = max(self.behind_s, -ahead)
                name, instance = self._name(n)
                sent = time.monotonic()
                try:
                    answer = client.post(
                        "/api/v1/integrations/alertmanager", json=_payload(_alert(name, instance))
                    )
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.refused += 1
                        self.errors.append(repr(exc)[:200])
                    continue
                done = time.monotonic()
                with self._lock:
                    self.latencies.append((done, done - sent))
                    if answer.status_code == 200:
                        self.accepted += 1
                    else:
                        self.refused += 1
                        self.errors.append(f"{answer.status_code} {answer.text[:200]}")

    def window(self, since: float) -> list[float]:
        with self._lock:
            return [seconds for at, seconds in self.latencies if at >= since]


def percentile(values: Sequence[float], share: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Sample:
    t_s: float
    phase: str  # idle-before, load, idle-after
    rss_api_mb: float
    rss_worker_mb: float
    p50_ms: float | None
    p99_ms: float | None
    accepted: int
    notified: int


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def trend(samples: Sequence[Sample], key: str, duration_s: float) -> dict[str, Any]:
    """Least-squares line through the load samples after the first fifth (warm-up)."""
    load = [s for s in samples if s.phase == "load"]
    kept = load[len(load) // 5 :]
    if len(kept) < 3:
        return {"verdict": "too few samples", "samples": len(kept)}
    xs = [s.t_s for s in kept]
    ys = [float(getattr(s, key)) for s in kept]
    slope, _intercept = statistics.linear_regression(xs, ys)
    growth = slope * duration_s
    mean = statistics.fmean(ys)
    limit = max(10.0, 0.05 * mean)
    return {
        "slope_mb_per_min": round(slope * 60, 3),
        "projected_growth_mb": round(growth, 1),
        "limit_mb": round(limit, 1),
        "first_mb": ys[0],
        "last_mb": ys[-1],
        "max_mb": max(ys),
        "verdict": "flat" if growth < limit else "growing",
    }


def p99_stability(samples: Sequence[Sample]) -> dict[str, Any]:
    p99s = [s.p99_ms for s in samples if s.phase == "load" and s.p99_ms is not None]
    if len(p99s) < 3:
        return {"verdict": "too few samples"}
    third = max(1, len(p99s) // 3)
    first, last = statistics.median(p99s[:third]), statistics.median(p99s[-third:])
    return {
        "first_third_median_p99_ms": first,
        "last_third_median_p99_ms": last,
        "max_p99_ms": max(p99s),
        "verdict": "stable" if last < 2 * first else "rising",
    }


HEADER = "| t (s) | phase | RSS api (MB) | RSS worker (MB) | p50 (ms) | p99 (ms) | accepted | notified |"


def row(s: Sample) -> str:
    def text(value: float | None) -> str:
        return "–" if value is None else f"{value:g}"

    return (
        f"| {s.t_s:.0f} | {s.phase} | {s.rss_api_mb:.1f} | {s.rss_worker_mb:.1f} | {text(s.p50_ms)} "
        f"| {text(s.p99_ms)} | {s.accepted} | {s.notified} |"
    )


def run(
    duration: float, rate: float, new_groups: float, every: float, idle: float, tmp: Path
) -> dict[str, Any]:
    receiver = Receiver()
    url = f"sqlite:///{tmp / 'soak.db'}"
    token = prepare(url, receiver)
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": url,
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp / "none.toml"),
        "EVENTGUARD_PORT": str(port),
        "EVENTGUARD_BASE_URL": "http://eventguard.test",
    }
    eg = [sys.executable, "-m", "eventguard.cli.main"]
    api = Server(
        "api", [*eg, "serve", "--no-worker"], ready_url=f"{base}/readyz", env=env, log_path=tmp / "api.log"
    )
    worker = Server(
        "worker", [*eg, "worker"], ready_url=f"{base}/readyz", env=env, log_path=tmp / "worker.log"
    )
    samples: list[Sample] = []
    load = Load(base, token, rate, new_groups)
    began = time.monotonic()

    def sample(phase: str, since: float) -> None:
        window = load.window(since)
        taken = Sample(
            t_s=round(time.monotonic() - began, 1),
            phase=phase,
            rss_api_mb=rss_mb(api.pid),
            rss_worker_mb=rss_mb(worker.pid),
            p50_ms=_ms(percentile(window, 0.5)),
            p99_ms=_ms(percentile(window, 0.99)),
            accepted=load.accepted,
            notified=receiver.notified,
        )
        samples.append(taken)
        print(row(taken), flush=True)

    def phase(name: str, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            since = time.monotonic()
            remaining = end - since
            if remaining <= 0:
                return
            time.sleep(min(every, remaining))
            sample(name, since)

    print(HEADER, flush=True)
    print("|---|---|---|---|---|---|---|---|", flush=True)
    try:
        with api, worker:
            phase("idle-before", idle)
            load.start()
            phase("load", duration)
            load.stop()
            drain_deadline = time.monotonic() + 120
            expected = load.accepted // max(1, round(rate / new_groups)) if new_groups > 0 else 0
            while time.monotonic() < drain_deadline and receiver.notified < expected:
                time.sleep(0.5)
            phase("idle-after", idle)
    finally:
        receiver.stop()
    load_samples = [s for s in samples if s.phase == "load"]
    all_latencies = [seconds for _at, seconds in load.latencies]
    idle_before = [s for s in samples if s.phase == "idle-before"]
    idle_after = [s for s in samples if s.phase == "idle-after"]
    return {
        "settings": {
            "duration_s": duration,
            "rate_alerts_per_s": rate,
            "new_groups_per_s": new_groups,
            "sample_s": every,
            "idle_s": idle,
            "database": "sqlite",
        },
        "samples": [asdict(s) for s in samples],
        "totals": {
            "accepted": load.accepted,
            "refused": load.refused,
            "errors": load.errors[:10],
            "achieved_rate_per_s": round(load.accepted / duration, 1),
            "senders_behind_schedule_max_s": round(load.behind_s, 2),
            "notified": receiver.notified,
            "receiver_requests": receiver.requests,
            "intake_p50_ms": _ms(percentile(all_latencies, 0.5)),
            "intake_p99_ms": _ms(percentile(all_latencies, 0.99)),
        },
        "rss": {
            "idle_before_api_mb": idle_before[-1].rss_api_mb if idle_before else None,
            "idle_before_worker_mb": idle_before[-1].rss_worker_mb if idle_before else None,
            "load_max_api_mb": max((s.rss_api_mb for s in load_samples), default=None),
            "load_max_worker_mb": max((s.rss_worker_mb for s in load_samples), default=None),
            "idle_after_api_mb": idle_after[-1].rss_api_mb if idle_after else None,
            "idle_after_worker_mb": idle_after[-1].rss_worker_mb if idle_after else None,
        },
        "trend": {
            "api": trend(samples, "rss_api_mb", duration),
            "worker": trend(samples, "rss_worker_mb", duration),
            "p99": p99_stability(samples),
        },
    }


def goals(result: dict[str, Any]) -> dict[str, bool]:
    rss, trends = result["rss"], result["trend"]
    idle = [v for k, v in rss.items() if k.startswith("idle") and v is not None]
    loaded = [v for k, v in rss.items() if k.startswith("load") and v is not None]
    return {
        f"idle RSS < {GOAL_IDLE_MB:.0f} MB (each process)": bool(idle) and max(idle) < GOAL_IDLE_MB,
        f"RSS under load < {GOAL_LOAD_MB:.0f} MB (each process)": bool(loaded) and max(loaded) < GOAL_LOAD_MB,
        "no RSS growth trend": trends["api"].get("verdict") == "flat"
        and trends["worker"].get("verdict") == "flat",
        "p99 stable": trends["p99"].get("verdict") == "stable",
        "every accepted alert answered 200": result["totals"]["refused"] == 0,
    }


def markdown(info: dict[str, Any], result: dict[str, Any], verdicts: dict[str, bool]) -> str:
    lines = [
        f"Soak on {info['date']} ({info['time_utc']}), {info['cpu']}, {info['cores']} cores, "
        f"{info['os']}, Python {info['python']}, "
        f"load average at start {' '.join(info['load_average_at_start'])}.",
        "",
        f"Settings: {json.dumps(result['settings'])}",
        "",
        HEADER,
        "|---|---|---|---|---|---|---|---|",
        *(row(Sample(**s)) for s in result["samples"]),
        "",
        f"Totals: {json.dumps(result['totals'], ensure_ascii=False)}",
        "",
        f"RSS: {json.dumps(result['rss'])}",
        "",
        f"Trend: {json.dumps(result['trend'])}",
        "",
        *(f"- {'met' if ok else 'NOT met'}: {goal}" for goal, ok in verdicts.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="Seconds of load (default 600).")
    parser.add_argument("--rate", type=float, default=50.0, help="Alerts per second (default 50).")
    parser.add_argument("--new-groups", type=float, default=1.0, help="New incidents per second (default 1).")
    parser.add_argument("--sample", type=float, default=10.0, help="Seconds between samples (default 10).")
    parser.add_argument("--idle", type=float, default=30.0, help="Idle seconds before and after the load.")
    args = parser.parse_args(argv)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="eg-bench-soak-") as tmp:
        result = run(args.duration, args.rate, args.new_groups, args.sample, args.idle, Path(tmp))
    verdicts = goals(result)
    print(f"totals: {json.dumps(result['totals'], ensure_ascii=False)}")
    print(f"rss: {json.dumps(result['rss'])}")
    print(f"trend: {json.dumps(result['trend'])}")
    for goal, ok in verdicts.items():
        print(f"  {'met' if ok else 'NOT met'}: {goal}")
    path = write_results("soak", {"machine": info, **result, "goals": verdicts})
    md = RESULTS_DIR / path.name.replace(".json", ".md")
    md.write_text(markdown(info, result, verdicts), encoding="utf-8")
    print(f"results: {path} and {md}")
    return 0 if all(verdicts.values()) else 1
