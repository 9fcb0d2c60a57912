"""The seed's level-1 scenario played through the console alone, by role, in real headless Chromium
against a real server process: a server crash in the live phase pauses the event; the commander
acknowledges, assigns roles, merges a duplicate, re-levels with a reason, resumes and resolves; tech
works the runbook and reports progress with an ETA; operations switches the backup stream on and
checks what participants see; PR drafts, previews both languages, edits and submits an announcement
that a second commander approves; legal reads the scenario's legal guidance. Every page is checked
with axe-core (no serious or critical violation) and each step is screenshot in zh-CN and en, on a
desktop and at 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect

from eventguard.auth.models import Role
from tests.conftest import EXAMPLE_PLAN
from tests.web.conftest import Console, axe_violations, browser_sign_in, live_now, running_server
from tests.web.test_browser import SCREENSHOTS

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PEOPLE = (
    ("boss", Role.commander, "Li Na"),  # the organizer's lead: incident commander, second approver
    ("pr", Role.commander, "Zhou Ting"),  # PR lead: drafts and submits (submitting is a commander's act)
    ("tech", Role.responder, "Zhang Wei"),
    ("ops", Role.responder, "Wang Qiang"),
    ("legal", Role.responder, "Wu Hao"),
)
CRASH = {
    "title": "api-1 down (rehearsal)",
    "severity": "critical",
    "labels": {"alertname": "ServerCrash", "instance": "api-1"},
}
DUPLICATE = {
    "title": "node-7 not answering",
    "severity": "critical",
    "labels": {"alertname": "NodeDown", "instance": "node-7"},
}


@pytest.fixture(scope="module")
def totp() -> dict[str, str]:
    return {"boss": "", "pr": ""}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, totp: dict[str, str]) -> Iterator[Console]:
    """The server, with the example plan's live phase moved to now (the crash happens during the event)."""
    source = live_now(EXAMPLE_PLAN.read_text(encoding="utf-8"), datetime.now(UTC))
    with running_server(tmp_path_factory.mktemp("command-post"), source, PEOPLE, totp) as running:
        yield running


@pytest.fixture(scope="module")
def people(browser: Browser, console: Console, totp: dict[str, str]) -> Iterator[dict[str, BrowserContext]]:
    """One signed-in browser context per person (commanders with their two-factor code)."""
    contexts = {}
    for username, _role, _name in PEOPLE:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        later = datetime.now(UTC) + timedelta(seconds=30)  # not the code the enrolment used
        code = pyotp.TOTP(totp[username]).at(later) if username in totp else ""
        browser_sign_in(page, console, username, code)
        assert "/login" not in page.url and "two-factor" not in page.url, (username, page.url)
        page.close()
        contexts[username] = context
    yield contexts
    for context in contexts.values():
        context.close()


def _post_alert(console: Console, alert: dict[str, object]) -> None:
    headers = {"Authorization": f"Bearer {console.intake_token}"}
    answer = httpx.post(f"{console.url}/api/v1/integrations/generic", json=alert, headers=headers, timeout=10)
    assert answer.status_code in (200, 202), answer.text
    console.wait_for_intake()


@pytest.fixture(scope="module")
def room(console: Console) -> str:
    """The server crash alert opens a level-1 incident; its room's URL."""
    _post_alert(console, CRASH)
    return f"{console.url}/incidents/1"


STEP = iter(range(1, 100))


def check(page: Page, name: str, lang: str, phone: bool = False) -> None:
    """axe-core finds no serious or critical violation; then the screenshot of this step."""
    if phone:
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert axe_violations(page) == [], name
    size = "phone" if phone else "desktop"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"cp-{next(STEP):02d}-{name}-{lang}-{size}.png"), full_page=True)
    if phone:
        page.set_viewport_size(DESKTOP)


def open_room(context: BrowserContext, url: str, lang: str) -> Page:
    page = context.new_page()
    page.goto(f"{url}?lang={lang}")
    return page


