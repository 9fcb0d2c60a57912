"""The systemd units of deploy/systemd/ (docs/deploy.md) run as written: each unit's ExecStart, with
the installed ``eventguard`` in place of /opt/eventguard/venv/bin/eventguard, the instance name in
place of ``%i`` and the example env file's settings (its database, publish directory and base URL
pointed at a scratch directory), is started against a fresh SQLite file — the migration brings the
schema to head, the API replica answers ``/readyz`` on the instance's port, the worker publishes the
status page of an event into the env file's publish directory — and each stops on SIGTERM."""

from __future__ import annotations

import configparser
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import create_engine, inspect

from eventguard.audit.service import Actor
from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.plans import service as plans
from tests.notify.receivers import free_port
from tests.stress.plans import SLUG, stress_plan

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/eventguard/venv/bin/eventguard"


def _unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name, encoding="utf-8")
    return parser["Service"]


def _env_file(tmp: Path, url: str, port: int) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (UNITS / "eventguard.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    assert values["EVENTGUARD_DATABASE_URL"].startswith("postgresql+psycopg://")
    values.update(
        EVENTGUARD_DATABASE_URL=url,
        EVENTGUARD_STATUS_PUBLISH_DIR=str(tmp / "status"),
        EVENTGUARD_BASE_URL=f"http://127.0.0.1:{port}",
        EVENTGUARD_SMTP_HOST="127.0.0.1",
        EVENTGUARD_SMTP_SECURITY="none",
        EVENTGUARD_LOG_LEVEL="WARNING",
    )
    return values


def _command(unit: str, instance: str) -> list[str]:
    service = _unit(unit)
    line = service["ExecStart"].replace("%i", instance)
    argv = shlex.split(line)
    assert argv[0] == INSTALLED, line
    assert service["EnvironmentFile"] == "/etc/eventguard/eventguard.env"
    return [str(Path(sys.executable).with_name("eventguard")), *argv[1:]]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def test_every_units_command_line_runs_as_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'eventguard.db'}"
    port = free_port()
    env = {
        **os.environ,
        **_env_file(tmp_path, url, port),
        "EVENTGUARD_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    log = (tmp_path / "units.log").open("wb")

    migrate = subprocess.run(
        _command("eventguard-migrate.service", ""), env=env, capture_output=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    assert _unit("eventguard-migrate.service")["Type"] == "oneshot"
    engine = create_engine(url)
    assert {"alembic_version", "events", "intake_journal"} <= set(inspect(engine).get_table_names())
    engine.dispose()

    database = Database(url)
    with database.session(write=True) as db:
        plans.apply_plan(
            db=db,
            source=stress_plan(pager="http://127.0.0.1:9/page"),
            filename="deploy.yaml",
            actor=Actor.cli("test"),
            clock=SystemClock(),
        )
        db.commit()
    database.dispose()

    api = subprocess.Popen(_command("eventguard-api@.service", str(port)), env=env, stdout=log, stderr=log)
    worker = subprocess.Popen(_command("eventguard-worker@.service", "1"), env=env, stdout=log, stderr=log)
    try:

        def ready() -> bool:
            assert api.poll() is None, (tmp_path / "units.log").read_text(errors="replace")
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(ready, "the API replica")
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/events", timeout=5).status_code == 401
        published = tmp_path / "status" / f"{SLUG}.json"
        _wait(lambda: published.exists() and worker.poll() is None, "the worker to publish the status page")
        assert httpx.get(f"http://127.0.0.1:{port}/status/{SLUG}.json", timeout=5).status_code == 200
    finally:
        api_status = _stop(api) if api.poll() is None else api.returncode
        worker_status = _stop(worker) if worker.poll() is None else worker.returncode
        log.close()
    # systemd counts an exit by SIGTERM as clean (uvicorn re-raises the signal once it has shut down).
    clean = (0, -signal.SIGTERM)
    assert api_status in clean, (tmp_path / "units.log").read_text(errors="replace")
    assert worker_status in clean, (tmp_path / "units.log").read_text(errors="replace")
