"""Public status page: requests/s of ``GET /status/{slug}`` from the app (uvicorn, 1 and 2 workers, with the
HTTP protocol ``eventguard serve`` uses; and 1 worker with uvicorn's plain protocol for reference) next
to nginx serving the same page as the static files ``eventguard status publish`` writes, same run.

The page is realistic: the example plan with a published level-2 livestream update and the backup
stream switched on. wrk (1 thread, keep-alive) sends plain GETs without validators, so every answer
is the whole page. nginx runs with 1 and with 2 worker processes, so that each app figure has a
like-for-like reference; the goal (PRODUCT.md) is the app at >= 0.5x nginx.

    .venv/bin/python -m bench status_page [--duration 10] [--connections 32] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
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

LUA = Path(__file__).with_name("status_page.lua")
PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
SLUG = "cloud-summit-2026"
TOOLS = {"wrk": "wrk", "nginx": "nginx-light"}
NOISE_CORES = 0.25
SPARE_S = 120.0
NGINX_CONFIG = """\
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {{ text/html html; application/json json; application/atom+xml atom; }}
  default_type application/octet-stream;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen {host}:{port};
    location /status/ {{
      alias {site}/;
      try_files $uri $uri/index.html =404;
    }}
  }}
}}
"""


@dataclass(frozen=True)
class Target:
    key: str
    title: str
    server: str  # "app" (as `eventguard serve` runs it), "asgi" (plain uvicorn httptools) or "nginx"
    workers: int


TARGETS = {
    t.key: t
    for t in (
        Target("nginx-1w", "nginx, 1 worker (static files)", "nginx", 1),
        Target("app-1w", "EventGuard app, uvicorn 1 worker", "app", 1),
        Target("nginx-2w", "nginx, 2 workers (static files)", "nginx", 2),
        Target("app-2w", "EventGuard app, uvicorn 2 workers", "app", 2),
        Target("asgi-1w", "EventGuard app, plain uvicorn protocol (ASGI fast path), 1 worker", "asgi", 1),
    )
}


@dataclass(frozen=True)
class Settings:
    duration_s: int
    warmup_s: int
    connections: int
    threads: int
    targets: tuple[str, ...]


@dataclass
class Measurement:
    target: str
    workers: int
    page_bytes: int
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_200: int
    socket_errors: int
    clean: bool
    note: str = ""
    cpu_cores: dict[str, float] = field(default_factory=dict)
    disturbed: bool = False


def _seed(database: Any, base_url: str) -> None:
    """The example plan, a level-2 livestream incident with the backup stream on and an update published."""
    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.comms.backups import service as backups
    from eventguard.comms.models import PublicStatus
    from eventguard.comms.updates import approval as publishing
    from eventguard.comms.updates import drafts as public
    from eventguard.events import service as events
    from eventguard.incidents import service as incidents
    from eventguard.plans import service as plans

    clock, actor = SystemClock(), Actor.cli("bench")
    with database.session(write=True) as db:
        source = PLAN.read_text(encoding="utf-8")
        version = plans.apply_plan(db=db, source=source, filename=str(PLAN), actor=actor, clock=clock)
        event = events.get(db=db, event_id=version.event_id)
        spec = plans.get_active_plan(db=db, event_id=event.id)
        common = {"db": db, "spec": spec, "actor": actor, "clock": clock}
        incident = incidents.declare(
            event=event,
            title="Main stream stalled",
            level=2,
            scenario_id="livestream-interruption",
            core_functions=None,
            impact=None,
            phase=None,
            **common,
        )
        backups.activate(incident=incident, backup_id="backup-stream", base_url=base_url, **common)
        variables = {"eta": "13:30", "compensation": {"zh-CN": "赠送回放会员", "en": "free replay access"}}
        draft = public.DraftInput(status=PublicStatus.identified, variables=variables)
        update = public.create_draft(incident=incident, draft=draft, base_url=base_url, **common)
        publishing.publish(db=db, update=update, incident=incident, actor=actor, clock=clock)
        db.commit()


def prepare(tmp: Path) -> tuple[str, Path]:
    """A SQLite database with the seeded event, and the same page published as static files with
    ``eventguard status publish``'s code; returns the database URL and the static directory."""
    from eventguard.clock import SystemClock
    from eventguard.comms.statuspage import static as publish
    from eventguard.config import Settings as AppSettings
    from eventguard.db import Database, migrate

    url, site, base_url = f"sqlite:///{tmp / 'eventguard.db'}", tmp / "site", "https://status.example.com"
    migrate.upgrade(url)
    database = Database(url)
    try:
        _seed(database, base_url)
        settings = AppSettings(database_url=url, base_url=base_url, default_language="zh-CN")
        publish.publish(database=database, slug=SLUG, out=site, settings=settings, clock=SystemClock())
    finally:
        database.dispose()
    for path in (tmp, *site.rglob("*"), site):  # nginx workers may run as another user
        path.chmod(0o755 if path.is_dir() else 0o644)
    return url, site