def test_the_crash_opens_a_paused_level_1_incident_shown_on_the_dashboard(
    people: dict[str, BrowserContext], console: Console, room: str
) -> None:
    page = people["boss"].new_page()
    page.goto(f"{console.url}/?lang=zh-CN")
    row = page.locator("tr", has=page.get_by_role("link", name="#1"))
    expect(row).to_contain_text("L1")
    expect(page.locator(".banner-paused")).to_contain_text("活动已暂停")
    expect(page.get_by_role("heading", name="渠道状态")).to_be_visible()
    check(page, "dashboard-paused", "zh-CN")
    page.goto(f"{console.url}/?lang=en")
    expect(row).to_contain_text("paused")
    check(page, "dashboard", "en", phone=True)
    page.close()


def test_the_commander_sees_the_header_at_a_glance_acknowledges_and_assigns_roles(
    people: dict[str, BrowserContext], room: str
) -> None:
    page = open_room(people["boss"], room, "en")
    head = page.locator("#room-head-live")
    expect(head.locator("h1")).to_contain_text("L1")
    expect(head.locator("h1")).not_to_contain_text("(rehearsal)")  # the scenario's name wins
    expect(page.locator("#paused")).to_have_text("paused")
    expect(head.locator(".banner-paused")).to_be_visible()
    countdown = page.locator("#sla-countdown li")
    expect(countdown.first).to_contain_text("left")  # nobody reached yet: the clock runs per role
    assert countdown.count() >= 5  # organizer, tech, ops, PR and legal leads at least
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#status")).to_have_text("acknowledged")
    page.get_by_label("Role", exact=True).select_option("tech_lead")
    page.get_by_label("Person", exact=True).select_option(label="张伟 (Zhang Wei)")
    page.get_by_role("button", name="Assign role").click()
    expect(page.locator("#timeline")).to_contain_text("张伟 (Zhang Wei)")
    check(page, "room-commander", "en")
    page.close()


def test_tech_works_the_runbook_in_restore_order_and_reports_progress_with_an_eta(
    people: dict[str, BrowserContext], room: str
) -> None:
    page = open_room(people["tech"], room, "zh-CN")
    tasks = page.locator("ol.tasks > li")
    expect(tasks.first).to_contain_text("确认中断范围")
    expect(tasks.first.locator(".owner")).to_have_text("技术团队")  # a team's name, not its id
    expect(tasks.first).to_contain_text("值班")  # and who of it is on call now
    tasks.first.get_by_role("button", name=re.compile("^完成")).click()
    expect(tasks.first).to_have_class(re.compile("task-done"))
    eta = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Shanghai"))
    page.get_by_label("进展更新").fill("主服务器已定位:api-1 内存耗尽,正在切换备用节点")
    page.get_by_label(re.compile("预计恢复时间")).fill(eta.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="添加进展").click()
    expect(page.locator("#eta")).not_to_have_text("—")
    check(page, "runbook-tech", "zh-CN", phone=True)
    page.close()


def test_ops_switches_the_backup_stream_on_and_sees_what_participants_see(
    people: dict[str, BrowserContext], console: Console, room: str
) -> None:
    page = open_room(people["ops"], room, "zh-CN")
    backup = page.locator("#backup-backup-stream")
    backup.get_by_role("button", name=re.compile("启用")).click()
    expect(page.locator("#backup-backup-stream .tag").first).to_have_text("已启用")
    expect(page.locator("#active-backups")).to_contain_text("备用直播平台")
    check(page, "backups-ops", "zh-CN")
    with page.expect_navigation():
        page.get_by_role("link", name="参与者看到的内容(状态页)").click()
    expect(page.get_by_text("备用观看页").first).to_be_visible()
    page.goto(f"{console.url}/status/cloud-summit-2026?lang=en")
    expect(page.get_by_text("Backup watch page").first).to_be_visible()
    check(page, "status-page-participants", "en", phone=True)
    page.close()


