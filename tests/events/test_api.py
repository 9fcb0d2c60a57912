"""Events API: the phase now and the plan version in force."""

from __future__ import annotations

from fastapi.testclient import TestClient

from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.conftest import LIVE_MOMENT, AuthHeaders


def test_it_lists_events_with_their_current_phase(
    client: TestClient, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    [listed] = client.get("/api/v1/events", headers=auth_headers("viewer")).json()
    assert listed["slug"] == "cloud-summit-2026" and listed["current_phase"] == "prep"
    assert listed["plan_version"] == 1 and listed["name"]["en"] == "Cloud Summit 2026"
    clock.set(LIVE_MOMENT)
    one = client.get(f"/api/v1/events/{event.slug}", headers=auth_headers("viewer")).json()
    assert one["current_phase"] == "live"
    assert [p["name"] for p in one["phases"]] == ["prep", "live", "post"]


def test_an_unknown_event_is_a_404_in_the_callers_language(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    viewer = auth_headers("viewer")
    response = client.get("/api/v1/events/nope", headers={**viewer, "Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "event_not_found"
    assert response.json()["error"]["message"] == "No event nope."
    chinese = client.get("/api/v1/events/nope", headers={**viewer, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == "没有活动 nope。"
    assert (
        client.get("/api/v1/events/nope?lang=en", headers=viewer).json()["error"]["message"]
        == "No event nope."
    )
