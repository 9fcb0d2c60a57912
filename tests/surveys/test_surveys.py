"""Survey answers from a GB18030 CSV and from the public form, tagged by the plan's zh/en keyword
rules, ranked by frequency and trend across events; a complaint becomes a linked risk."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.risks import service as risks
from tests.conftest import EXAMPLE_PLAN, AuthHeaders

SLUG = "cloud-summit-2026"
PAST_CSV = (
    "编号,反馈内容,评分,提交时间\n"
    "1,直播一直卡顿,2,2025-06-01 10:00\n"
    "2,画面缓冲太久,2,2025-06-01 10:05\n"
    "3,登录不了,验证码收不到,1,2025-06-01 10:10\n"
    "4,内容很好,5,2025-06-01 11:00\n"
).replace("3,登录不了,验证码收不到,1", '3,"登录不了,验证码收不到",1')
THIS_CSV = (
    "id,answer,stars\n"
    "1,声音有杂音,3\n"
    "2,Audio kept cutting out,2\n"
    "3,支付失败两次,1\n"
    "4,卡顿,2\n"
    ",,\n"
    "5,Great talks,7\n"
)


def _past_event(db: Session, clock: FrozenClock) -> None:
    source = EXAMPLE_PLAN.read_text(encoding="utf-8").replace("slug: cloud-summit-2026", "slug: summit-2025")
    for old, new in (
        ("2026-05-01T00:00:00+08:00", "2025-05-01T00:00:00+08:00"),
        ("2026-06-16T08:00:00+08:00", "2025-06-01T08:00:00+08:00"),
        ("2026-06-17T20:00:00+08:00", "2025-06-02T20:00:00+08:00"),
        ("2026-07-17T00:00:00+08:00", "2025-07-01T00:00:00+08:00"),
    ):
        source = source.replace(old, new)
    plans.apply_plan(db=db, source=source, filename="past.yaml", actor=Actor.cli("test"), clock=clock)
    db.commit()


def test_gb18030_and_utf8_imports_rank_complaints_across_events_with_their_trend(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    _past_event(db, clock)
    headers = auth_headers("responder")
    raw = PAST_CSV.encode("gb18030")
    try:
        raw.decode("utf-8")
        raise AssertionError("the file must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    past = client.post(
        "/api/v1/events/summit-2025/surveys/import",
        params={"text": "反馈内容", "rating": "评分", "submitted_at": "提交时间"},
        content=raw,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert past.status_code == 201, past.text
    assert past.json() == {"imported": 4, "skipped": 0, "encoding": "gb18030", "errors": []}
    here = client.post(
        f"/api/v1/events/{SLUG}/surveys/import",
        params={"text": "answer", "rating": "stars", "encoding": "utf-8"},
        content=("\ufeff" + THIS_CSV).encode("utf-8"),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert here.status_code == 201, here.text
    assert here.json()["imported"] == 5 and here.json()["skipped"] == 1
    assert here.json()["errors"] == [{"line": 7, "field": "rating", "value": "7"}]
    missing = client.post(
        f"/api/v1/events/{SLUG}/surveys/import",
        params={"text": "nope"},
        content=THIS_CSV.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert missing.status_code == 422 and missing.json()["error"]["details"]["columns"] == [
        "id",
        "answer",
        "stars",
    ]
    wrong = client.post(
        f"/api/v1/events/{SLUG}/surveys/import",
        params={"text": "反馈内容", "encoding": "utf-8"},
        content=raw,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "csv_encoding"

    ranking = client.get(f"/api/v1/events/{SLUG}/surveys/ranking", headers=auth_headers("viewer")).json()
    assert [column["slug"] for column in ranking["events"]] == ["summit-2025", SLUG]
    assert [column["responses"] for column in ranking["events"]] == [4, 5]
    by_tag = {item["tag"]: item for item in ranking["tags"]}
    # stutter: 卡顿 + 缓冲 in 2025 (2 of 4), 卡顿 now (1 of 5): trend 0.2 - 0.5 = -0.3
    assert (by_tag["stutter"]["counts"], by_tag["stutter"]["shares"], by_tag["stutter"]["trend"]) == (
        [2, 1],
        [0.5, 0.2],
        -0.3,
    )
    # audio: none in 2025, 杂音 and "Audio" (a whole English word) now: 2 of 5
    assert (by_tag["audio"]["counts"], by_tag["audio"]["trend"]) == ([0, 2], 0.4)
    assert by_tag["login"]["counts"] == [1, 0] and by_tag["payment"]["counts"] == [0, 1]
    assert [item["tag"] for item in ranking["tags"]][:2] == [
        "stutter",
        "audio",
    ]  # 3 and 2 answers; ties by trend
    assert ranking["untagged"] == 1  # "Great talks"
    answers = client.get(f"/api/v1/events/{SLUG}/surveys/responses", headers=auth_headers("viewer")).json()
    assert {a["text"]: a["tags"] for a in answers}["Audio kept cutting out"] == ["audio"]

    made = client.post(f"/api/v1/events/{SLUG}/surveys/complaints/audio/risk", headers=headers)
    assert made.status_code == 201, made.text
    risk = made.json()
    assert (risk["key"], risk["source"], risk["category"], risk["scenario_id"]) == (
        "complaint-audio",
        "survey",
        "technical",
        "livestream-interruption",
    )
    assert risk["likelihood"] == 4  # 40 % of this event's answers
    assert (
        risk["evidence"]["counts"] == {"summit-2025": 0, SLUG: 2} and len(risk["evidence"]["responses"]) == 2
    )
    assert risk["title"]["en"] == "Participant complaints: Audio problems"
    again = client.post(f"/api/v1/events/{SLUG}/surveys/complaints/audio/risk", headers=headers)
    assert again.status_code == 409
    assert (
        client.post(f"/api/v1/events/{SLUG}/surveys/complaints/nope/risk", headers=headers).status_code == 404
    )
    assert risks.get_risk(db=db, event_id=event.id, key="complaint-audio").evidence["survey_tag"] == "audio"


def test_the_public_form_takes_answers_without_login_limits_each_address_and_drops_robots(
    client: TestClient, db: Session, event: Event, auth_headers: AuthHeaders
) -> None:
    page = client.get(f"/events/{SLUG}/feedback", params={"lang": "en"})
    assert page.status_code == 200 and 'name="website"' in page.text and "no name, e-mail" in page.text
    sent = client.post(
        f"/events/{SLUG}/feedback", data={"text": "直播很卡顿", "rating": "2"}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?thanks=1")
    robot = client.post(
        f"/events/{SLUG}/feedback",
        data={"text": "buy pills", "website": "http://spam"},
        follow_redirects=False,
    )
    assert robot.status_code == 303  # the robot is not told
    empty = client.post(f"/events/{SLUG}/feedback", data={"text": "  "})
    assert empty.status_code == 422
    for number in range(4):  # the plan allows 5 answers an hour per address (the robot's was dropped)
        answer = client.post(
            f"/events/{SLUG}/feedback", data={"text": f"login problem {number}"}, follow_redirects=False
        )
        assert answer.status_code == 303
    limited = client.post(f"/events/{SLUG}/feedback", data={"text": "one more"}, params={"lang": "en"})
    assert limited.status_code == 429 and "Too many answers" in limited.text
    answers = client.get(f"/api/v1/events/{SLUG}/surveys/responses", headers=auth_headers("viewer")).json()
    assert sorted(a["text"] for a in answers) == [
        "login problem 0",
        "login problem 1",
        "login problem 2",
        "login problem 3",
        "直播很卡顿",
    ]
    assert {a["source"] for a in answers} == {"form"}
    ranking = client.get(f"/api/v1/events/{SLUG}/surveys/ranking", headers=auth_headers("viewer")).json()
    by_tag = {item["tag"]: item["counts"][-1] for item in ranking["tags"]}
    assert by_tag["login"] == 4 and by_tag["stutter"] == 1
    assert client.get("/events/nope/feedback").status_code == 404
