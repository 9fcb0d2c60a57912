"""Alert received -> first notification request arriving at a (local) WeCom robot: p50/p99 with the
worker idle, and during a storm of at least 10,000 alerts (one outage, batches of 10, four senders
back to back) that lasts until the last probe is sent.

Production shape: `eventguard serve --no-worker` for the API and one `eventguard worker` process,
on a SQLite file (the embedded default) or PostgreSQL. Intake only *accepts* into the journal (its
answer is `{"status": "accepted", ...}`, no incidents): the alert becomes an incident when a journal
processor takes it — the one in the API process, woken by the accept itself, or the worker's, which
looks every 50 ms — so the latency measured includes that hand-over. The example plan's robots
point at a receiver in this process; each probe alert opens its own level-3 incident, whose first
notification is a WeCom post mentioning the on-call tech lead. Probes are paced under the robot's
20 messages/minute so that the measurement is of EventGuard, not of the rate limiter (a minute's
pause between the idle and the storm phase lets the robot's window empty).

    .venv/bin/python -m bench notify [--backend sqlite|postgresql] [--probes 15] [--storm 10000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    LOOPBACK,
    ROOT,
    CpuSnapshot,
    Patience,
    Server,
    cpu_snapshot,
    free_port,
    machine,
    write_results,
)
from bench.intake import fresh_database

PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
VENDORS = {
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send": "/wecom",
    "https://oapi.dingtalk.com/robot/send": "/dingtalk",
    "https://open.feishu.cn/open-apis/bot/v2/hook": "/feishu",
    "https://hooks.slack.com/services": "/slack",
    "https://sms-gateway.example.com/v1/page": "/sms",
}
SECRETS = {
    "EG_WECOM_TECH_KEY": "k",
    "EG_DINGTALK_OPS_TOKEN": "t",
    "EG_DINGTALK_OPS_SIGN": "SECs",
    "EG_FEISHU_PR_HOOK_TOKEN": "h",
    "EG_FEISHU_PR_SIGN": "s",
    "EG_SLACK_WEBHOOK_PATH": "T/B/X",
    "EG_SMS_GATEWAY_TOKEN": "t",
    "EG_SMS_GATEWAY_HMAC": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
}
OK = {
    "/wecom": b'{"errcode":0,"errmsg":"ok"}',
    "/dingtalk": b'{"errcode":0,"errmsg":"ok"}',
    "/feishu": b'{"code":0,"msg":"success"}',
    "/slack": b"ok",
}


class Robots:
    """Imitation robots: answer like the vendors and note when each probe's first message arrived."""

    def __init__(self) -> None:
        self.first_seen: dict[str, float] = {}
        self.requests = 0
        self._lock = threading.Lock()
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.monotonic()
                robots.saw(body.decode("utf-8", errors="replace"), arrived)
                answer = OK.get("/" + self.path.split("/")[1], b"{}")
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def saw(self, body: str, arrived: float) -> None:
        with self._lock:
            self.requests += 1
            marker = body.find("probe-")
            if marker >= 0:
                probe = body[marker : marker + 12].split()[0].rstrip('\\",.*)')
                self.first_seen.setdefault(probe, arrived)

    def stop(self) -> None:
        self.server.shutdown()


def _alert(name: str, summary: str, instance: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": name, "instance": instance, "severity": "warning"},
        "annotations": {"summary": summary},
        "startsAt": "2026-06-16T04:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph",
        "fingerprint": "",
    }


def _payload(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    for alert in alerts:
        alert.pop("fingerprint", None)  # let EventGuard compute it from the labels
    return {
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "eg",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "alerts": alerts,
    }


def _prepare(url: str, robots: Robots) -> str:
    from eventguard.alerts import integrations
    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.db import Database, migrate
    from eventguard.events import service as events
    from eventguard.plans import service as plans

    source = PLAN.read_text(encoding="utf-8")
    for vendor, path in VENDORS.items():
        source = source.replace(vendor, robots.url + path)
    migrate.upgrade(url)
    database, clock, actor = Database(url), SystemClock(), Actor.cli("bench")
    try:
        with database.session(write=True) as db:
            version = plans.apply_plan(db=db, source=source, filename="bench.yaml", actor=actor, clock=clock)
            event = events.get(db=db, event_id=version.event_id)
            _integration, token = integrations.create(
                db=db, event=event, name="bench", kind="alertmanager", actor=actor, clock=clock
            )
            db.commit()
    finally:
        database.dispose()
    return token


def _probe(client: httpx.Client, base: str, token: str, n: int) -> float:
    sent = time.monotonic()
    alert = _alert(f"LatencyProbe{n}", f"probe-{n:05d} latency", "probe")
    response = client.post(
        f"{base}/api/v1/integrations/alertmanager",
        json=_payload([alert]),
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    if response.json().get("status") != "accepted":
        raise RuntimeError(f"probe {n} not accepted: {response.text[:300]}")
    return sent


def _storm(base: str, token: str, total: int, stop: threading.Event) -> tuple[int, int]:
    """Four senders post batches of 10 alerts of one outage, back to back, until at least ``total``
    alerts were sent and ``stop`` is set (the probes are done): the storm lasts the whole measurement.
    Returns the alerts accepted (200) and the requests answered otherwise."""
    batches = itertools.count()

    def sender() -> tuple[int, int]:
        sent = refused = 0
        with httpx.Client(timeout=60) as client:
            while True:
                batch = next(batches)
                if batch * 10 >= total and stop.is_set():
                    return sent, refused
                alerts = [
                    _alert("OriginOverloaded", "origin overloaded", f"edge-{batch}-{i}") for i in range(10)
                ]
                response = client.post(
                    f"{base}/api/v1/integrations/alertmanager",
                    json=_payload(alerts),
                    headers={"Authorization": f"Bearer {token}"},
                )
                if response.status_code == 200:
                    sent += 10
                else:
                    refused += 1

    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda _: sender(), range(4)))
    return sum(s for s, _ in done), sum(r for _, r in done)


