"""The incident room's flapping panel in headless Chromium: a payment alert posted to the generic
intake that fires and resolves five times is marked flapping; the room shows its history open,
in English and Chinese (screenshots)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.web.conftest import Console, browser_sign_in

SCREENSHOTS = Path(
    os.environ.get("EVENTGUARD_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "var" / "screenshots"
)


@pytest.fixture(scope="module")
def viewer(browser: Browser, server: Console) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    browser_sign_in(context.new_page(), server, "ops")
    yield context
    context.close()


def test_the_room_shows_a_flapping_alerts_history(viewer: BrowserContext, server: Console) -> None:
    headers = {"Authorization": f"Bearer {server.intake_token}"}
    alert = {
        "title": "Single order failed",
        "fingerprint": "order-flap-1",
        "labels": {"alertname": "PaymentSingleOrderFailed", "instance": "pay-7:443"},
    }
    for number in range(10):  # fired and resolved five times
        body = {**alert, "status": "resolved" if number % 2 else "firing"}
        answer = httpx.post(
            f"{server.url}/api/v1/integrations/generic", json=body, headers=headers, timeout=10
        )
        assert answer.status_code in (200, 202), answer.text
        server.wait_for_intake()
    page = viewer.new_page()
    page.goto(f"{server.url}/incidents/1?lang=en")  # the module's server is fresh: its first incident
    panel = page.locator("#noise-flapping")
    expect(panel.get_by_role("heading", name="Flapping and reminders")).to_be_visible()
    entry = panel.locator('details[data-fingerprint="order-flap-1"]')
    expect(entry).to_have_attribute("open", "")
    expect(entry.locator("li.flap-resolved")).to_have_count(5)
    expect(entry.locator("li.flap-firing")).to_have_count(5)
    expect(entry.locator("summary .tag")).to_have_text("flapping")
    page.screenshot(path=str(SCREENSHOTS / "incident-room-flapping-en.png"), full_page=True)
    page.goto(f"{server.url}/incidents/1?lang=zh-CN")
    expect(page.locator("#noise-flapping").get_by_role("heading", name="抖动与提醒")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "incident-room-flapping-zh-CN.png"), full_page=True)
    page.close()
