"""What every benchmark needs: free ports, server subprocesses, wrk runs, the machine's description."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
LOOPBACK = "127.0.0.1"


class BenchError(RuntimeError):
    """A benchmark cannot run as asked (missing tool, server that does not start, ...)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def require_tools(tools: Mapping[str, str]) -> dict[str, str]:
    """Absolute paths of the tools, by name; ``tools`` maps name -> Debian package. Raises with the
    install command when any is missing: a benchmark never silently skips its reference."""
    found = {name: shutil.which(name) for name in tools}
    missing = sorted({tools[name] for name, path in found.items() if path is None})
    if missing:
        raise BenchError(
            f"missing {', '.join(n for n, p in found.items() if p is None)}; "
            f"install with: apt-get install {' '.join(missing)}"
        )
    return {name: path for name, path in found.items() if path is not None}


class Server:
    """A server subprocess in its own process group (so that uvicorn's worker processes stop with it)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready_url: str,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        log_path: Path,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready_url = ready_url
        self.env = dict(env) if env is not None else dict(os.environ)
        self.cwd = cwd
        self.log_path = log_path
        self._log: TextIO | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        self._log = self.log_path.open("w", encoding="utf-8")
        self._proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self._proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.ready_url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise BenchError(
            f"{self.name} not ready at {self.ready_url} after {timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(
                self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return ""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run, from the JSON line its Lua ``done()`` prints (latencies in microseconds)."""

    requests: int
    duration_s: float
    errors_connect: int
    errors_read: int
    errors_write: int
    errors_status: int  # HTTP status > 399
    errors_timeout: int
    latency_p50_us: float
    latency_p99_us: float
    latency_max_us: float
    bad: int = 0  # with the script's "check": answers that were not the expected acceptance
    bad_sample: str = ""

    @property
    def ok_requests(self) -> int:
        return self.requests - self.errors_status

    @property
    def socket_errors(self) -> int:
        return self.errors_connect + self.errors_read + self.errors_write + self.errors_timeout

    @property
    def clean(self) -> bool:
        return self.errors_status == 0 and self.socket_errors == 0 and self.requests > 0

    @property
    def ok_per_s(self) -> float:
        return self.ok_requests / self.duration_s if self.duration_s else 0.0


WRK_MARKER = "BENCH_JSON "


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    script_args: Sequence[str],
    *,
    connections: int,
    threads: int,
    duration_s: int,
    timeout_s: int = 10,
) -> WrkResult:
    """Run wrk against ``url`` (loopback only); the Lua script's ``done()`` prints ``BENCH_JSON {...}``."""
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise BenchError(f"refusing to load {url}: benchmarks only load {LOOPBACK}")
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        *script_args,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration_s + timeout_s + 30, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(WRK_MARKER)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    data: dict[str, Any] = json.loads(line[len(WRK_MARKER) :])
    return WrkResult(
        requests=int(data["requests"]),
        duration_s=int(data["duration_us"]) / 1e6,
        errors_connect=int(data["connect"]),
        errors_read=int(data["read"]),
        errors_write=int(data["write"]),
        errors_status=int(data["status"]),
        errors_timeout=int(data["timeout"]),
        latency_p50_us=float(data["p50_us"]),
        latency_p99_us=float(data["p99_us"]),
        latency_max_us=float(data["max_us"]),
        bad=int(data.get("bad", 0)),
        bad_sample=str(data.get("bad_sample", "")),
    )


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> Iterator[tuple[str, int, float]]:
    """(command name, process group, CPU seconds) of every process we can read."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        # fields after the name: state ppid pgrp ... utime (12th) stime (13th)
        yield name, int(rest[2]), (int(rest[11]) + int(rest[12])) / _TICK


@dataclass(frozen=True)
class CpuSnapshot:
    machine_busy_s: float
    server_s: float
    postgres_s: float
    children_s: float  # processes we waited for (wrk)


def cpu_snapshot(server_group: int | None) -> CpuSnapshot:
    """CPU seconds used so far: whole machine (not idle), the server's process group, every postgres
    process, and our finished children. The difference of two snapshots tells who used the cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]]
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / _TICK  # all but idle and iowait
    server = postgres = 0.0
    for name, group, seconds in _proc_stats():
        if server_group is not None and group == server_group:
            server += seconds
        elif name == "postgres":
            postgres += seconds
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSnapshot(busy, server, postgres, usage.ru_utime + usage.ru_stime)


def machine_busy_cores(seconds: float = 1.0) -> float:
    """Cores in use on the whole machine, averaged over ``seconds``."""
    before = cpu_snapshot(None).machine_busy_s
    time.sleep(seconds)
    return (cpu_snapshot(None).machine_busy_s - before) / seconds


class Patience:
    """A bounded amount of time a benchmark may spend waiting for other processes on a shared machine
    (waiting for quiet, measuring a disturbed run again), so that it still ends in a known time."""

    def __init__(self, spare_s: float, quiet_cores: float) -> None:
        self.spare_s = spare_s
        self.quiet_cores = quiet_cores

    def wait_for_quiet(self, limit_s: float = 10.0) -> float:
        """Wait (up to ``limit_s`` and the spare time left) until the machine is nearly idle; returns the
        busy cores last seen."""
        started = time.monotonic()
        while True:
            busy = machine_busy_cores(1.0)
            waited = time.monotonic() - started
            if busy <= self.quiet_cores or waited >= min(limit_s, self.spare_s):
                self.spare_s -= waited
                return busy

    def allows(self, seconds: float) -> bool:
        """Spend ``seconds`` of the spare time if there is that much left."""
        if self.spare_s < seconds:
            return False
        self.spare_s -= seconds
        return True


def cpu_shares(before: CpuSnapshot, after: CpuSnapshot, seconds: float) -> dict[str, float]:
    """Cores used on average between two snapshots by the server, wrk, PostgreSQL and anything else."""

    def per_s(value: float) -> float:
        return round(value / seconds, 2) if seconds > 0 else 0.0

    server = after.server_s - before.server_s
    wrk = after.children_s - before.children_s
    # PostgreSQL backends of other clients come and go; one that exited takes its CPU time with it.
    postgres = max(0.0, after.postgres_s - before.postgres_s)
    busy = after.machine_busy_s - before.machine_busy_s
    return {
        "server": per_s(server),
        "wrk": per_s(wrk),
        "postgres": per_s(postgres),
        "other": per_s(max(0.0, busy - server - wrk - postgres)),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version_of(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "time_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "os": _version_of(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "python": sys.version.split()[0],
        "load_average_at_start": Path("/proc/loadavg").read_text(encoding="ascii").split()[:3],
    }


def tool_version(argv: Sequence[str]) -> str:
    return _version_of(argv)


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    """``bench/results/<name>-<date>.json`` (git-ignored)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{datetime.now(UTC).strftime('%Y-%m-%d')}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def eventguard_app() -> Any:
    """Uvicorn factory (``bench.common:eventguard_app``): the app as ``eventguard serve`` builds it, logging
    configured from the settings first (``eventguard.app:create_app`` alone leaves structlog at its
    default, which prints every request to stdout whatever ``EVENTGUARD_LOG_LEVEL`` says)."""
    from eventguard.app import create_app
    from eventguard.config import get_settings
    from eventguard.logs import configure

    settings = get_settings()
    configure(settings.log_level, settings.log_json)
    return create_app(settings)