def test_pr_drafts_previews_both_languages_edits_and_submits_an_announcement(
    people: dict[str, BrowserContext], room: str
) -> None:
    page = open_room(people["pr"], room, "en")
    comms = page.locator("#panel-comms")
    comms.get_by_label("Template").select_option("livestream-announcement")
    comms.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("[lang=zh-CN]")).to_contain_text("https://backup-live.example.com")
    expect(preview.locator("[lang=en]")).to_contain_text("https://backup-live.example.com")
    page.locator("#panel-comms").get_by_role("button", name="Save as draft").click()
    draft = page.locator("#panel-comms article.update").first
    expect(draft).to_contain_text("draft")
    draft.get_by_text("Edit").click()
    title = draft.get_by_label("Title (English)")
    title.fill(title.input_value() + " — backup stream live")
    draft.get_by_role("button", name="Save the draft").click()
    draft = page.locator("#panel-comms article.update").first
    expect(draft.locator("[lang=en] .u-title")).to_contain_text("backup stream live")
    check(page, "announcement-draft-pr", "en")
    draft.get_by_role("button", name="Submit for approval").click()
    draft = page.locator("#panel-comms article.update").first
    expect(draft).to_contain_text("waiting for approval")
    expect(draft.get_by_role("button", name="Approve and publish")).to_have_count(0)  # not by the same person
    check(page, "announcement-submitted-pr", "en", phone=True)
    page.close()


def test_a_second_commander_approves_and_the_status_page_shows_it(
    people: dict[str, BrowserContext], console: Console, room: str
) -> None:
    page = open_room(people["boss"], room, "zh-CN")
    comms = page.locator("#panel-comms")
    comms.get_by_role("button", name="批准并发布").click()
    expect(comms.locator(".updates-done")).to_contain_text("已发布")
    check(page, "announcement-approved", "zh-CN")
    page.goto(f"{console.url}/status/cloud-summit-2026?lang=en")
    expect(page.get_by_text("backup stream live").first).to_be_visible()
    page.close()


def test_legal_reads_the_scenarios_legal_guidance_and_posts_progress(
    people: dict[str, BrowserContext], room: str
) -> None:
    plan = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    scenario = next(s for s in plan["scenarios"] if s["id"] == "livestream-interruption")
    page = open_room(people["legal"], room, "en")
    legal = page.locator("#legal")
    if scenario.get("legal"):
        expect(legal.locator(".legal")).to_have_text(scenario["legal"]["en"].strip())
    else:
        expect(legal).to_contain_text("The plan gives no legal guidance for this scenario.")
    note = "Refund and compensation terms checked; no personal data involved."
    page.get_by_label("Progress update").fill(note)
    page.get_by_role("button", name="Add progress update").click()
    expect(page.locator("#timeline")).to_contain_text("Refund and compensation terms checked")
    check(page, "legal-guidance", "en")
    page.goto(f"{room}?lang=zh-CN")
    check(page, "legal-guidance", "zh-CN", phone=True)
    page.close()


