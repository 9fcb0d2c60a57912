"""The iCal feeds: signed URLs, a 403 without the right token, events that parse, stable UIDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar

from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.conftest import AuthHeaders

BASE = "/api/v1/events/cloud-summit-2026"


def _feed_url(client: TestClient, headers: dict[str, str], path: str) -> str:
    response = client.get(f"{BASE}/{path}/feed-url", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["webcal_url"] == "webcal://" + body["url"].removeprefix("http://")
    url: str = body["url"]
    assert url.startswith("http://testserver/ical/cloud-summit-2026/")
    return url.removeprefix("http://testserver")


def _events(client: TestClient, url: str, **params: str) -> list[Any]:
    path, token = url.split("?token=")
    response = client.get(path, params={"token": token, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


def test_a_schedule_feed_has_one_event_per_shift_with_names_in_the_asked_language(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    url = _feed_url(client, auth_headers("viewer"), "schedules/tech-oncall")
    events = _events(client, url)
    # Now is 2026-05-20 01:00 UTC: weekly shifts from the week of 11 May to mid-July, and the live days.
    first = events[0]
    assert str(first["SUMMARY"]) == "值班:赵敏 (Zhao Min)"
    assert first.decoded("DTSTART") == datetime(2026, 5, 11, 2, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2026, 5, 18, 2, tzinfo=UTC)
    live = [e for e in events if "live-days" in str(e["UID"])]
    assert [str(e["SUMMARY"]) for e in live] == [
        "值班:张伟 (Zhang Wei)",
        "值班:陈杰 (Chen Jie)",
        "值班:赵敏 (Zhao Min)",
    ]
    english = _events(client, url, lang="en")
    assert str(english[0]["SUMMARY"]) == "On call: 赵敏 (Zhao Min)"
    assert "Technical on-call (Weekly rotation)" in str(english[0]["DESCRIPTION"])
    assert all(e.decoded("DTEND") > e.decoded("DTSTART") for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_the_same_shift_keeps_its_uid_from_one_day_to_the_next(
    client: TestClient, event: Event, auth_headers: AuthHeaders, clock: FrozenClock
) -> None:
    url = _feed_url(client, auth_headers("viewer"), "schedules/ops-oncall")

    def by_uid() -> dict[str, tuple[Any, Any, str]]:
        return {
            str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
            for e in _events(client, url)
        }

    today = by_uid()
    clock.advance(timedelta(days=1, hours=3))
    tomorrow = by_uid()
    shared = set(today) & set(tomorrow)
    assert len(shared) >= 60
    assert all(today[uid] == tomorrow[uid] for uid in shared)


def test_a_person_feed_holds_their_shifts_across_every_schedule(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    url = _feed_url(client, auth_headers("viewer"), "people/zhang-wei")
    events = _events(client, url, lang="en")
    assert events and all(str(e["SUMMARY"]) == "On call: 张伟 (Zhang Wei)" for e in events)
    layers = {
        layer
        for e in events
        for layer in ("weekly", "live-days")
        if f"-tech-oncall-{layer}-" in str(e["UID"])
    }
    assert layers == {"weekly", "live-days"}


def test_a_feed_without_the_right_token_is_403(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    ops_url = _feed_url(client, auth_headers("viewer"), "schedules/ops-oncall")
    token = ops_url.split("token=", 1)[1]
    for url in [
        "/ical/cloud-summit-2026/schedules/ops-oncall.ics",
        "/ical/cloud-summit-2026/schedules/ops-oncall.ics?token=forged",
        f"/ical/cloud-summit-2026/schedules/tech-oncall.ics?token={token}",
        f"/ical/cloud-summit-2026/people/wang-qiang.ics?token={token}",
        f"/ical/other-event/schedules/ops-oncall.ics?token={token}",
    ]:
        response = client.get(url)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "feed_token_invalid"), url
