"""The war room in the console, in real headless Chromium against a real server process: a responder
opens the incident's war room from the incident room, the worker creates it on a local Slack, and
the room's header shows the link to it (live, without a reload)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from eventguard.audit.service import Actor
from eventguard.chat import apps
from eventguard.chat import worker as chat_worker
from eventguard.clock import SystemClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending
from tests.chat import slack_server
from tests.chat.slack_server import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.notify.receivers import HttpReceiver
from tests.web.conftest import Console, browser, browser_sign_in, server

__all__ = ["browser", "server"]
SCREENSHOTS = Path(
    os.environ.get("EVENTGUARD_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "var" / "screenshots"
)


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, HttpReceiver]]:
    fake = FakeSlack()
    receiver = slack_server.start(fake)
    yield fake, receiver
    receiver.stop()


def test_a_responder_opens_the_war_room_and_the_room_shows_its_link(
    server: Console, browser: Browser, slack: tuple[FakeSlack, HttpReceiver]
) -> None:
    fake, receiver = slack
    settings = Settings(database_url=server.database_url, base_url=server.url)
    database = Database(server.database_url)
    try:
        with database.session(write=True) as db:
            event = events.get_by_slug(db=db, slug="cloud-summit-2026")
            apps.configure(
                db=db,
                event_id=event.id,
                platform="slack",
                app_id="A0001",
                secrets={"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET},
                settings={"team_id": "T0001"},
                base_url=f"{receiver.url}/api",
                secret_key=settings.secret_key.get_secret_value(),
                actor=Actor.cli("test"),
                clock=SystemClock(),
            )
            db.commit()
        alert = {"title": "Checkout slow", "severity": "P3", "labels": {"alertname": "CheckoutSlow"}}
        headers = {"Authorization": f"Bearer {server.intake_token}"}
        answer = httpx.post(
            f"{server.url}/api/v1/integrations/generic", json=alert, headers=headers, timeout=10
        )
        assert answer.status_code in (200, 202), answer.text
        server.wait_for_intake()

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        browser_sign_in(page, server, "ops")
        page.goto(f"{server.url}/incidents/1?lang=en")
        war_room = page.locator("#war-rooms")
        expect(war_room).to_contain_text("none yet")
        war_room.get_by_role("button", name="Open a war room").click()
        page.wait_for_load_state()
        expect(page.locator("#war-rooms")).to_contain_text("slack: being created")

        with httpx.Client(timeout=5.0) as http:
            worker = WorkerContext(clock=SystemClock(), settings=settings, http=http)
            dispatch_pending(database=database, context=worker)
            chat_worker.run(database=database, context=worker)
        assert len(fake.channels) == 1
        channel_id = next(iter(fake.channels))
        link = page.get_by_role("link", name="Open the slack war room")
        expect(link).to_be_visible(timeout=15_000)  # the live stream re-sends the header
        assert link.get_attribute("href") == f"https://app.slack.com/client/T0001/{channel_id}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "war-room-link.png"), full_page=False)
        page.goto(f"{server.url}/incidents/1?lang=zh-CN")
        expect(page.get_by_role("link", name="打开 slack 作战室")).to_be_visible()
        context.close()
    finally:
        database.dispose()