def test_the_commander_merges_a_duplicate_relevels_with_a_reason_and_forms_follow_live(
    people: dict[str, BrowserContext], console: Console, room: str
) -> None:
    _post_alert(console, DUPLICATE)
    watcher = open_room(people["tech"], room, "en")
    watcher.wait_for_timeout(300)  # let the EventSource connect
    watcher.evaluate("window.egMarker = 'not reloaded'")
    page = open_room(people["boss"], f"{console.url}/incidents/2", "en")
    page.get_by_label("Merge this incident into").select_option("1")
    page.get_by_role("button", name="Merge").click()
    expect(page.locator("#status")).to_have_text("resolved")
    page.goto(f"{room}?lang=en")
    page.get_by_label("New status").select_option("mitigating")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#status")).to_have_text("mitigating")
    # The other reader's status drop-down no longer offers the status the incident is in: no reload.
    expect(watcher.locator("#status")).to_have_text("mitigating")
    expect(watcher.locator("#status-target option[value=mitigating]")).to_have_count(0)
    expect(watcher.locator("#status-target option[value=monitoring]")).to_have_count(1)
    assert watcher.evaluate("window.egMarker") == "not reloaded"
    page.get_by_label("New level").select_option("2")
    page.get_by_label("Reason", exact=True).first.fill("Backup stream carries the event; partial impact only")
    page.get_by_role("button", name="Change level").click()
    expect(page.locator("#level")).to_have_text("L2")
    expect(watcher.locator("#level")).to_have_text("L2")
    check(watcher, "room-live-tech", "en", phone=True)
    watcher.close()
    page.close()


def test_the_timeline_filters_searches_and_remembers_its_order(
    people: dict[str, BrowserContext], room: str
) -> None:
    page = open_room(people["boss"], room, "en")
    rows = page.locator("#timeline > li")
    first_id = int(rows.first.get_attribute("data-id") or 0)
    assert first_id == max(int(r.get_attribute("data-id") or 0) for r in rows.all())  # newest first
    page.get_by_role("button", name="public", exact=True).click()
    for row in page.locator("#timeline > li:visible").all():
        assert row.get_attribute("data-filter") == "public"
    expect(page.locator("#timeline > li:visible").first).to_be_visible()
    page.get_by_role("button", name="all", exact=True).click()
    page.get_by_label("Search the timeline").fill("Refund")
    expect(page.locator("#timeline > li:visible")).to_have_count(1)
    page.get_by_label("Search the timeline").fill("")
    page.locator("#timeline-order").click()
    expect(page.locator("#timeline-order")).to_have_text("Oldest first")
    page.reload()
    expect(page.locator("#timeline-order")).to_have_text("Oldest first")
    last_id = int(page.locator("#timeline > li").last.get_attribute("data-id") or 0)
    assert last_id == first_id  # oldest first now: the newest is at the bottom, scrolled to
    check(page, "timeline-oldest-first", "en")
    # Keyboard only: every control of the room is in the tab order, a filter toggles with Enter, and a
    # note is typed and sent without the mouse.
    unreachable = page.evaluate(
        "[...document.querySelectorAll('main a, main button, main input, main select, main textarea,"
        " main summary')].filter(e => e.type !== 'hidden' && (e.tabIndex < 0 || e.disabled))"
        ".map(e => e.outerHTML.slice(0, 80))"
    )
    assert unreachable == []
    notes = page.get_by_role("button", name="notes", exact=True)
    notes.focus()
    page.keyboard.press("Enter")
    expect(notes).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # back to "all"
    page.get_by_label("Internal note").focus()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#timeline")).to_contain_text("Typed without a mouse")
    page.locator("#timeline-order").click()
    page.close()


def test_the_commander_resumes_the_event_and_resolves(
    people: dict[str, BrowserContext], console: Console, room: str
) -> None:
    page = open_room(people["boss"], room, "zh-CN")
    page.get_by_role("button", name="恢复活动").click()
    expect(page.locator("#paused")).to_have_text("进行中")
    expect(page.locator(".banner-paused")).to_have_count(0)
    page.get_by_label("新状态").select_option("resolved")
    page.get_by_role("button", name="变更状态").click()
    expect(page.locator("#status")).to_have_text("已恢复")
    check(page, "resolved", "zh-CN")
    page.goto(f"{console.url}/?lang=zh-CN")
    expect(page.get_by_role("link", name="#1")).to_have_count(0)
    check(page, "dashboard-after", "zh-CN", phone=True)
    page.close()


def test_screenshots_stay_few(room: str) -> None:
    assert len(list(Path(SCREENSHOTS).glob("cp-*.png"))) <= 26
