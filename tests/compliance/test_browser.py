"""In a real server and headless Chromium: a responder marks a data leak reportable in the incident
room (zh-CN and en), the deadlines count down in the page, the panel passes axe-core; the kit page
offers its downloads. Screenshots go to EVENTGUARD_SCREENSHOT_DIR (default var/screenshots)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from eventguard.audit.service import Actor
from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans
from tests.kit.test_kit import SCREENSHOTS
from tests.web.conftest import Console, axe_violations, browser, browser_sign_in, server

__all__ = ["browser", "server"]


def _declare_leak(console: Console) -> int:
    database = Database(console.database_url)
    try:
        with database.session(write=True) as db:
            event = events.get_by_slug(db=db, slug="cloud-summit-2026")
            incident = incidents.declare(
                db=db,
                event=event,
                spec=plans.get_active_plan(db=db, event_id=event.id),
                title="Participant list exported by an unknown admin account",
                level=1,
                scenario_id="data-leak",
                core_functions=None,
                impact="About 2,000 participants' names and phone numbers",
                phase=None,
                actor=Actor.cli("tech"),
                clock=SystemClock(),
            )
            db.commit()
            return incident.id
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def leaks(server: Console) -> Iterator[dict[str, int]]:
    yield {lang: _declare_leak(server) for lang in ("zh-CN", "en")}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_responder_marks_a_leak_reportable_and_the_deadlines_count_down(
    browser: Browser, server: Console, leaks: dict[str, int], lang: str
) -> None:
    words = {
        "zh-CN": ("标记为须报告", "网络安全事件报告(其他网络运营者)", "还剩", "记录为已报送"),
        "en": (
            "Mark reportable",
            "Network security incident report (other network operators)",
            "min left",
            "Record as sent",
        ),
    }[lang]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        _play(context.new_page(), server, leaks[lang], lang, words)
    finally:
        context.close()  # its room stream ends, so the server can stop


def _play(page: Page, server: Console, incident_id: int, lang: str, words: tuple[str, ...]) -> None:
    browser_sign_in(page, server, "ops")
    page.goto(f"{server.url}/incidents/{incident_id}?lang={lang}")
    panel = page.locator("#compliance")
    panel.get_by_label("Personal information concerned" if lang == "en" else "涉及个人信息").check()
    panel.get_by_role("button", name=words[0]).click()
    page.wait_for_load_state()
    expect(panel).to_contain_text(words[1])
    timers = panel.locator("[data-countdown]")
    expect(timers.first).to_contain_text(re.compile(words[2]))
    assert timers.count() == 2  # CAC (other operator, 4 h) and PIPL Art. 57
    # The countdown is the page's script (it rewrote the server's text with the same words).
    expect(timers.first).to_have_text(re.compile(r"\d+"))
    expect(panel.get_by_role("button", name=words[3]).first).to_be_visible()
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / f"compliance-room-{lang}.png"))

    page.goto(f"{server.url}/events/cloud-summit-2026/kit?lang={lang}")
    with page.expect_download() as download:
        page.locator("#kit-html").click()
    assert download.value.suggested_filename == "cloud-summit-2026-kit-v1.html"
    page.screenshot(path=str(SCREENSHOTS / f"kit-page-{lang}.png"))
    page.close()