def _measure(base: str, token: str, robots: Robots, probes: range, gap: float) -> list[float]:
    sent: dict[str, float] = {}
    with httpx.Client(timeout=30) as client:
        for n in probes:
            sent[f"probe-{n:05d}"] = _probe(client, base, token, n)
            time.sleep(gap)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(key in robots.first_seen for key in sent):
        time.sleep(0.05)
    missing = [key for key in sent if key not in robots.first_seen]
    if missing:
        print(f"  no notification arrived for {len(missing)} probe(s): {missing[:5]}", file=sys.stderr)
    return [robots.first_seen[key] - at for key, at in sent.items() if key in robots.first_seen]


def _summary(latencies: list[float]) -> dict[str, float | int]:
    ordered = sorted(latencies)
    if not ordered:
        return {"count": 0}
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "count": len(ordered),
        "p50_s": round(statistics.median(ordered), 3),
        "p99_s": round(p99, 3),
        "max_s": round(ordered[-1], 3),
    }


# The machine may be shared: each phase first waits (a little) for it to be quiet, and reports the cores
# used by the API, the worker, this process (robots, probes, storm senders), PostgreSQL and the rest.
NOISE_CORES = 0.25
SPARE_S = 60.0


@dataclass(frozen=True)
class _Cpu:
    at: float
    api: CpuSnapshot
    worker_s: float
    bench_s: float


def _cpu(api: Server, worker: Server) -> _Cpu:
    own = resource.getrusage(resource.RUSAGE_SELF)
    worker_s = cpu_snapshot(worker.pid).server_s
    return _Cpu(time.monotonic(), cpu_snapshot(api.pid), worker_s, own.ru_utime + own.ru_stime)


def _cores(before: _Cpu, after: _Cpu) -> dict[str, float | bool]:
    seconds = after.at - before.at
    used = {
        "api": after.api.server_s - before.api.server_s,
        "worker": after.worker_s - before.worker_s,
        "bench": after.bench_s - before.bench_s,
        "postgres": max(0.0, after.api.postgres_s - before.api.postgres_s),
    }
    busy = after.api.machine_busy_s - before.api.machine_busy_s
    cores: dict[str, float | bool] = {k: round(v / seconds, 2) for k, v in used.items()}
    cores["other"] = round(max(0.0, busy - sum(used.values())) / seconds, 2)
    cores["disturbed"] = float(cores["other"]) > NOISE_CORES
    return cores


def run(backend: str, probes: int, storm_size: int, tmp: Path) -> dict[str, Any]:
    robots = Robots()
    results: dict[str, Any] = {"backend": backend}
    with fresh_database(backend, tmp) as url:
        token = _prepare(url, robots)
        port = free_port()
        base = f"http://{LOOPBACK}:{port}"
        env = {
            **os.environ,
            **SECRETS,
            "EVENTGUARD_DATABASE_URL": url,
            "EVENTGUARD_LOG_LEVEL": "WARNING",
            "EVENTGUARD_CONFIG_FILE": str(tmp / "none.toml"),
            "EVENTGUARD_PORT": str(port),
        }
        eg = [sys.executable, "-m", "eventguard.cli.main"]
        api = Server(
            "api",
            [*eg, "serve", "--no-worker"],
            ready_url=f"{base}/readyz",
            env=env,
            log_path=tmp / "api.log",
        )
        worker = Server(
            "worker", [*eg, "worker"], ready_url=f"{base}/readyz", env=env, log_path=tmp / "worker.log"
        )
        patience = Patience(SPARE_S, NOISE_CORES)
        with api, worker:
            _measure(base, token, robots, range(90_000, 90_001), gap=1.0)  # warm-up, not counted
            patience.wait_for_quiet()
            before = _cpu(api, worker)
            idle = _measure(base, token, robots, range(probes), gap=3.5)
            results["idle"] = {**_summary(idle), "cores": _cores(before, _cpu(api, worker))}
            time.sleep(61)  # let the robot's one-minute window empty before the storm's messages
            patience.wait_for_quiet()
            before = _cpu(api, worker)
            stop = threading.Event()
            started = time.monotonic()
            storm_result: dict[str, tuple[int, int]] = {}
            storm = threading.Thread(
                target=lambda: storm_result.update(sent=_storm(base, token, storm_size, stop))
            )
            storm.start()
            time.sleep(1.0)
            during = _measure(base, token, robots, range(probes, 2 * probes), gap=2.0)
            stop.set()
            storm.join()
            seconds = time.monotonic() - started
            accepted, refused = storm_result.get("sent", (0, 0))
            results["storm"] = {
                **_summary(during),
                "storm_alerts_accepted": accepted,
                "storm_requests_refused": refused,
                "storm_seconds": round(seconds, 1),
                "storm_alerts_per_s": round(accepted / seconds, 1),
                "cores": _cores(before, _cpu(api, worker)),
            }
    robots.stop()
    return results


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench notify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--probes", type=int, default=15)
    parser.add_argument("--storm", type=int, default=10_000)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"machine": machine(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="eg-bench-notify-") as tmp:
        for backend in args.backend or ["sqlite", "postgresql"]:
            result = run(backend, args.probes, args.storm, Path(tmp))
            report["runs"].append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    print(f"results: {write_results('notify-latency', report)}")
    return 0
