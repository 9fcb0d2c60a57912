"""The drill API: start, follow, answer, finish, report; errors in the JSON envelope."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.conftest import AuthHeaders, ProcessJournal


def test_a_live_run_through_the_api_is_injected_scored_and_reported(
    client: TestClient,
    event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
    process_journal: ProcessJournal,
) -> None:
    from eventguard.drills import worker
    from eventguard.worker.context import WorkerContext

    commander = auth_headers("commander")
    answer = client.post(
        "/api/v1/drills/runs", json={"event": event.slug, "drill": "stream-outage-drill"}, headers=commander
    )
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["mode"] == "live" and run["status"] == "running"
    assert [i["injected_at"] for i in run["injections"]] == [None] * 4
    app = client.app
    worker.inject_due(database=app.state.db, context=WorkerContext(clock=clock, settings=app.state.settings))  # type: ignore[attr-defined]
    process_journal()
    clock.advance(timedelta(minutes=2))
    detail = client.get(f"/api/v1/drills/runs/{run['id']}", headers=auth_headers("viewer")).json()
    (incident_id,) = detail["incident_ids"]
    assert client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=commander).status_code == 200
    finished = client.post(f"/api/v1/drills/runs/{run['id']}/finish", json={"notes": "ok"}, headers=commander)
    assert finished.status_code == 200, finished.text
    card = finished.json()["scorecard"]
    ack = next(c for c in card["criteria"] if c["key"] == "acknowledge")
    assert ack["points"] == 100 and ack["actual_seconds"] == 120.0 and ack["target_seconds"] == 300.0
    assert finished.json()["score"] == card["score"]
    report = client.get(f"/api/v1/drills/runs/{run['id']}/report?lang=zh-CN", headers=auth_headers("viewer"))
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/markdown")
    assert "# 演练评估报告" in report.text and "确认用时" in report.text and "## 改进事项" in report.text
    again = client.post(f"/api/v1/drills/runs/{run['id']}/finish", json={}, headers=commander)
    assert again.status_code == 409 and again.json()["error"]["code"] == "drill_not_running"


def test_a_tabletop_answer_is_recorded_and_bad_input_is_a_4xx(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    commander = auth_headers("commander")
    run = client.post(
        "/api/v1/drills/runs", json={"event": event.slug, "drill": "data-leak-tabletop"}, headers=commander
    ).json()
    responder = auth_headers("responder")
    url = f"/api/v1/drills/runs/{run['id']}/answers"
    ok = client.post(
        url, json={"position": 1, "answer": "Contain it", "rating": 2, "team": "tech"}, headers=responder
    )
    assert ok.status_code == 200 and ok.json()["rating"] == 2
    assert (
        client.post(url, json={"position": 7, "answer": "x", "rating": 1}, headers=responder).json()["error"][
            "code"
        ]
        == "unknown_drill_step"
    )
    assert (
        client.post(url, json={"position": 1, "answer": "x", "rating": 5}, headers=responder).status_code
        == 422
    )
    assert (
        client.post(
            url, json={"position": 1, "answer": "x", "rating": 1}, headers=auth_headers("viewer")
        ).status_code
        == 403
    )
    unknown = client.post(
        "/api/v1/drills/runs", json={"event": event.slug, "drill": "nope"}, headers=commander
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "drill_not_found"
    assert client.get("/api/v1/drills/runs/999999", headers=responder).status_code == 404
    listed = client.get(f"/api/v1/drills/runs?event={event.slug}", headers=responder).json()
    assert [item["id"] for item in listed] == [run["id"]]
