"""The console in real headless Chromium, driving a real server process: sign-in with two-factor,
alerts appearing on the dashboard, the incident room updating live, the runbook, roles, screenshots."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.web.conftest import Console, browser_sign_in

# Tests write screenshots to an ignored folder; `make screenshots` points this at docs/screenshots.
SCREENSHOTS = Path(
    os.environ.get("EVENTGUARD_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "var" / "screenshots"
)
TITLE = "Payment gateway down in Shanghai"
SHOWN = "Payment failure"  # the room and the dashboard show the plan's scenario name, not the alert's text


@pytest.fixture(scope="module")
def responder(browser: Browser, server: Console) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    browser_sign_in(context.new_page(), server, "ops")
    yield context
    context.close()


@pytest.fixture(scope="module")
def incident_url(server: Console) -> str:
    """An alert posted to the intake API opens a level-2 payment incident; its room's URL."""
    alert = {"title": TITLE, "severity": "P2", "labels": {"alertname": "PaymentGatewayDown", "region": "sh"}}
    headers = {"Authorization": f"Bearer {server.intake_token}"}
    answer = httpx.post(f"{server.url}/api/v1/integrations/generic", json=alert, headers=headers, timeout=10)
    assert answer.status_code in (200, 202), answer.text
    server.wait_for_intake()
    return f"{server.url}/incidents/1"


