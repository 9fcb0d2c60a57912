"""Console fixtures: signed-in browsers (TestClient) of each role and an incident to work on."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock, SystemClock
from eventguard.db import Database, migrate
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from tests.conftest import EXAMPLE_PLAN

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


SignIn = Callable[[str], TestClient]


@pytest.fixture
def sign_in(app: FastAPI, db: Session, clock: FrozenClock) -> SignIn:
    """``sign_in("viewer")`` -> a client signed in as a fresh user of that role (two-factor enrolled
    for the roles the example plan requires it of)."""
    made: dict[str, TestClient] = {}

    def _sign_in(role: str) -> TestClient:
        if role in made:
            return made[role]
        actor = Actor.cli("test")
        user = auth.create_user(
            db=db, username=f"{role}-web", password=PASSWORD, role=Role(role), actor=actor, clock=clock
        )
        code = None
        if role in ("commander", "admin"):
            secret = auth.totp_begin_enrolment(db=db, user=user, actor=actor, clock=clock).secret
            auth.totp_confirm(
                db=db, user=user, code=pyotp.TOTP(secret).at(clock.now()), actor=actor, clock=clock
            )
            code = pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30))
        db.commit()
        client = TestClient(app)
        token = csrf_of(client.get("/login").text)
        form = {"username": user.username, "password": PASSWORD, "csrf_token": token, "totp_code": code or ""}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        made[role] = client
        return client

    return _sign_in


@pytest.fixture
def incident(db: Session, event: Event, clock: FrozenClock) -> Incident:
    """A level-2 payment incident of the example event, with its runbook and default roles."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    found = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payment gateway down",
        level=2,
        scenario_id="payment-failure",
        core_functions=None,
        impact=None,
        phase="prep",
        actor=Actor.cli("test"),
        clock=clock,
    )
    db.commit()
    return found


# --- A real server process and headless Chromium (Debian's; never a downloaded browser) -----------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
BROWSER_PASSWORD = "a long test password"


@dataclass(frozen=True)
class Console:
    """The running console: its base URL and an alert intake token of the example event."""

    url: str
    intake_token: str
    database_url: str

    def wait_for_intake(self, timeout: float = 15.0) -> None:
        """Until every accepted intake request is processed (the server's journal processor runs
        moments after the answer): tests wait through this, not a sleep."""
        from sqlalchemy import func, select

        from eventguard.alerts.journal.models import PENDING, JournalEntry

        database = Database(self.database_url)
        pending = select(func.count()).select_from(JournalEntry).where(JournalEntry.state == PENDING)
        try:
            deadline = time.monotonic() + timeout
            while True:
                with database.session() as db:
                    if not db.scalar(pending):
                        return
                assert time.monotonic() < deadline, "the server did not process its intake journal"
                time.sleep(0.05)
        finally:
            database.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


USERS = (
    ("ops", Role.responder, "Zhao Min"),
    ("tech", Role.responder, "Li Na"),
    ("watcher", Role.viewer, "Sun Li"),
    ("boss", Role.commander, "Zhang Wei"),
)


def _seed(url: str, source: str, users: tuple[tuple[str, Role, str], ...], totp: dict[str, str]) -> str:
    """The plan, the users (commanders named in ``totp`` get two-factor with that secret); an intake token."""
    database = Database(url)
    with database.session(write=True) as db:
        clock, actor = SystemClock(), Actor.cli("test")
        plans.apply_plan(db=db, source=source, filename=str(EXAMPLE_PLAN), actor=actor, clock=clock)
        for username, role, name in users:
            user = auth.create_user(
                db=db,
                username=username,
                password=BROWSER_PASSWORD,
                role=role,
                actor=actor,
                clock=clock,
                display_name=name,
            )
            if username in totp:
                secret = auth.totp_begin_enrolment(db=db, user=user, actor=actor, clock=clock).secret
                auth.totp_confirm(db=db, user=user, code=pyotp.TOTP(secret).now(), actor=actor, clock=clock)
                totp[username] = secret
        event = events.get_by_slug(db=db, slug="cloud-summit-2026")
        _integration, token = integrations.create(
            db=db, event=event, name="probes", kind="generic", actor=actor, clock=clock
        )
        db.commit()
    database.dispose()
    return token


def live_now(source: str, now: datetime) -> str:
    """The plan's text with its phases moved so that ``live`` is on now (prep before, post after),
    for browser tests that play what happens during the event."""
    day = timedelta(days=1)
    moments = iter((now - 30 * day, now - day, now - day, now + day, now + day, now + 30 * day))
    lines = []
    for line in source.splitlines():
        match = re.match(r"^(\s+)(start|end): 2026-\S+$", line)
        in_phases = match and len(match.group(1)) == 6
        lines.append(f"{match.group(1)}{match.group(2)}: {next(moments).isoformat()}" if in_phases else line)
    return "\n".join(lines) + "\n"


@contextmanager
def running_server(
    home: Path,
    source: str | None = None,
    users: tuple[tuple[str, Role, str], ...] = USERS,
    totp: dict[str, str] | None = None,
) -> Iterator[Console]:
    """A real server process on a fresh SQLite database with ``source`` (the example plan) applied."""
    url = f"sqlite:///{home / 'eg.db'}"
    migrate.upgrade(url)
    plan = source or EXAMPLE_PLAN.read_text(encoding="utf-8")
    token = _seed(url, plan, users, totp if totp is not None else {})
    port = _free_port()
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": url,
        "EVENTGUARD_PORT": str(port),
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(home / "none.toml"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "eventguard.cli.main", "serve", "--no-worker", "--journal"], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Console(base, token, url)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A real server process on a fresh SQLite database (one per test module)."""
    with running_server(tmp_path_factory.mktemp("browser")) as console:
        yield console


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core (npm, pinned in package-lock.json, installed by scripts/test-prereqs) injected into the
    page and run on it: the violations of ``impacts``, one line each ("rule: target …")."""
    assert AXE.exists(), "axe-core is missing: run ./scripts/test-prereqs (npm ci)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the console's Content-Security-Policy (no inline
        # scripts) stays in force for the page itself.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}" for v in found if v["impact"] in impacts]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def browser_sign_in(page: Page, server: Console, username: str, code: str = "") -> None:
    """Sign in through the form (in English) and land on the dashboard or the enrolment page."""
    page.goto(f"{server.url}/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(BROWSER_PASSWORD)
    if code:
        page.get_by_label("Two-factor code (if enabled)").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
