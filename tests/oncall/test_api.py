"""The on-call API over HTTP: schedules, shifts, every team's on-call, overrides with role checks,
and errors in the JSON envelope (never a 500 for bad input)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventguard.events.models import Event
from tests.conftest import AuthHeaders

BASE = "/api/v1/events/cloud-summit-2026"
OVERRIDE = {
    "person_id": "zhao-min",
    "start": "2026-05-20T12:00:00+08:00",
    "end": "2026-05-20T18:00:00+08:00",
    "reason": "Zhang Wei at the dentist",
}


def _create(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post(
        f"{BASE}/schedules/tech-oncall/overrides", json={**OVERRIDE, **changes}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_schedules_say_who_is_on_call_now_and_the_next_handoff(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    response = client.get(f"{BASE}/schedules", headers=auth_headers("viewer"))
    assert response.status_code == 200, response.text
    tech, ops, service_desk = response.json()
    assert tech["id"] == "tech-oncall" and tech["team"] == "tech" and tech["timezone"] == "Asia/Shanghai"
    assert tech["layers"] == ["weekly", "live-days"]
    assert tech["on_call"] == [{"id": "zhang-wei", "name": "张伟 (Zhang Wei)"}]
    assert tech["source"] == "weekly"
    assert tech["next_handoff"] == "2026-05-25T02:00:00Z"  # Monday 10:00 in Shanghai
    assert ops["on_call"][0]["id"] == "wang-qiang" and ops["next_handoff"] == "2026-05-20T02:00:00Z"
    assert (
        service_desk["on_call"][0]["id"] == "liu-yang"
        and service_desk["next_handoff"] == "2026-05-20T13:00:00Z"
    )


def test_one_schedule_lists_the_shifts_of_a_window(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    params = {"from": "2026-06-15T00:00:00+08:00", "until": "2026-06-18T00:00:00+08:00"}
    response = client.get(f"{BASE}/schedules/tech-oncall", params=params, headers=auth_headers("viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["window_start"] == "2026-06-14T16:00:00Z"
    assert [(s["person"]["id"], s["layer"], s["start"], s["end"]) for s in body["shifts"]] == [
        ("zhang-wei", "weekly", "2026-06-08T02:00:00Z", "2026-06-15T02:00:00Z"),
        ("chen-jie", "weekly", "2026-06-15T02:00:00Z", "2026-06-16T00:00:00Z"),
        ("zhang-wei", "live-days", "2026-06-16T00:00:00Z", "2026-06-16T12:00:00Z"),
        ("chen-jie", "live-days", "2026-06-16T12:00:00Z", "2026-06-17T00:00:00Z"),
        ("zhao-min", "live-days", "2026-06-17T00:00:00Z", "2026-06-17T12:00:00Z"),
        ("chen-jie", "weekly", "2026-06-17T12:00:00Z", "2026-06-22T02:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "yesterday"}, 422, "invalid_input"),
        ({"from": "2026-06-15T00:00:00"}, 422, "invalid_input"),
        ({"from": "2026-06-15T00:00:00+08:00", "until": "2026-06-14T00:00:00+08:00"}, 422, "window_reversed"),
        ({"from": "2026-06-15T00:00:00+08:00", "until": "2026-12-14T00:00:00+08:00"}, 422, "window_too_long"),
    ],
)
def test_a_bad_window_is_a_4xx_in_the_error_envelope(
    client: TestClient,
    event: Event,
    auth_headers: AuthHeaders,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = client.get(f"{BASE}/schedules/tech-oncall", params=params, headers=auth_headers("viewer"))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_unknown_schedules_events_and_people_are_404(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    viewer = auth_headers("viewer")
    for url, code in [
        (f"{BASE}/schedules/pr-oncall", "schedule_not_found"),
        (f"{BASE}/schedules/pr-oncall/overrides", "schedule_not_found"),
        (f"{BASE}/schedules/pr-oncall/feed-url", "schedule_not_found"),
        (f"{BASE}/people/nobody/feed-url", "person_not_found"),
        ("/api/v1/events/no-such-event/schedules", "event_not_found"),
    ]:
        response = client.get(url, headers=viewer)
        assert (response.status_code, response.json()["error"]["code"]) == (404, code), url


def test_every_team_s_on_call_now_says_why(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    response = client.get(f"{BASE}/oncall", headers=auth_headers("viewer"))
    assert response.status_code == 200, response.text
    by_team = {
        row["team"]: (row["schedule"], [p["id"] for p in row["on_call"]], row["source"])
        for row in response.json()
    }
    assert by_team["tech"] == ("tech-oncall", ["zhang-wei"], "schedule")
    assert by_team["ops"] == ("ops-oncall", ["wang-qiang"], "schedule")
    assert by_team["legal"] == (None, ["wu-hao"], "lead")
    assert len(by_team) == 8


def test_a_responder_overrides_and_everyone_sees_it(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    created = _create(client, auth_headers("responder"))
    assert created["person_id"] == "zhao-min" and created["start"] == "2026-05-20T04:00:00Z"
    assert created["created_by"] == "responder-user/test"  # user / token name
    viewer = auth_headers("viewer")
    listed = client.get(f"{BASE}/schedules/tech-oncall/overrides", headers=viewer).json()
    assert [row["id"] for row in listed] == [created["id"]]
    shifts = client.get(
        f"{BASE}/schedules/tech-oncall",
        params={"from": "2026-05-20T12:00:00+08:00", "until": "2026-05-20T13:00:00+08:00"},
        headers=viewer,
    ).json()["shifts"]
    assert [(s["person"]["id"], s["layer"], s["override_id"]) for s in shifts] == [
        ("zhao-min", "override", created["id"])
    ]


def test_a_viewer_gets_403_on_creating_or_deleting_an_override(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    created = _create(client, auth_headers("responder"))
    viewer = auth_headers("viewer")
    response = client.post(f"{BASE}/schedules/tech-oncall/overrides", json=OVERRIDE, headers=viewer)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "insufficient_role")
    response = client.delete(f"{BASE}/schedules/tech-oncall/overrides/{created['id']}", headers=viewer)
    assert response.status_code == 403
    assert client.post(f"{BASE}/schedules/tech-oncall/overrides", json=OVERRIDE).status_code == 401


def test_deleting_an_override_answers_204_then_404(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    responder = auth_headers("responder")
    created = _create(client, responder)
    wrong_schedule = client.delete(
        f"{BASE}/schedules/ops-oncall/overrides/{created['id']}", headers=responder
    )
    assert wrong_schedule.status_code == 404
    url = f"{BASE}/schedules/tech-oncall/overrides/{created['id']}"
    assert client.delete(url, headers=responder).status_code == 204
    again = client.delete(url, headers=responder)
    assert (again.status_code, again.json()["error"]["code"]) == (404, "override_not_found")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"end": "2026-05-20T11:00:00+08:00"}, "override_reversed"),
        ({"person_id": "nobody"}, "person_not_found"),
        ({"start": "2026-05-20T12:00:00"}, "invalid_input"),
        ({"end": "not a time"}, "invalid_input"),
        ({"reason": "x" * 501}, "invalid_input"),
    ],
)
def test_a_bad_override_is_422_with_a_message_in_the_reader_s_language(
    client: TestClient, event: Event, auth_headers: AuthHeaders, changes: dict[str, str], code: str
) -> None:
    response = client.post(
        f"{BASE}/schedules/tech-oncall/overrides?lang=zh-CN",
        json={**OVERRIDE, **changes},
        headers=auth_headers("responder"),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    if code == "override_reversed":
        assert response.json()["error"]["message"] == "临时替班的结束时间必须晚于开始时间。"
