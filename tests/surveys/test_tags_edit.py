"""Editing the complaint tags: through the API and the console's tag editor, each edit is a new plan
version (the rest of the plan file kept, comments included), the stored answers are tagged by the
new rules at once, the edit is audited, and a bad edit is refused with the validator's message."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.surveys.service import replace_section
from tests.conftest import AuthHeaders
from tests.web.conftest import SignIn, csrf_of

SLUG = "cloud-summit-2026"
ANSWERS = "id,answer\n1,直播卡死了\n2,画面卡顿\n3,The app froze twice\n4,Nice talks\n"


def _import(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post(
        f"/api/v1/events/{SLUG}/surveys/import",
        params={"text": "answer"},
        content=ANSWERS.encode("utf-8"),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 201, answer.text


def _tags_of(client: TestClient, headers: dict[str, str]) -> dict[str, list[str]]:
    rows = client.get(f"/api/v1/events/{SLUG}/surveys/responses", headers=headers).json()
    return {row["text"]: row["tags"] for row in rows}


def test_replace_section_keeps_the_rest_of_the_file() -> None:
    source = "# head\nevent: {slug: x}\nsurveys:\n  tags: []  # old\n\n# next section\nreadiness: {}\n"
    replaced = replace_section(source, "surveys", {"tags": [{"id": "a"}]})
    assert replaced == (
        "# head\nevent: {slug: x}\nsurveys:\n  tags:\n  - id: a\n\n# next section\nreadiness: {}\n"
    )
    assert replace_section("event: {}\n", "surveys", {"public_form": False}) == (
        "event: {}\n\nsurveys:\n  public_form: false\n"
    )


def test_tags_edited_by_api_make_a_plan_version_and_retag_every_answer(
    client: TestClient, db: Session, event: Event, auth_headers: AuthHeaders
) -> None:
    viewer, commander = auth_headers("viewer"), auth_headers("commander")
    _import(client, auth_headers("responder"))
    assert _tags_of(client, viewer)["直播卡死了"] == []
    tags: list[dict[str, Any]] = client.get(f"/api/v1/events/{SLUG}/surveys/tags", headers=viewer).json()
    stutter = next(tag for tag in tags if tag["id"] == "stutter")
    assert "卡顿" in stutter["keywords_zh"]
    stutter["keywords_zh"].append("卡死")
    stutter["keywords_en"].append("froze")
    before = plans.newest_number(db=db, slug=SLUG)

    refused = client.put(
        f"/api/v1/events/{SLUG}/surveys/tags", json={"tags": tags}, headers=auth_headers("responder")
    )
    assert refused.status_code == 403
    edited = client.put(
        f"/api/v1/events/{SLUG}/surveys/tags",
        json={"tags": tags, "comment": "Freezes are stutter too"},
        headers=commander,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["version"] == (before or 0) + 1 and body["changed"] is True
    assert (body["retagged"], body["answers"]) == (2, 4)
    assert _tags_of(client, viewer)["直播卡死了"] == ["stutter"]
    assert _tags_of(client, viewer)["The app froze twice"] == ["stutter"]
    db.commit()
    version = plans.get_version(db=db, slug=SLUG)
    assert version.comment == "Freezes are stutter too"
    # The rest of the file is as it was: its comments too.
    assert "# 上线前检查(readiness gate)" in version.source and "卡死" in version.source
    assert (
        plans.spec_of(version).risks
        == plans.spec_of(plans.get_version(db=db, slug=SLUG, number=before)).risks
    )
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "survey.tags_edit"))
    assert entry is not None and entry.after is not None and entry.after["retagged"] == 2

    same = client.put(f"/api/v1/events/{SLUG}/surveys/tags", json={"tags": tags}, headers=commander)
    assert same.status_code == 200 and same.json()["changed"] is False
    assert same.json()["version"] == body["version"]

    twice = [*tags, dict(tags[0])]
    invalid = client.put(f"/api/v1/events/{SLUG}/surveys/tags", json={"tags": twice}, headers=commander)
    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["code"] == "plan_invalid"
    assert any(item["code"] == "duplicate_survey_tag" and item["line"] > 0 for item in error["details"])
    unknown = [{**tags[0], "category": "weather"}]
    invalid = client.put(f"/api/v1/events/{SLUG}/surveys/tags", json={"tags": unknown}, headers=commander)
    assert invalid.status_code == 422
    assert [item["code"] for item in invalid.json()["error"]["details"]] == ["unknown_risk_category"]
    shape = client.put(f"/api/v1/events/{SLUG}/surveys/tags", json={"tags": [{"id": "x"}]}, headers=commander)
    assert shape.status_code == 422 and "error" in shape.json()
    db.commit()
    assert plans.newest_number(db=db, slug=SLUG) == body["version"]  # nothing applied by the refusals


def test_the_console_tag_editor_adds_changes_and_removes_tags(
    client: TestClient, db: Session, event: Event, auth_headers: AuthHeaders, sign_in: SignIn
) -> None:
    _import(client, auth_headers("responder"))
    responder = sign_in("responder")
    page = responder.get(f"/events/{SLUG}/surveys?lang=en").text
    assert "Complaint tags" in page and "Save tags" not in page  # read-only below commander
    commander = sign_in("commander")
    page = commander.get(f"/events/{SLUG}/surveys?lang=en").text
    assert "Save tags" in page
    tags = client.get(f"/api/v1/events/{SLUG}/surveys/tags", headers=auth_headers("viewer")).json()
    form: dict[str, Any] = {
        "csrf_token": csrf_of(page),
        "tag_id": [t["id"] for t in tags] + ["freeze"],
        "name_zh": [t["name"]["zh-CN"] for t in tags] + ["卡死"],
        "name_en": [t["name"]["en"] for t in tags] + ["Freezes"],
        "keywords_zh": ["、".join(t["keywords_zh"]) for t in tags] + ["卡死,死机"],
        "keywords_en": [", ".join(t["keywords_en"]) for t in tags] + ["froze, frozen"],
        "category": [t["category"] for t in tags] + ["technical"],
        "scenario": [t.get("scenario") or "" for t in tags] + ["livestream-interruption"],
        "remove": ["content"],
        "comment": "New tag freeze",
    }
    answer = commander.post(f"/events/{SLUG}/surveys/tags", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/events/{SLUG}/surveys?retagged=2")
    ids = [
        t["id"]
        for t in client.get(f"/api/v1/events/{SLUG}/surveys/tags", headers=auth_headers("viewer")).json()
    ]
    assert ids == [t["id"] for t in tags if t["id"] != "content"] + ["freeze"]
    texts = _tags_of(client, auth_headers("viewer"))
    assert texts["直播卡死了"] == ["freeze"] and texts["The app froze twice"] == ["freeze"]
    page = commander.get(f"/events/{SLUG}/surveys?lang=zh-CN&retagged=2").text
    assert "标签已保存为新的预案版本" in page and "死机" in page
    # An invalid edit comes back with the validator's message; nothing is applied.
    db.commit()
    number = plans.newest_number(db=db, slug=SLUG)
    bad = {**form, "csrf_token": csrf_of(page), "category": ["weather"] * len(form["tag_id"]), "remove": []}
    answer = commander.post(f"/events/{SLUG}/surveys/tags", data=bad, follow_redirects=False)
    assert answer.status_code == 303 and "error=" in answer.headers["location"]
    db.commit()
    assert plans.newest_number(db=db, slug=SLUG) == number
