"""The incident API over HTTP: role checks, lifecycle with 409s, tasks, updates, pagination."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from eventguard.events.models import Event
from tests.conftest import AuthHeaders

DISPUTE = {
    "title": "Lottery result disputed in chat",
    "scenario_id": "participant-dispute",
    "impact": "Complaints",
}


def _declare(client: TestClient, headers: dict[str, str], event: Event, **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/incidents", json={"event": event.slug, **DISPUTE, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_viewer_can_read_but_gets_403_on_every_write(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    incident = _declare(client, auth_headers("responder"), event)
    viewer = auth_headers("viewer")
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=viewer).status_code == 200
    writes = [
        ("/api/v1/incidents", {"event": event.slug, **DISPUTE}),
        (f"/api/v1/incidents/{incident['id']}/acknowledge", None),
        (f"/api/v1/incidents/{incident['id']}/notes", {"text": "hi"}),
        (f"/api/v1/incidents/{incident['id']}/level", {"level": 1, "reason": "x"}),
    ]
    for url, body in writes:
        response = client.post(url, json=body, headers=viewer)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "insufficient_role"
    assert client.get("/api/v1/incidents").status_code == 401


def test_the_lifecycle_over_http_with_a_409_for_an_illegal_move(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    responder = auth_headers("responder")
    incident = _declare(client, responder, event)
    url = f"/api/v1/incidents/{incident['id']}"
    assert client.post(f"{url}/acknowledge", headers=responder).json()["status"] == "acknowledged"
    illegal = client.post(f"{url}/status", json={"status": "triggered"}, headers=responder)
    assert illegal.status_code == 409 and illegal.json()["error"]["code"] == "illegal_transition"
    assert client.post(f"{url}/status", json={"status": "mitigating"}, headers=responder).status_code == 200
    assert (
        client.post(f"{url}/resolve", json={"note": "compensation issued"}, headers=responder).status_code
        == 200
    )
    again = client.post(f"{url}/resolve", headers=responder)
    assert again.status_code == 409
    kinds = [entry["kind"] for entry in client.get(f"{url}/timeline", headers=responder).json()]
    assert kinds.count("status") == 4


def test_relevel_roles_notes_updates_and_tasks(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    responder, commander = auth_headers("responder"), auth_headers("commander")
    incident = _declare(client, responder, event)
    url = f"/api/v1/incidents/{incident['id']}"
    assert (
        client.post(
            f"{url}/level", json={"level": 1, "reason": "press picked it up"}, headers=responder
        ).json()["level"]
        == 1
    )
    assert (
        client.post(
            f"{url}/roles", json={"role": "scribe", "person_id": "zhao-min"}, headers=responder
        ).status_code
        == 403
    )
    roles = client.post(f"{url}/roles", json={"role": "scribe", "person_id": "zhao-min"}, headers=commander)
    assert any(r["role"] == "scribe" and r["person_id"] == "zhao-min" for r in roles.json()["roles"])
    note = client.post(f"{url}/notes", json={"text": "internal only"}, headers=responder)
    assert note.status_code == 201 and note.json()["kind"] == "note"
    update = client.post(
        f"{url}/updates",
        json={"text": "statement drafted", "eta": "2026-05-20T10:00:00+08:00"},
        headers=responder,
    )
    assert update.status_code == 201
    assert client.get(url, headers=responder).json()["eta"].startswith("2026-05-20T02:00:00")
    naive = client.post(f"{url}/updates", json={"text": "x", "eta": "2026-05-20T10:00:00"}, headers=responder)
    assert naive.status_code == 422
    tasks = client.get(f"{url}/tasks", headers=responder).json()
    first = tasks[0]["id"]
    assert client.post(f"{url}/tasks/{first}/done", headers=responder).json()["status"] == "done"
    assert client.post(f"{url}/tasks/{first}/done", headers=responder).status_code == 409
    assert client.post(f"{url}/tasks/{first}/explode", headers=responder).status_code == 422
    assert client.post(f"{url}/tasks/99999/done", headers=responder).status_code == 404


def test_listing_filters_and_paginates(client: TestClient, event: Event, auth_headers: AuthHeaders) -> None:
    responder = auth_headers("responder")
    for level in (1, 2, 3, 3):
        _declare(client, responder, event, level=level)
    page = client.get("/api/v1/incidents", params={"limit": 2, "offset": 0}, headers=responder).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    level_three = client.get(
        "/api/v1/incidents", params={"level": 3, "event": event.slug}, headers=responder
    ).json()
    assert level_three["total"] == 2
    bad = client.get("/api/v1/incidents", params={"limit": 0}, headers=responder)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/v1/incidents", params={"event": "nope"}, headers=responder).status_code == 404
    assert client.get("/api/v1/incidents/abc", headers=responder).status_code == 422


def test_merge_needs_a_commander_and_moves_everything(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    a = _declare(client, auth_headers("responder"), event)
    b = _declare(client, auth_headers("responder"), event)
    assert (
        client.post(
            f"/api/v1/incidents/{a['id']}/merge", json={"into": b["id"]}, headers=auth_headers("responder")
        ).status_code
        == 403
    )
    merged = client.post(
        f"/api/v1/incidents/{a['id']}/merge", json={"into": b["id"]}, headers=auth_headers("commander")
    )
    assert merged.status_code == 200 and merged.json()["id"] == b["id"]
    source = client.get(f"/api/v1/incidents/{a['id']}", headers=auth_headers("viewer")).json()
    assert source["merged_into_id"] == b["id"] and source["status"] == "resolved"


def test_evidence_is_served_as_frozen(client: TestClient, event: Event, auth_headers: AuthHeaders) -> None:
    incident = _declare(client, auth_headers("responder"), event)
    evidence = client.get(
        f"/api/v1/incidents/{incident['id']}/evidence", headers=auth_headers("viewer")
    ).json()
    assert evidence["declared"]["title"] == DISPUTE["title"] and "frozen_at" in evidence
