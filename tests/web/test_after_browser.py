"""After the event, in real headless Chromium against a real server process: a commander plans and
runs the tabletop exercise while the facilitator records the answers and ratings, and sees its
score; a live drill injected from the console opens a drill incident through the real pipeline and
is scored; a responder edits and submits a postmortem that a commander approves; an action item
proposes a plan change (a broken one first, answered with its line) that a commander accepts as a
new plan version, listed on the plan page with its diff. Every page is checked with axe-core (no
serious or critical violation) and screenshot in zh-CN and en."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from eventguard.audit.service import Actor
from eventguard.auth.models import Role
from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans
from eventguard.reviews import service as reviews
from tests.web.conftest import Console, axe_violations, browser_sign_in, running_server
from tests.web.test_browser import SCREENSHOTS

SLUG = "cloud-summit-2026"
PEOPLE = (
    ("boss", Role.commander, "Li Na"),
    ("ops", Role.responder, "Wang Qiang"),
)
STEP = iter(range(1, 100))


@pytest.fixture(scope="module")
def totp() -> dict[str, str]:
    return {"boss": ""}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, totp: dict[str, str]) -> Iterator[Console]:
    with running_server(tmp_path_factory.mktemp("after"), None, PEOPLE, totp) as running:
        yield running


@pytest.fixture(scope="module")
def people(browser: Browser, console: Console, totp: dict[str, str]) -> Iterator[dict[str, BrowserContext]]:
    contexts = {}
    for username, _role, _name in PEOPLE:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
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


@pytest.fixture(scope="module")
def postmortem_id(console: Console) -> int:
    """A resolved level-2 payment incident and its postmortem (what the worker's handler makes when
    the incident is resolved; this server runs without a worker), through the services."""
    database = Database(console.database_url)
    clock, ops = SystemClock(), Actor.cli("Wang Qiang")
    try:
        with database.session(write=True) as db:
            event = events.get_by_slug(db=db, slug=SLUG)
            incident = incidents.declare(
                db=db,
                event=event,
                spec=plans.get_active_plan(db=db, event_id=event.id),
                title="Payment gateway down",
                level=2,
                scenario_id="payment-failure",
                core_functions=None,
                impact="Nobody could pay",
                phase="prep",
                actor=ops,
                clock=clock,
            )
            incidents.acknowledge(db=db, incident=incident, actor=ops, clock=clock)
            incidents.resolve(db=db, incident=incident, actor=ops, clock=clock, note="switched provider")
            found = reviews.create_for_incident(
                db=db, incident=incident, actor=ops, clock=clock, language="en"
            )
            db.commit()
            return found.id
    finally:
        database.dispose()


def check(page: Page, name: str, lang: str) -> None:
    """axe-core finds no serious or critical violation; then the screenshot of this step."""
    assert axe_violations(page) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"after-{next(STEP):02d}-{name}-{lang}.png"), full_page=True)


def test_a_tabletop_exercise_is_planned_run_answered_and_scored(
    people: dict[str, BrowserContext], console: Console
) -> None:
    boss = people["boss"].new_page()
    boss.goto(f"{console.url}/events/{SLUG}/drills?lang=zh-CN")
    expect(boss.get_by_role("heading", name="预案中的演练")).to_be_visible()
    check(boss, "drills", "zh-CN")
    boss.get_by_role("button", name="开始桌面推演: 数据泄露桌面推演").click()
    expect(boss.get_by_role("heading", name="导调员视图")).to_be_visible()
    run_url = boss.url.split("?")[0]
    facilitator = people["ops"].new_page()
    facilitator.goto(f"{run_url}?lang=en")
    answers = [
        ("The tech lead contains it; legal is told within 5 minutes", "As the plan expects", "tech"),
        ("Within four hours, with what happened and the data categories", "As the plan expects", "legal"),
        ("PR drafts it and legal reviews", "Partly", "pr"),
    ]
    for number, (answer, rating, team) in enumerate(answers, start=1):
        expect(facilitator.get_by_role("heading", name=f"Question {number}")).to_be_visible()
        if number == 1:
            expect(
                facilitator.get_by_text("The tech lead contains it and preserves evidence")
            ).to_be_visible()
            check(facilitator, "tabletop-facilitator", "en")
        facilitator.get_by_label("Answer given").fill(answer)
        facilitator.get_by_label(rating).check()
        facilitator.get_by_label("Team that answered").select_option(team)
        facilitator.get_by_role("button", name="Record the answer").click()
        expect(facilitator.get_by_role("link", name=f"Question {number}")).to_be_visible()
    expect(facilitator.locator(".stepper .ok")).to_have_count(3)
    expect(facilitator.get_by_role("button", name="Finish and score")).to_have_count(0)  # a commander's
    boss.goto(f"{run_url}?lang=zh-CN")
    expect(boss.locator("#verdict")).to_contain_text("83/100")
    check(boss, "tabletop-answered", "zh-CN")
    boss.get_by_label("导调员记录").fill("公关需要补上指挥官批准这一步")
    boss.get_by_role("button", name="结束并评分").click()
    expect(boss.get_by_role("heading", name="演练评估报告: 数据泄露桌面推演")).to_be_visible()
    expect(boss.locator("#verdict")).to_contain_text("83/100")
    check(boss, "tabletop-report", "zh-CN")
    boss.goto(f"{run_url}/report?lang=en")
    expect(boss.locator("#verdict")).to_contain_text("83/100, passed (pass score 80)")
    expect(boss.locator("#gaps")).to_be_visible()
    expect(boss.get_by_text("Improve: Question 3")).to_be_visible()
    check(boss, "tabletop-report", "en")
    boss.close()
    facilitator.close()


def test_a_live_drill_started_in_the_console_is_injected_and_scored(
    people: dict[str, BrowserContext], console: Console
) -> None:
    boss = people["boss"].new_page()
    boss.goto(f"{console.url}/events/{SLUG}/drills?lang=en")
    boss.get_by_role("button", name="Start the live drill: Main livestream outage drill").click()
    expect(boss.get_by_role("heading", name="Injected steps")).to_be_visible()
    console.wait_for_intake()  # the step due at the start went to the intake journal with the start
    boss.reload()
    incident_link = boss.locator("main a[href^='/incidents/']").first
    expect(incident_link).to_be_visible()
    scorecard = boss.locator("table.scorecard")
    expect(scorecard).to_contain_text("Time to acknowledge")
    check(boss, "live-running", "en")
    room = incident_link.get_attribute("href")
    assert room is not None
    ops = people["ops"].new_page()
    ops.goto(f"{console.url}{room}?lang=en")
    expect(ops.locator("h1")).to_contain_text("DRILL")
    ops.get_by_role("button", name="Acknowledge").click()
    expect(ops.locator("#status")).to_have_text("acknowledged")
    ops.close()
    boss.reload()
    boss.get_by_role("button", name="Finish and score").click()
    expect(
        boss.get_by_role("heading", name="Drill evaluation report: Main livestream outage drill")
    ).to_be_visible()
    row = boss.locator("table.scorecard tr", has_text="Time to acknowledge")
    expect(row.locator("td").nth(4)).to_have_text("100")  # acknowledged within the 5 minutes
    expect(boss.locator("#verdict")).to_contain_text("/100")
    check(boss, "live-report", "en")
    boss.goto(boss.url.split("?")[0] + "?lang=zh-CN")
    expect(boss.get_by_role("heading", name="不足")).to_be_visible()
    check(boss, "live-report", "zh-CN")
    boss.close()


def test_a_postmortem_is_edited_and_submitted_by_one_user_and_approved_by_a_commander(
    people: dict[str, BrowserContext], console: Console, postmortem_id: int
) -> None:
    ops = people["ops"].new_page()
    ops.goto(f"{console.url}/events/{SLUG}/postmortems?lang=en")
    expect(ops.get_by_role("link", name="Payment gateway down")).to_be_visible()
    check(ops, "postmortems", "en")
    ops.get_by_role("link", name="Payment gateway down").click()
    expect(ops.get_by_label("Summary")).to_have_value(
        "Payment gateway down (level 2, scenario Payment failure)."
    )
    expect(ops.locator(".timeline")).to_contain_text("switched provider")
    ops.get_by_label("Root causes").fill("The provider's certificate expired")
    ops.get_by_label("Participants affected").fill("1200")
    ops.get_by_role("button", name="Save a new version").click()
    expect(ops.locator("#pm-status")).to_have_text("draft v2")
    expect(ops.get_by_role("link", name="v1")).to_be_visible()
    check(ops, "postmortem-editor", "en")
    ops.get_by_role("button", name="Submit for review").click()
    expect(ops.locator("#pm-status")).to_have_text("in review v2")
    expect(ops.get_by_role("button", name="Approve")).to_have_count(0)  # the commander's
    boss = people["boss"].new_page()
    boss.goto(f"{console.url}/postmortems/{postmortem_id}?lang=zh-CN")
    check(boss, "postmortem-review", "zh-CN")
    boss.get_by_role("button", name="批准").click()
    expect(boss.locator("#pm-status")).to_contain_text("v2")
    expect(boss.get_by_text("Li Na")).to_be_visible()  # approved by
    expect(boss.get_by_role("button", name="保存为新版本")).to_have_count(0)  # approved: closed
    ops.goto(f"{console.url}/postmortems/{postmortem_id}?version=1&lang=en")
    expect(ops.get_by_role("heading", name="Version 1 as it was")).to_be_visible()
    expect(ops.get_by_text("certificate expired")).to_have_count(0)
    boss.close()
    ops.close()


def test_an_action_item_proposes_a_plan_change_that_a_commander_accepts(
    people: dict[str, BrowserContext], console: Console, postmortem_id: int
) -> None:
    ops = people["ops"].new_page()
    ops.goto(f"{console.url}/postmortems/{postmortem_id}?lang=en")
    ops.get_by_role("textbox", name="Action item").fill("Notify the tech lead sooner")
    ops.get_by_label("Owner team").select_option("tech")
    ops.get_by_label("Due date").fill("2027-01-15")
    ops.get_by_role("button", name="Add the action item").click()
    ops.get_by_role("row", name="Notify the tech lead sooner").get_by_role("link").first.click()
    expect(ops.get_by_role("heading", name="Plan change")).to_be_visible()
    source = ops.get_by_label("The whole plan (YAML), as it should become").input_value()
    assert "notify_within: 5m" in source
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if "notify_within: 5m" in text)
    ops.get_by_label("The whole plan (YAML), as it should become").fill(
        source.replace("notify_within: 5m", "notify_within: soon", 1)
    )
    ops.get_by_role("button", name="Validate and propose").click()
    errors = ops.locator("ul.error")
    expect(errors).to_contain_text(f":{line}:")
    check(ops, "plan-change-refused", "en")
    ops.get_by_label("The whole plan (YAML), as it should become").fill(
        source.replace("notify_within: 5m", "notify_within: 3m", 1)
    )
    ops.get_by_role("button", name="Validate and propose").click()
    expect(ops.get_by_text("proposes a change to plan version 1")).to_be_visible()
    expect(ops.get_by_role("button", name="Accept as a new plan version")).to_have_count(0)
    item_url = ops.url.split("#")[0]
    ops.close()
    boss = people["boss"].new_page()
    boss.goto(f"{item_url}?lang=zh-CN")
    check(boss, "plan-change-proposed", "zh-CN")
    boss.get_by_role("button", name="采纳为新的预案版本").click()
    expect(boss.get_by_role("heading", name="来自事件与演练的修订")).to_be_visible()
    revisions = boss.locator("#revisions")
    expect(revisions).to_contain_text("Notify the tech lead sooner")
    expect(revisions.locator("a[href^='/incidents/']")).to_have_count(1)
    expect(boss.locator("pre.diff")).to_contain_text("notify_within: 3m")
    check(boss, "plan-revisions", "zh-CN")
    boss.goto(boss.url.split("?")[0] + "?lang=en#revisions")
    expect(boss.get_by_role("heading", name="Revisions from incidents and drills")).to_be_visible()
    boss.locator("#revisions").get_by_role("link", name="What changed").click()
    expect(boss.locator("pre.diff")).to_contain_text("notify_within: 3m")
    check(boss, "plan-revisions", "en")
    boss.close()
