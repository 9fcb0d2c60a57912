"""The plan viewer: the plan in force, its versions and diffs, and uploading a new version."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eventguard.events.models import Event
from eventguard.plans import service as plans
from tests.web.conftest import SignIn, csrf_of


def test_it_shows_levels_teams_scenarios_backups_and_templates(sign_in: SignIn, event: Event) -> None:
    page = sign_in("viewer").get("/events/cloud-summit-2026/plan?lang=en")
    assert page.status_code == 200
    assert "<title>Plan: Cloud Summit 2026 · EventGuard</title>" in page.text
    for text in ("Response levels", "Technical team", "Payment failure", "Escalate to the payment provider"):
        assert text in page.text
    assert "Upload a new version" not in page.text  # a viewer may not upload


def test_an_unknown_event_is_a_404_page(sign_in: SignIn, event: Event) -> None:
    answer = sign_in("viewer").get("/events/nope/plan?lang=en")
    assert answer.status_code == 404 and 'role="alert"' in answer.text


def test_a_broken_plan_is_refused_with_line_numbered_errors(
    sign_in: SignIn, db: Session, event: Event, example_source: str
) -> None:
    client = sign_in("commander")
    page = client.get("/events/cloud-summit-2026/plan?lang=en")
    broken = example_source.replace("default_level: 2", "default_level: 7", 1)
    answer = client.post(
        "/events/cloud-summit-2026/plan?lang=en", data={"csrf_token": csrf_of(page.text), "source": broken}
    )
    assert answer.status_code == 422
    assert "The plan was not applied" in answer.text and "plan.yaml:" in answer.text
    assert [v.number for v in plans.list_versions(db=db, slug="cloud-summit-2026")] == [1]


def test_a_commander_uploads_a_file_and_the_diff_shows_what_changed(
    sign_in: SignIn, db: Session, event: Event, example_source: str
) -> None:
    client = sign_in("commander")
    token = csrf_of(client.get("/events/cloud-summit-2026/plan").text)
    changed = example_source.replace("Payment failure", "Payments failing", 1).encode("utf-8")
    answer = client.post(
        "/events/cloud-summit-2026/plan",
        data={"csrf_token": token, "comment": "rename"},
        files={"plan_file": ("plan.yaml", changed, "text/yaml")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/events/cloud-summit-2026/plan?lang=en&diff=2")
    assert "Payments failing" in page.text and "scenarios[payment-failure].name" in page.text


def test_a_responder_may_not_upload(sign_in: SignIn, event: Event, example_source: str) -> None:
    client = sign_in("responder")
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/events/cloud-summit-2026/plan", data={"csrf_token": token, "source": example_source}
    )
    assert answer.status_code == 403


def test_a_plan_of_another_event_is_refused(sign_in: SignIn, event: Event, example_source: str) -> None:
    client = sign_in("commander")
    token = csrf_of(client.get("/events/cloud-summit-2026/plan").text)
    other = example_source.replace("slug: cloud-summit-2026", "slug: other-event", 1)
    answer = client.post(
        "/events/cloud-summit-2026/plan?lang=en", data={"csrf_token": token, "source": other}
    )
    assert answer.status_code == 422 and "not cloud-summit-2026" in answer.text