def _server(target: Target, tmp: Path, url: str, site: Path, tools: dict[str, str]) -> tuple[Server, str]:
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    page = f"{base}/status/{SLUG}"
    log = tmp / f"{target.key}.log"
    if target.server == "nginx":
        config = tmp / f"{target.key}.conf"
        config.write_text(
            NGINX_CONFIG.format(workers=target.workers, tmp=tmp, host=LOOPBACK, port=port, site=site),
            encoding="utf-8",
        )
        argv = [tools["nginx"], "-c", str(config), "-p", str(tmp), "-e", str(tmp / "nginx-error.log")]
        return Server(target.key, argv, ready_url=page, log_path=log), page
    argv = [
        sys.executable,
        "-m",
        "bench.serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        str(target.workers),
        "--http",
        "eventguard" if target.server == "app" else "httptools",
    ]
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": url,
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_DEFAULT_LANGUAGE": "zh-CN",
        "EVENTGUARD_CONFIG_FILE": str(tmp / "no-config.toml"),
    }
    return Server(target.key, argv, ready_url=f"{base}/readyz", env=env, log_path=log), page


def _run(
    server: Server, page: str, settings: Settings, tools: dict[str, str], patience: Patience
) -> tuple[WrkResult, WrkResult, dict[str, float]]:
    """The warm-up, then the measured run (again while other processes disturbed it and time allows)."""

    def wrk_run(seconds: int, *extra: str) -> WrkResult:
        return run_wrk(
            tools["wrk"],
            page,
            LUA,
            extra,
            connections=settings.connections,
            threads=settings.threads,
            duration_s=seconds,
        )

    patience.wait_for_quiet()
    warm = wrk_run(settings.warmup_s, "check")
    while True:
        before = cpu_snapshot(server.pid)
        result = wrk_run(settings.duration_s)
        cpu = cpu_shares(before, cpu_snapshot(server.pid), result.duration_s)
        if cpu["other"] <= NOISE_CORES or not patience.allows(settings.duration_s + 2):
            return warm, result, cpu
        print(f"  ({cpu['other']:.2f} cores used by other processes during the run: measuring again)")
        patience.wait_for_quiet()


def _measure(
    target: Target,
    settings: Settings,
    tools: dict[str, str],
    tmp: Path,
    url: str,
    site: Path,
    patience: Patience,
) -> Measurement:
    server, page = _server(target, tmp, url, site, tools)
    with server:
        size = len(httpx.get(page, timeout=30.0).content)
        warm, result, cpu = _run(server, page, settings, tools, patience)
    notes = []
    if warm.bad or not warm.clean:
        notes.append(f"warm-up answers wrong ({warm.bad} bad): {warm.bad_sample}")
    if not result.clean:
        notes.append(f"{result.errors_status} non-2xx, {result.socket_errors} socket errors")
    return Measurement(
        target=target.key,
        workers=target.workers,
        page_bytes=size,
        requests=result.requests,
        requests_per_s=round(result.ok_per_s, 1),
        p50_ms=round(result.latency_p50_us / 1000, 2),
        p99_ms=round(result.latency_p99_us / 1000, 2),
        max_ms=round(result.latency_max_us / 1000, 2),
        non_200=result.errors_status,
        socket_errors=result.socket_errors,
        clean=not notes,
        note="; ".join(notes),
        cpu_cores=cpu,
        disturbed=cpu["other"] > NOISE_CORES,
    )


