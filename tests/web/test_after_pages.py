"""The drill, postmortem and action item pages as forms (TestClient, both databases): each form is
role- and CSRF-checked, bad input is answered on the page (never a 500), a live run started in the
console goes through the real intake journal, a tabletop run records answers and scores them, a
postmortem is edited in versions, submitted and approved, and an action item's plan change becomes
a plan version listed on the plan page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.drills import service as drills
from eventguard.drills.models import DrillAnswer, DrillRun, DrillStatus
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from eventguard.reviews import service as reviews
from eventguard.reviews.models import ActionItem, Postmortem, PostmortemStatus
from tests.conftest import EXAMPLE_PLAN, ProcessJournal
from tests.web.conftest import SignIn, csrf_of

SLUG = "cloud-summit-2026"


def _post(client: TestClient, page: str, action: str, data: dict[str, str]) -> object:
    """Post ``data`` with the form token of ``page`` (read in English: errors come back in English)."""
    if "lang=" not in page:
        page += ("&" if "?" in page else "?") + "lang=en"
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def _error_of(location: str) -> str:
    match = re.search(r"error=([^#&]+)", location)
    assert match is not None, location
    return unquote(match.group(1))


def _start(client: TestClient, drill: str) -> int:
    answer = _post(client, f"/events/{SLUG}/drills", f"/events/{SLUG}/drills/{drill}/start", {})
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    match = re.fullmatch(r"/drills/(\d+)", location)
    assert match is not None, location
    return int(match.group(1))


def test_the_drills_page_lists_the_plans_drills_in_both_languages(event: Event, sign_in: SignIn) -> None:
    viewer = sign_in("viewer")
    chinese = viewer.get(f"/events/{SLUG}/drills?lang=zh-CN")
    assert chinese.status_code == 200
    assert "主直播流中断演练" in chinese.text and "数据泄露桌面推演" in chinese.text
    assert "开始实战演练" not in chinese.text  # a viewer has no start button
    english = viewer.get(f"/events/{SLUG}/drills?lang=en")
    assert "Main livestream outage drill" in english.text and "Drills and reviews" in english.text
    assert viewer.get("/events/no-such-event/drills").status_code == 404


def test_starting_a_drill_is_for_commanders_and_needs_the_form_token(
    event: Event, sign_in: SignIn, db: Session
) -> None:
    responder = sign_in("responder")
    refused = _post(
        responder, f"/events/{SLUG}/drills", f"/events/{SLUG}/drills/data-leak-tabletop/start", {}
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    commander = sign_in("commander")
    forged = commander.post(
        f"/events/{SLUG}/drills/data-leak-tabletop/start", data={"csrf_token": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert db.scalar(select(DrillRun.id)) is None
    unknown = _post(commander, f"/events/{SLUG}/drills", f"/events/{SLUG}/drills/no-such-drill/start", {})
    assert unknown.status_code == 303  # type: ignore[attr-defined]
    assert "no-such-drill" in _error_of(unknown.headers["location"])  # type: ignore[attr-defined]
    page = commander.get(unknown.headers["location"] + "&lang=en")  # type: ignore[attr-defined]
    assert page.status_code == 200 and "The plan has no drill no-such-drill." in page.text


def test_a_tabletop_run_records_answers_and_scores_them(
    event: Event, sign_in: SignIn, db: Session, clock: FrozenClock
) -> None:
    commander = sign_in("commander")
    run_id = _start(commander, "data-leak-tabletop")
    facilitator = sign_in("responder")
    page = facilitator.get(f"/drills/{run_id}?lang=en")
    assert "Facilitator&#39;s view" in page.text or "Facilitator's view" in page.text
    assert "Registration data has been exported" in page.text  # the first question
    assert "The tech lead contains it" in page.text  # what the plan expects, for the facilitator
    answers = [
        ("1", "Contain, preserve evidence, tell legal", "2", "tech"),
        ("2", "Within 4 hours", "1", "legal"),
    ]
    for position, text, rating, team in answers:
        done = _post(
            facilitator,
            f"/drills/{run_id}?step={position}",
            f"/drills/{run_id}/answers",
            {"position": position, "answer": text, "rating": rating, "team": team},
        )
        assert done.status_code == 303  # type: ignore[attr-defined]
        assert done.headers["location"] == f"/drills/{run_id}?step={int(position) + 1}"  # type: ignore[attr-defined]
    bad = [
        ({"position": "1", "answer": "x", "rating": "7", "team": ""}, "A rating is 0, 1 or 2."),
        ({"position": "9", "answer": "x", "rating": "1", "team": ""}, "has no step 9"),
        ({"position": "abc", "answer": "x", "rating": "1", "team": ""}, "has no step 0"),
        ({"position": "1", "answer": "   ", "rating": "1", "team": ""}, "An answer cannot be empty."),
        ({"position": "1", "answer": "x", "rating": "1", "team": "nobody"}, "The plan has no team nobody."),
    ]
    for form, message in bad:
        answer = _post(facilitator, f"/drills/{run_id}?lang=en", f"/drills/{run_id}/answers", form)
        assert answer.status_code == 303, form  # type: ignore[attr-defined]
        assert message in _error_of(answer.headers["location"]), form  # type: ignore[attr-defined]
    db.commit()
    stored = {a.position: (a.answer, a.rating, a.team) for a in db.scalars(select(DrillAnswer))}
    assert stored == {
        1: ("Contain, preserve evidence, tell legal", 2, "tech"),
        2: ("Within 4 hours", 1, "legal"),
    }
    refused = _post(facilitator, f"/drills/{run_id}", f"/drills/{run_id}/finish", {"notes": ""})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    finished = _post(commander, f"/drills/{run_id}", f"/drills/{run_id}/finish", {"notes": "Legal was quick"})
    assert finished.headers["location"] == f"/drills/{run_id}/report"  # type: ignore[attr-defined]
    db.commit()
    run = db.get_one(DrillRun, run_id)
    db.refresh(run)
    assert run.status is DrillStatus.finished and run.score == 50  # (100 + 50 + 0) / 3
    report = commander.get(f"/drills/{run_id}/report?lang=en")
    assert "50/100, not passed (pass score 80)" in report.text
    assert "Question 3" in report.text and "Legal was quick" in report.text
    markdown = commander.get(f"/api/v1/drills/runs/{run_id}/report?lang=en")  # the page's download link
    assert f'href="/api/v1/drills/runs/{run_id}/report?lang=en"' in report.text
    assert markdown.status_code == 200 and markdown.text.startswith("# Drill evaluation report")
    chinese = commander.get(f"/drills/{run_id}/report?lang=zh-CN")
    assert "演练评估报告" in chinese.text and "改进" in chinese.text
    again = _post(facilitator, f"/drills/{run_id}", f"/drills/{run_id}/answers", dict(bad[0][0], rating="2"))
    assert "not running" in _error_of(again.headers["location"])  # type: ignore[attr-defined]


def test_a_live_run_started_in_the_console_goes_through_the_intake_journal(
    event: Event, sign_in: SignIn, db: Session, clock: FrozenClock, process_journal: ProcessJournal
) -> None:
    commander = sign_in("commander")
    run_id = _start(commander, "stream-outage-drill")
    db.commit()
    injected = [i.position for i in drills.injections(db=db, run_id=run_id) if i.injected_at is not None]
    assert injected == [1]  # the step at 0s went in with the start, the others wait for the worker
    process_journal()
    db.commit()
    opened = db.scalars(select(Incident)).all()
    assert len(opened) == 1 and opened[0].is_drill
    page = commander.get(f"/drills/{run_id}?lang=en")
    assert f"/incidents/{opened[0].id}" in page.text and "Time to acknowledge" in page.text
    again = _post(commander, f"/events/{SLUG}/drills", f"/events/{SLUG}/drills/stream-outage-drill/start", {})
    assert "already running" in _error_of(again.headers["location"])  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=2))
    incidents.acknowledge(db=db, incident=opened[0], actor=Actor.cli("ops"), clock=clock)
    db.commit()
    _post(commander, f"/drills/{run_id}", f"/drills/{run_id}/finish", {"notes": ""})
    report = commander.get(f"/drills/{run_id}/report?lang=en")
    assert re.search(r"Time to acknowledge</td><td>[^<]*</td><td>5:00</td><td>2:00</td>", report.text), (
        report.text
    )
    added = _post(
        commander,
        f"/drills/{run_id}/report",
        f"/drills/{run_id}/action-items",
        {"title": "Switch to the backup faster", "owner_team": "ops", "due": "2026-06-20"},
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    bad_date = _post(
        commander,
        f"/drills/{run_id}/report",
        f"/drills/{run_id}/action-items",
        {"title": "x", "owner_team": "ops", "due": "20.06.2026"},
    )
    location = bad_date.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith(f"/drills/{run_id}/report?error=")
    assert "The due date is not a valid date." in _error_of(location)
    db.commit()
    item = db.scalars(select(ActionItem)).one()
    assert (item.drill_run_id, item.incident_id, item.owner_team) == (run_id, opened[0].id, "ops")


def _resolved_postmortem(db: Session, event: Event, clock: FrozenClock) -> Postmortem:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    ops = Actor.cli("ops")
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payment gateway down",
        level=2,
        scenario_id="payment-failure",
        core_functions=None,
        impact="Nobody could pay",
        phase="prep",
        actor=ops,
        clock=clock,
    )
    clock.advance(timedelta(minutes=3))
    incidents.acknowledge(db=db, incident=incident, actor=ops, clock=clock)
    clock.advance(timedelta(minutes=20))
    incidents.resolve(db=db, incident=incident, actor=ops, clock=clock, note="switched provider")
    postmortem = reviews.create_for_incident(db=db, incident=incident, actor=ops, clock=clock, language="en")
    db.commit()
    return postmortem


def _sections(**changed: str) -> dict[str, str]:
    return {f"section_{name}": text for name, text in changed.items()}


def test_a_postmortem_is_edited_in_versions_submitted_and_approved_by_a_commander(
    event: Event, sign_in: SignIn, db: Session, clock: FrozenClock
) -> None:
    postmortem = _resolved_postmortem(db, event, clock)
    page_url = f"/postmortems/{postmortem.id}"
    responder, viewer, commander = sign_in("responder"), sign_in("viewer"), sign_in("commander")
    page = responder.get(page_url + "?lang=en")
    assert "Payment gateway down" in page.text and "Lasted 23 min" in page.text  # pre-filled
    assert "switched provider" in page.text  # the frozen timeline
    current = postmortem.document["sections"]
    form = {f"section_{name}": text for name, text in current.items()}
    form.update(_sections(root_causes="The provider's certificate expired", lessons="Watch certificates"))
    form["participants_affected"] = "1200"
    saved = _post(responder, page_url, f"{page_url}/edit", form)
    assert saved.headers["location"] == page_url  # type: ignore[attr-defined]
    for bad, message in (
        ({**form, "participants_affected": "many"}, "Participants affected must be a whole number."),
        (form | {"participants_affected": "1200"}, "Nothing was changed."),
    ):
        answer = _post(responder, page_url + "?lang=en", f"{page_url}/edit", bad)
        assert message in _error_of(answer.headers["location"])  # type: ignore[attr-defined]
    assert _post(viewer, page_url, f"{page_url}/edit", form).status_code == 403  # type: ignore[attr-defined]
    db.commit()
    db.refresh(postmortem)
    assert postmortem.version == 2
    assert postmortem.document["sections"]["root_causes"] == "The provider's certificate expired"
    assert postmortem.document["facts"]["participants_affected"] == 1200
    versions = responder.get(page_url + "?lang=en")
    assert "v2" in versions.text and "v1" in versions.text
    old = responder.get(page_url + "?version=1&lang=en")
    assert "Version 1 as it was" in old.text and "certificate expired" not in old.text
    premature = _post(commander, page_url, f"{page_url}/approve", {})
    assert "Only a postmortem in review can be approved." in _error_of(premature.headers["location"])  # type: ignore[attr-defined]
    _post(responder, page_url, f"{page_url}/submit", {})
    assert _post(responder, page_url, f"{page_url}/approve", {}).status_code == 403  # type: ignore[attr-defined]
    _post(commander, page_url, f"{page_url}/approve", {})
    db.commit()
    db.refresh(postmortem)
    assert postmortem.status is PostmortemStatus.approved and postmortem.approved_by
    closed = _post(responder, page_url + "?lang=en", f"{page_url}/edit", form | _sections(lessons="late"))
    assert "An approved postmortem cannot be changed." in _error_of(closed.headers["location"])  # type: ignore[attr-defined]
    actions = {
        row.action for row in db.scalars(select(AuditEntry).where(AuditEntry.target_type == "postmortem"))
    }
    assert {"postmortem.edit", "postmortem.submit", "postmortem.approve"} <= actions
    exported = responder.get(f"/api/v1/postmortems/{postmortem.id}/export?lang=en")
    assert exported.status_code == 200 and "certificate expired" in exported.text
    listing = responder.get(f"/events/{SLUG}/postmortems?lang=en")
    assert "Payment gateway down" in listing.text and "approved v2" in listing.text


def test_an_action_items_plan_change_is_validated_with_lines_and_accepted_as_a_plan_version(
    event: Event, sign_in: SignIn, db: Session, clock: FrozenClock
) -> None:
    postmortem = _resolved_postmortem(db, event, clock)
    responder, commander = sign_in("responder"), sign_in("commander")
    page_url = f"/postmortems/{postmortem.id}"
    added = _post(
        responder,
        page_url,
        f"{page_url}/action-items",
        {"title": "Monitor the payment certificate", "owner_team": "tech", "due": "2026-01-02"},
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    unknown = _post(
        responder,
        page_url,
        f"{page_url}/action-items",
        {"title": "x", "owner_team": "nobody", "due": "2026-06-01"},
    )
    assert "The plan has no team nobody." in _error_of(unknown.headers["location"])  # type: ignore[attr-defined]
    db.commit()
    item = db.scalars(select(ActionItem)).one()
    item_url = f"/action-items/{item.id}"
    page = responder.get(item_url + "?lang=en")
    assert (
        "Monitor the payment certificate" in page.text and "cloud-summit-2026" in page.text
    )  # the plan's YAML
    assert "overdue" in page.text  # due on 2 January, the clock is in the preparation phase
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    broken = source.replace("notify_within: 5m", "notify_within: soon", 1)
    line = source.splitlines().index(next(x for x in source.splitlines() if "notify_within: 5m" in x)) + 1
    refused = _post(responder, item_url, f"{item_url}/plan-change", {"source": broken})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert f":{line}:" in refused.text and "notify_within: soon" in refused.text  # type: ignore[attr-defined]
    empty = _post(responder, item_url + "?lang=en", f"{item_url}/plan-change", {"source": "  "})
    assert empty.status_code == 422 and "The proposed plan is empty." in empty.text  # type: ignore[attr-defined]
    changed = source.replace("notify_within: 5m", "notify_within: 3m", 1)
    proposed = _post(responder, item_url, f"{item_url}/plan-change", {"source": changed})
    assert proposed.status_code == 303  # type: ignore[attr-defined]
    assert _post(responder, item_url, f"{item_url}/plan-change/accept", {}).status_code == 403  # type: ignore[attr-defined]
    accepted = _post(commander, item_url, f"{item_url}/plan-change/accept", {})
    assert accepted.headers["location"] == f"/events/{SLUG}/plan?diff=2#diff"  # type: ignore[attr-defined]
    db.commit()
    assert plans.newest_number(db=db, slug=SLUG) == 2
    plan_page = responder.get(f"/events/{SLUG}/plan?diff=2&lang=en")
    assert "Revisions from incidents and drills" in plan_page.text
    assert f'href="/action-items/{item.id}"' in plan_page.text
    assert f'href="/incidents/{postmortem.incident_id}"' in plan_page.text
    assert "notify_within" in plan_page.text  # the diff
    twice = _post(commander, item_url + "?lang=en", f"{item_url}/plan-change/accept", {})
    assert "accepted already" in _error_of(twice.headers["location"])  # type: ignore[attr-defined]
    status = _post(responder, item_url, f"{item_url}/status", {"status": "done"})
    assert status.status_code == 303  # type: ignore[attr-defined]
    bad_status = _post(responder, item_url + "?lang=en", f"{item_url}/status", {"status": "finished"})
    assert "Unknown status finished." in _error_of(bad_status.headers["location"])  # type: ignore[attr-defined]


def test_unknown_ids_answer_404_pages_not_errors(event: Event, sign_in: SignIn) -> None:
    viewer = sign_in("viewer")
    for url in ("/drills/999", "/drills/abc/report", "/postmortems/12345678901", "/action-items/0"):
        assert viewer.get(url).status_code == 404, url
    commander = sign_in("commander")
    token = csrf_of(commander.get(f"/events/{SLUG}/drills").text)
    for url in ("/drills/999/finish", "/postmortems/7/approve", "/action-items/5/plan-change/accept"):
        assert commander.post(url, data={"csrf_token": token}, follow_redirects=False).status_code == 404, url


def test_a_planned_run_waits_until_a_commander_starts_it(
    event: Event, sign_in: SignIn, db: Session, process_journal: ProcessJournal
) -> None:
    responder, commander = sign_in("responder"), sign_in("commander")
    drills_url = f"/events/{SLUG}/drills"
    refused = _post(responder, drills_url, f"{drills_url}/stream-outage-drill/plan", {})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    planned = _post(commander, drills_url, f"{drills_url}/stream-outage-drill/plan", {})
    assert planned.status_code == 303  # type: ignore[attr-defined]
    db.commit()
    run = db.scalars(select(DrillRun)).one()
    assert run.status is DrillStatus.planned and run.started_at is None
    assert drills.injections(db=db, run_id=run.id) == []
    page = commander.get(f"/drills/{run.id}?lang=en")
    assert "nothing happens until it is started" in page.text and "Start now" in page.text
    assert _post(responder, f"/drills/{run.id}", f"/drills/{run.id}/start", {}).status_code == 403  # type: ignore[attr-defined]
    started = _post(commander, f"/drills/{run.id}", f"/drills/{run.id}/start", {})
    assert started.headers["location"] == f"/drills/{run.id}"  # type: ignore[attr-defined]
    again = _post(commander, f"/drills/{run.id}", f"/drills/{run.id}/start", {})
    assert "not planned" in _error_of(again.headers["location"])  # type: ignore[attr-defined]
    process_journal()
    db.commit()
    db.refresh(run)
    assert run.status is DrillStatus.running and run.started_at is not None and run.plan_version_id
    assert len(drills.run_incidents(db=db, run=run)) == 1  # its first step went through the pipeline
    second = _post(commander, drills_url, f"{drills_url}/stream-outage-drill/plan", {})
    assert second.status_code == 303  # type: ignore[attr-defined]
    db.commit()
    waiting = db.scalars(select(DrillRun).where(DrillRun.status == DrillStatus.planned)).one()
    blocked = _post(commander, f"/drills/{waiting.id}", f"/drills/{waiting.id}/start", {})
    assert "already running" in _error_of(blocked.headers["location"])  # type: ignore[attr-defined]
    cancelled = _post(commander, f"/drills/{waiting.id}", f"/drills/{waiting.id}/cancel", {})
    assert cancelled.status_code == 303  # type: ignore[attr-defined]
    db.commit()
    db.refresh(waiting)
    assert waiting.status is DrillStatus.cancelled
