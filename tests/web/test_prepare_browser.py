"""The preparation pages in real headless Chromium, in zh-CN and English, against a real server
process: the risk register with its heat map, the readiness gate, the probes page (sparklines from
real checks of a local HTTP server, pausing a probe) and the moderation queue (messages pushed through
the API, hidden by a moderator). axe-core finds no serious or critical violation; each page is
screenshot (``make screenshots`` writes them to docs/screenshots)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect

from eventguard.alerts import integrations
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock, SystemClock
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.probes.scheduler import ProbeScheduler
from tests.conftest import EXAMPLE_PLAN
from tests.probes.servers import Served, http_server
from tests.web.conftest import Console, axe_violations, browser_sign_in, live_now, running_server
from tests.web.test_browser import SCREENSHOTS

SLUG = "cloud-summit-2026"
LANGUAGES = ("zh-CN", "en")


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with http_server() as server:
        yield server


def _plan(url: str) -> str:
    document = yaml.safe_load(live_now(EXAMPLE_PLAN.read_text(encoding="utf-8"), dt.datetime.now(dt.UTC)))
    document.pop("drills", None)  # its steps name the example's probes
    document["monitoring"] = [
        {
            "id": "login-endpoint",
            "kind": "http",
            "target": f"{url}/health",
            "interval": "10s",
            "threshold": "1s",
            "component": "login",
            "labels": {"alertname": "LoginProbeFailed"},
        },
        {
            "id": "payment-health",
            "kind": "http",
            "target": f"{url}/health",
            "interval": "30s",
            "component": "payment",
            "labels": {"alertname": "PaymentProbeFailed"},
        },
    ]
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def secrets() -> dict[str, str]:
    return {"boss": ""}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, served: Served, secrets: dict[str, str]
) -> Iterator[Console]:
    with running_server(tmp_path_factory.mktemp("prepare"), _plan(served.url), totp=secrets) as console:
        database = Database(console.database_url)
        clock = FrozenClock(SystemClock().now())
        scheduler = ProbeScheduler(database=database, clock=clock, spread=False)
        for mode in ("ok", "ok", "slow", "error", "error", "ok", "ok"):
            served.behaviour.mode = mode
            # A thread of its own: Playwright's sync API keeps an event loop running in this one.
            checking = threading.Thread(target=scheduler.run_once)
            checking.start()
            checking.join(timeout=60)
            clock.advance(dt.timedelta(seconds=30))
        with database.session(write=True) as db:
            event = events.get_by_slug(db=db, slug=SLUG)
            _integration, token = integrations.create(
                db=db, event=event, name="chat", kind="watch", actor=Actor.cli("test"), clock=SystemClock()
            )
            db.commit()
        database.dispose()
        messages = [
            {"id": "m-1", "sender": "u-101", "text": "加微信领红包,私聊我"},
            {"id": "m-2", "sender": "u-102", "text": "Get free crypto now"},
            *({"id": f"b-{n}", "sender": "u-666", "text": "刷单兼职 日赚三百"} for n in range(8)),
        ]
        answer = httpx.post(
            f"{console.url}/api/v1/watch/messages",
            json={"messages": messages},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        yield console


@pytest.fixture(scope="module")
def commander(browser: Browser, server: Console, secrets: dict[str, str]) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # The seed used the current code to enrol; a code is accepted once, so the next one.
    browser_sign_in(page, server, "boss", pyotp.TOTP(secrets["boss"]).at(time.time() + 30))
    page.wait_for_url(f"{server.url}/")
    page.close()
    yield context
    context.close()


def _check_and_shoot(page: Page, name: str, lang: str) -> None:
    assert axe_violations(page) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS) / f"prepare-{name}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_register_and_its_heat_map(commander: BrowserContext, server: Console, lang: str) -> None:
    page = commander.new_page()
    page.goto(f"{server.url}/events/{SLUG}/risks?lang={lang}")
    heading = "风险登记册" if lang == "zh-CN" else "Risk register"
    expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible()
    heat_map = page.locator("svg[aria-labelledby=heatmap-title]")
    expect(heat_map).to_be_visible()
    assert "音视频传输中断" in page.content() or "Audio/video interruption" in page.content()
    _check_and_shoot(page, "risks", lang)
    page.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_readiness_gate(commander: BrowserContext, server: Console, lang: str) -> None:
    page = commander.new_page()
    page.goto(f"{server.url}/events/{SLUG}/readiness?lang={lang}")
    heading = "上线检查" if lang == "zh-CN" else "Readiness"
    expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible()
    probes_fix = page.locator(f"a[href='/events/{SLUG}/probes']").first
    expect(probes_fix).to_be_attached()
    _check_and_shoot(page, "readiness", lang)
    page.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_probes_page_charts_results_and_pauses_a_probe(
    commander: BrowserContext, server: Console, lang: str
) -> None:
    page = commander.new_page()
    page.goto(f"{server.url}/events/{SLUG}/probes?lang={lang}")
    row = page.locator("#probe-login-endpoint")
    chart = row.locator("svg.sparkline")
    expect(chart).to_be_visible()
    # Seven checks: ok, ok, slow, 500, 500, ok, ok -> 7 bars, 3 of them failed.
    expect(chart.locator("rect.ok")).to_have_count(4)
    expect(chart.locator("rect.failed")).to_have_count(3)
    expect(chart.locator("polyline")).to_have_count(1)
    component = "组件: 登录" if lang == "zh-CN" else "Component: Login"
    expect(page.get_by_role("heading", name=component)).to_be_visible()
    _check_and_shoot(page, "probes", lang)
    pause, resume = ("暂停", "恢复") if lang == "zh-CN" else ("Pause", "Resume")
    row.get_by_role("button", name=pause).click()
    expect(page.locator("#probe-login-endpoint").get_by_role("button", name=resume)).to_be_visible()
    page.locator("#probe-login-endpoint").get_by_role("button", name=resume).click()
    expect(page.locator("#probe-login-endpoint").get_by_role("button", name=pause)).to_be_visible()
    page.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_moderation_queue(commander: BrowserContext, server: Console, lang: str) -> None:
    page = commander.new_page()
    page.goto(f"{server.url}/events/{SLUG}/moderation?lang={lang}")
    heading = re.compile("审核队列" if lang == "zh-CN" else "Moderation queue")
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    expect(page.locator("tr", has_text="加微信领红包").first).to_be_visible()
    expect(page.locator("tr", has_text="u-666").first).to_be_visible()
    _check_and_shoot(page, "moderation", lang)
    if lang == "en":  # once: hide the first word hit; it moves to the hidden list
        row = page.locator("tr", has_text="加微信领红包")
        row.get_by_role("button", name="Hide").click()
        expect(page.locator("tr", has_text="加微信领红包")).to_have_count(0)
        page.goto(f"{server.url}/events/{SLUG}/moderation?review=hidden&lang=en")
        expect(page.locator("tr", has_text="加微信领红包")).to_have_count(1)
    page.close()


def test_a_responder_cannot_open_the_moderation_queue(browser: Browser, server: Console) -> None:
    page = browser.new_page()
    browser_sign_in(page, server, "ops")
    answer = page.goto(f"{server.url}/events/{SLUG}/moderation?lang=en")
    assert answer is not None and answer.status == 403
    assert "加微信领红包" not in page.content()
    page.close()