def ratios(measurements: list[Measurement]) -> dict[str, float | None]:
    """App / nginx with the same number of workers, and best app / best nginx."""
    by_key = {m.target: m for m in measurements if m.clean}

    def ratio(app: Measurement | None, nginx: Measurement | None) -> float | None:
        return round(app.requests_per_s / nginx.requests_per_s, 3) if app and nginx else None

    best = {
        kind: max(
            (m for m in by_key.values() if m.target.startswith(kind)),
            key=lambda m: m.requests_per_s,
            default=None,
        )
        for kind in ("app", "nginx")
    }
    return {
        "1 worker": ratio(by_key.get("app-1w"), by_key.get("nginx-1w")),
        "2 workers": ratio(by_key.get("app-2w"), by_key.get("nginx-2w")),
        "best": ratio(best["app"], best["nginx"]),
    }


def _print_run(m: Measurement) -> None:
    flag = "" if m.clean else f"  ERRORS: {m.note}"
    flag += "  (disturbed by other processes)" if m.disturbed else ""
    c = m.cpu_cores
    print(
        f"  {m.target:<9} {m.requests_per_s:>9.1f} req/s  p50 {m.p50_ms:.2f} ms  p99 {m.p99_ms:.2f} ms  "
        f"{m.page_bytes} B  cores server {c.get('server', 0):.2f} wrk {c.get('wrk', 0):.2f} "
        f"other {c.get('other', 0):.2f}{flag}",
        flush=True,
    )


def markdown(info: dict[str, Any], settings: Settings, runs: list[Measurement], ratio: dict[str, Any]) -> str:
    """The docs/benchmarks.md table of this run."""
    m = info["machine"]
    lines = [
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB, {m['os']}), "
        f"wrk {settings.threads} thread(s), {settings.connections} connections, "
        f"{settings.duration_s} s per run.",
        "",
        "| Server | Workers | Requests/s | p50 ms | p99 ms | Page bytes |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        shown = (f"{r.requests_per_s:,.0f}" if r.clean else "errors") + (" *" if r.disturbed else "")
        title = TARGETS[r.target].title
        lines.append(f"| {title} | {r.workers} | {shown} | {r.p50_ms} | {r.p99_ms} | {r.page_bytes} |")
    if any(r.disturbed for r in runs):
        lines += ["", "\\* other processes used more than a quarter of a core during this run."]
    lines += ["", "| Ratio app / nginx | Value |", "|---|---|"]
    lines += [f"| {name} | {value if value is not None else 'n/a'} |" for name, value in ratio.items()]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench status_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="Seconds measured per run (default 10).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per run (default 3).")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32).")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1).")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"Subset of {','.join(TARGETS)}.")
    args = parser.parse_args(argv)
    targets = tuple(t for t in args.targets.split(",") if t)
    if unknown := [t for t in targets if t not in TARGETS]:
        parser.error(f"unknown target: {', '.join(unknown)}")
    return Settings(args.duration, args.warmup, args.connections, args.threads, targets)


def main(argv: list[str]) -> int:
    settings = parse_args(list(argv))
    try:
        tools = require_tools(TOOLS)
    except BenchError as exc:
        print(f"bench status_page: {exc}", file=sys.stderr)
        return 2
    versions = {
        "nginx": tool_version([tools["nginx"], "-v"]),
        "wrk": tool_version([tools["wrk"], "-v"]),
        "eventguard_commit": tool_version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        **{package: metadata.version(package) for package in ("uvicorn", "fastapi", "starlette")},
    }
    info = {"machine": machine(), "versions": versions}
    print(f"status page benchmark on {info['machine']['cpu']} ({info['machine']['cores']} cores)", flush=True)
    started, runs = time.monotonic(), []
    patience = Patience(SPARE_S, NOISE_CORES)
    try:
        with tempfile.TemporaryDirectory(prefix="eventguard-bench-") as name:
            tmp = Path(name)
            url, site = prepare(tmp)
            for key in settings.targets:
                runs.append(_measure(TARGETS[key], settings, tools, tmp, url, site, patience))
                _print_run(runs[-1])
    except BenchError as exc:
        print(f"bench status_page: {exc}", file=sys.stderr)
        return 2
    ratio = ratios(runs)
    table = markdown(info, settings, runs, ratio)
    print("\n" + table)
    data = {**info, "settings": asdict(settings), "runs": [asdict(r) for r in runs], "ratios": ratio}
    path = write_results("status_page", {**data, "elapsed_s": round(time.monotonic() - started)})
    print(f"written {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