def test_a_responder_signs_in_and_sees_the_event_in_english_and_chinese(
    server: Console, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{server.url}/?lang=en")
    assert page.url.endswith("/login")
    browser_sign_in(page, server, "ops")
    page.goto(f"{server.url}/?lang=en")
    assert page.title() == "Dashboard · EventGuard"
    assert page.get_by_role("heading", name="Cloud Summit 2026 (cloud-summit-2026)").is_visible()
    page.goto(f"{server.url}/?lang=zh-CN")
    assert page.get_by_role("heading", name="仪表盘").is_visible()
    page.goto(f"{server.url}/")  # the choice is remembered, whatever the browser's Accept-Language
    assert page.title() == "仪表盘 · EventGuard"
    page.close()


@pytest.fixture(scope="module")
def commander(browser: Browser, server: Console) -> Iterator[BrowserContext]:
    """A commander (the example plan requires two-factor of them): signs in, enrols on the page with
    codes computed by pyotp, signs out, and signs in again with a code."""
    context = browser.new_context()
    page = context.new_page()
    browser_sign_in(page, server, "boss")
    page.wait_for_url(re.compile(r".*/account/two-factor$"))
    page.goto(f"{server.url}/account/two-factor?lang=en")
    secret = page.locator("code").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/login$"))
    browser_sign_in(page, server, "boss", pyotp.TOTP(secret).at(time.time() + 30))
    page.close()
    yield context
    context.close()


def test_a_commander_enrols_two_factor_then_signs_in_again_with_a_code(
    server: Console, commander: BrowserContext
) -> None:
    page = commander.new_page()
    page.goto(f"{server.url}/?lang=en")
    assert page.url == f"{server.url}/?lang=en"
    assert page.get_by_text("Zhang Wei (commander)").is_visible()
    page.close()


def test_a_new_incident_appears_on_the_dashboard_after_an_alert(
    server: Console, responder: BrowserContext, incident_url: str
) -> None:
    page = responder.new_page()
    page.goto(f"{server.url}/?lang=en")
    link = page.get_by_role("link", name=SHOWN)
    expect(link).to_be_visible()
    row = page.locator("tr", has=link)
    expect(row).to_contain_text("L2")
    expect(row).to_contain_text("triggered")
    link.click()
    page.wait_for_url(incident_url)
    assert page.title().endswith(f"{SHOWN} · EventGuard")
    page.close()


def test_acknowledging_updates_the_timeline_and_header_of_another_reader_live(
    browser: Browser, server: Console, responder: BrowserContext, incident_url: str
) -> None:
    other = browser.new_context()
    watcher = other.new_page()
    browser_sign_in(watcher, server, "tech")
    watcher.goto(f"{incident_url}?lang=en")
    entries = watcher.locator("#timeline li.entry")
    before = entries.count()
    watcher.wait_for_timeout(300)  # let the EventSource connect
    watcher.evaluate("window.egMarker = 'not reloaded'")
    expect(watcher.get_by_role("button", name="Acknowledge")).to_be_visible()
    page = responder.new_page()
    page.goto(f"{incident_url}?lang=en")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(incident_url)
    expect(page.locator("#status")).to_have_text("acknowledged")
    expect(entries).to_have_count(before + 1, timeout=5000)  # no reload: the SSE stream brought it
    expect(entries.first).to_contain_text("acknowledged")  # newest first
    expect(watcher.locator("#status")).to_have_text("acknowledged")  # the header follows, live too
    expect(watcher.get_by_role("button", name="Acknowledge")).to_be_hidden()  # and what fits it
    assert watcher.evaluate("window.egMarker") == "not reloaded"  # proof that the page was not reloaded
    page.close()
    other.close()


def test_runbook_tasks_are_ticked_off_in_restore_order(responder: BrowserContext, incident_url: str) -> None:
    page = responder.new_page()
    page.goto(f"{incident_url}?lang=en")
    tasks = page.locator("ol.tasks > li")
    titles = tasks.locator("strong").all_inner_texts()
    assert titles[0] == "Confirm which payments and channels fail"
    for index in range(3):
        tasks.nth(index).get_by_role("button", name="Done").click()
        page.wait_for_load_state()
        expect(tasks.nth(index)).to_have_class(re.compile(r"task-done"))
    expect(tasks.nth(3)).to_have_class(re.compile(r"task-pending"))
    page.close()


def test_a_viewer_sees_no_write_buttons_and_is_refused_when_posting_anyway(
    browser: Browser, server: Console, incident_url: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    browser_sign_in(page, server, "watcher")
    page.goto(f"{incident_url}?lang=en")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    assert page.locator("form[method=post][action^='/incidents']").count() == 0
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    answer = page.request.post(f"{incident_url}/actions/note", form={"text": "sneaky"})
    assert answer.status == 403
    context.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_screenshots_of_the_dashboard_and_the_room(
    responder: BrowserContext, server: Console, incident_url: str, lang: str
) -> None:
    page = responder.new_page()
    page.goto(f"{server.url}/?lang={lang}")
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{lang}.png"), full_page=True)
    page.goto(f"{incident_url}?lang={lang}")
    page.screenshot(path=str(SCREENSHOTS / f"incident-room-{lang}.png"), full_page=True)
    assert (SCREENSHOTS / f"incident-room-{lang}.png").stat().st_size > 10_000
    page.close()


def test_a_commander_uploads_a_broken_plan_and_sees_the_line_numbered_error(
    commander: BrowserContext, server: Console, tmp_path: Path
) -> None:
    page = commander.new_page()
    page.goto(f"{server.url}/events/cloud-summit-2026/plan?lang=en")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "format_version: 1\nevent:\n  slug: cloud-summit-2026\n  timezone: Mars/Olympus\n", "utf-8"
    )
    page.get_by_label("Plan file (YAML)").set_input_files(str(broken))
    page.get_by_role("button", name="Validate and apply").click()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text(re.compile(r"broken\.yaml:\d+:\d+: "))
    page.close()


def test_the_dashboard_and_the_room_fit_a_phone_screen(
    browser: Browser, server: Console, incident_url: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    browser_sign_in(page, server, "tech")
    for url in (f"{server.url}/?lang=en", f"{incident_url}?lang=zh-CN"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
    context.close()


def test_the_keyboard_focus_is_visible(browser: Browser, server: Console) -> None:
    page = browser.new_page()
    page.goto(f"{server.url}/login?lang=en")
    for _ in range(4):
        page.keyboard.press("Tab")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()"
        )
        assert style[1] != "none" and style[2] != "0px", style
    page.close()
