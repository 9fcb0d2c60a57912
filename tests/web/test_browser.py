"""The console in real headless Chromium (Debian's; never a downloaded browser)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import SystemClock
from eventguard.db import Database, migrate
from eventguard.plans import service as plans
from tests.conftest import EXAMPLE_PLAN

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server process on a fresh SQLite database with the example plan and a responder."""
    home = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{home / 'eg.db'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.session(write=True) as db:
        clock, actor = SystemClock(), Actor.cli("test")
        plans.apply_plan(
            db=db,
            source=EXAMPLE_PLAN.read_text(encoding="utf-8"),
            filename=str(EXAMPLE_PLAN),
            actor=actor,
            clock=clock,
        )
        auth.create_user(
            db=db,
            username="ops",
            password="a long test password",
            role=Role.responder,
            actor=actor,
            clock=clock,
            display_name="Zhao Min",
        )
        db.commit()
    database.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": url,
        "EVENTGUARD_PORT": str(port),
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(home / "none.toml"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "eventguard.cli.main", "serve", "--no-worker"], env=env, cwd=ROOT
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_a_responder_signs_in_and_sees_the_event_in_english_and_chinese(
    server: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{server}/?lang=en")
    assert page.url.endswith("/login")
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill("a long test password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/?lang=en")
    assert page.title() == "Overview · EventGuard"
    assert page.get_by_role("heading", name="Cloud Summit 2026 (cloud-summit-2026)").is_visible()
    page.goto(f"{server}/?lang=zh-CN")
    assert page.get_by_role("heading", name="总览").is_visible()
    page.goto(f"{server}/")  # the choice is remembered, whatever the browser's Accept-Language
    assert page.title() == "总览 · EventGuard"
    page.close()
