"""The console's silences and maintenance windows pages in headless Chromium: a responder silences an
edge alert through the form; a commander adds a weekly maintenance window that posts on the status
page (affected core functions, public title, how long ahead, subscribers), and the list shows it next
to the plan's own windows; axe-core finds no serious violation; screenshots in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from eventguard.auth.models import Role
from eventguard.db import Database
from eventguard.noise.models import MaintenanceWindow, Silence
from tests.web.conftest import Console, axe_violations, browser_sign_in, running_server
from tests.web.test_browser import SCREENSHOTS

SLUG = "cloud-summit-2026"
PEOPLE = (("boss", Role.commander, "Li Na"), ("ops", Role.responder, "Wang Qiang"))


@pytest.fixture(scope="module")
def totp() -> dict[str, str]:
    return {"boss": ""}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, totp: dict[str, str]) -> Iterator[Console]:
    with running_server(tmp_path_factory.mktemp("noise"), None, PEOPLE, totp) as running:
        yield running


@pytest.fixture(scope="module")
def people(browser: Browser, console: Console, totp: dict[str, str]) -> Iterator[dict[str, BrowserContext]]:
    contexts = {}
    for username, _role, _name in PEOPLE:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        later = datetime.now(UTC) + timedelta(seconds=30)  # not the code the enrolment used
        browser_sign_in(
            page, console, username, pyotp.TOTP(totp[username]).at(later) if username in totp else ""
        )
        assert "/login" not in page.url and "two-factor" not in page.url, (username, page.url)
        page.close()
        contexts[username] = context
    yield contexts
    for context in contexts.values():
        context.close()


def _rows(
    console: Console, model: type[Silence] | type[MaintenanceWindow]
) -> list[Silence | MaintenanceWindow]:
    database = Database(console.database_url)
    try:
        with database.session() as db:
            return list(db.scalars(select(model)).all())
    finally:
        database.dispose()


def _shot(page: Page, name: str) -> None:
    assert axe_violations(page) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_responder_silences_an_edge_alert_from_the_form(
    people: dict[str, BrowserContext], console: Console
) -> None:
    page = people["ops"].new_page()
    page.goto(f"{console.url}/events/{SLUG}/silences?lang=en")
    page.get_by_label("Matchers, one per line (=, !=, =~, !~)").fill(
        'alertname="HLSPlaylistStale"\ninstance=~"edge-.*"'
    )
    page.get_by_label("Duration (30m, 2h, 1d)").fill("45m")
    page.get_by_label("Comment").fill("Swapping the edge nodes")
    page.get_by_role("button", name="Create silence").click()
    page.wait_for_load_state()
    [silence] = _rows(console, Silence)
    row = page.locator(f"#silence-{silence.id}")
    expect(row).to_contain_text('instance=~"edge-.*"')
    expect(row).to_contain_text("Swapping the edge nodes")
    expect(row.get_by_role("button", name="Expire")).to_be_visible()
    _shot(page, "noise-silences-en")
    page.goto(f"{console.url}/events/{SLUG}/silences?lang=zh-CN")
    expect(page.get_by_role("heading", name="静默", exact=True)).to_be_visible()
    _shot(page, "noise-silences-zh-CN")
    page.close()


def test_a_commander_adds_a_weekly_window_that_posts_on_the_status_page(
    people: dict[str, BrowserContext], console: Console
) -> None:
    page = people["boss"].new_page()
    page.goto(f"{console.url}/events/{SLUG}/maintenance?lang=en")
    expect(page.locator("#windows")).to_contain_text("the plan")  # the plan's own windows are listed
    page.get_by_label("Name", exact=True).fill("CDN switch-over")
    page.get_by_label("Matchers, one per line (=, !=, =~, !~)").fill("component=cdn")
    page.get_by_label("First start (Asia/Shanghai)").fill("2026-05-21T01:00")
    page.get_by_label("Duration (30m, 2h, 1d)").fill("2h")
    page.get_by_label("Repeat", exact=True).select_option("weekly")
    page.get_by_label("Repeat until (Asia/Shanghai, optional)").fill("2026-06-30T00:00")
    page.get_by_label("Post each occurrence on the status page as scheduled maintenance").check()
    page.get_by_label("Livestream").check()
    page.get_by_label("Materials download").check()
    page.get_by_label("Public title (en)").fill("Planned CDN switch-over")
    page.get_by_label("Public text (en)").fill("Streams may pause for a few seconds.")
    page.get_by_label("Post it this long ahead (30m, 2h, 1d)").fill("3h")
    _shot(page, "noise-maintenance-form-en")
    page.get_by_role("button", name="Create maintenance window").click()
    page.wait_for_load_state()

    [window] = _rows(console, MaintenanceWindow)
    assert isinstance(window, MaintenanceWindow)
    assert window.repeat == "weekly" and window.starts_at.isoformat() == "2026-05-20T17:00:00+00:00"
    assert window.until is not None and window.until.isoformat() == "2026-06-29T16:00:00+00:00"
    assert window.status_page == {
        "components": ["livestream", "materials"],
        "title": {"zh-CN": "Planned CDN switch-over", "en": "Planned CDN switch-over"},
        "body": {
            "zh-CN": "Streams may pause for a few seconds.",
            "en": "Streams may pause for a few seconds.",
        },
        "announce_before_seconds": 3 * 3600,
        "notify": True,
    }
    row = page.locator(f"#window-api-{window.id}")
    expect(row.locator(".posted")).to_have_text(
        "Livestream, Materials download · 3.0 h ahead · subscribers told"
    )
    _shot(page, "noise-maintenance-en")
    page.goto(f"{console.url}/events/{SLUG}/maintenance?lang=zh-CN")
    expect(page.locator(f"#window-api-{window.id} .posted")).to_have_text(
        "直播流, 资料下载 · 提前 3.0 小时 · 通知订阅者"
    )
    _shot(page, "noise-maintenance-zh-CN")

    # Posting without naming an affected core function is refused on the page, nothing stored.
    page.goto(f"{console.url}/events/{SLUG}/maintenance?lang=en")
    page.get_by_label("Name", exact=True).fill("Database failover test")
    page.get_by_label("Matchers, one per line (=, !=, =~, !~)").fill("component=db")
    page.get_by_label("First start (Asia/Shanghai)").fill("2026-05-22T02:00")
    page.get_by_label("Post each occurrence on the status page as scheduled maintenance").check()
    page.get_by_role("button", name="Create maintenance window").click()
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_have_text(
        "Name the core functions the maintenance affects on the status page."
    )
    assert len(_rows(console, MaintenanceWindow)) == 1
    page.close()
