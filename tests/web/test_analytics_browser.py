"""The analytics page in real headless Chromium against a real server process, zh-CN and en: the
nav link leads there, the charts are drawn (SVG images with their titles), the figures read
without JavaScript, no serious accessibility violation; a screenshot of each language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from eventguard.db import Database
from eventguard.events import service as events
from tests.analytics.seed import seed
from tests.web.conftest import Console, axe_violations, browser_sign_in, running_server
from tests.web.test_browser import SCREENSHOTS


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A server whose database holds the seeded incidents, SLA rows, drill runs and action items
    (of the example event only: the dashboard shows every event, and needs each one's plan)."""
    with running_server(tmp_path_factory.mktemp("analytics")) as running:
        database = Database(running.database_url)
        try:
            with database.session(write=True) as db:
                seed(db, events.get_by_slug(db=db, slug="cloud-summit-2026"), other=False)
        finally:
            database.dispose()
        yield running


@pytest.fixture(scope="module")
def viewer(browser: Browser, console: Console) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    browser_sign_in(context.new_page(), console, "watcher")
    yield context
    context.close()


@pytest.mark.parametrize(
    ("lang", "heading", "level_chart", "mtta"),
    [
        ("zh-CN", "统计分析", "按级别统计事件", "3 分钟"),
        ("en", "Analytics", "Incidents by level", "3 min"),
    ],
)
def test_the_analytics_page_of_one_event(
    viewer: BrowserContext, console: Console, lang: str, heading: str, level_chart: str, mtta: str
) -> None:
    page = viewer.new_page()
    page.goto(f"{console.url}/?lang={lang}")
    page.get_by_role("navigation", name="控制台" if lang == "zh-CN" else "Console").get_by_role(
        "link", name="统计分析" if lang == "zh-CN" else "Analytics"
    ).click()
    page.wait_for_load_state()
    page.get_by_role("combobox", name="活动" if lang == "zh-CN" else "Event").select_option(
        "cloud-summit-2026"
    )
    page.get_by_role("button", name="查看" if lang == "zh-CN" else "Show").click()
    page.wait_for_load_state()
    assert "event=cloud-summit-2026" in page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.get_by_role("img", name=level_chart)).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(9)
    expect(page.locator(".figures")).to_contain_text(mtta)  # MTTA of the event: 180 s
    # Its stylesheet is a file (the console's CSP refuses inline styles): the figures are a grid.
    assert page.locator(".figures").evaluate("e => getComputedStyle(e).display") == "grid"
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = Path(SCREENSHOTS) / f"analytics-{lang}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    page.close()


def test_the_figures_and_charts_need_no_javascript(browser: Browser, console: Console) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, console, "watcher")
    page.goto(f"{console.url}/analytics?lang=en")
    expect(page.get_by_role("img", name="Drill scores over time")).to_be_visible()
    expect(page.locator("#chart-drills text", has_text="85")).to_have_count(1)
    expect(page.locator(".figures")).to_contain_text("3 min")  # MTTA 180 s
    context.close()
