"""The analytics API as JSON and CSV (``?format=csv`` or ``Accept: text/csv``), its bounded query
and its roles."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.analytics.seed import NOW, seed
from tests.conftest import AuthHeaders


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_viewer_reads_the_summary_of_one_event(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    seed(db, event)
    clock.set(NOW)
    answer = client.get("/api/v1/analytics/summary?event=cloud-summit-2026", headers=auth_headers("viewer"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["response"]["mtta_seconds"] == 180 and body["response"]["mttr_seconds"] == 3600
    assert body["sla_overall"]["met_percent"] == 40.0
    levels = next(b for b in body["breakdowns"] if b["by"] == "level")["buckets"]
    assert levels == [{"key": "1", "count": 1}, {"key": "2", "count": 2}, {"key": "3", "count": 1}]
    assert [d["score"] for d in body["drill_scores"]] == [60, 85]
    assert body["action_items"]["overdue"] == 1
    assert [(e["event"], e["response"]["mtta_seconds"]) for e in body["events"]] == [
        ("cloud-summit-2026", 180)
    ]


def test_the_sla_as_csv_parses_with_one_row_per_role_and_level(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    seed(db, event)
    clock.set(NOW)
    answer = client.get(
        "/api/v1/analytics/sla",
        params={"event": "cloud-summit-2026", "format": "csv"},
        headers=auth_headers("viewer"),
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="analytics-sla.csv"' in answer.headers["content-disposition"]
    rows = _csv(answer.text)
    assert [(r["level"], r["target"], r["met_percent"]) for r in rows] == [
        ("", "*", "40.0"),
        ("1", "team:comms", "0.0"),
        ("1", "team:tech:lead", "100.0"),
        ("2", "team:comms", "0.0"),
        ("2", "team:tech:lead", "50.0"),
        ("3", "team:tech:lead", ""),
    ]


def test_accept_text_csv_gives_csv_too(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    seed(db, event)
    headers = {**auth_headers("viewer"), "Accept": "text/csv"}
    incidents = _csv(client.get("/api/v1/analytics/incidents?event=cloud-summit-2026", headers=headers).text)
    assert [r["acknowledge_seconds"] for r in incidents] == ["60.0", "120.0", "360.0", ""]
    hours = _csv(client.get("/api/v1/analytics/breakdown/hour?event=cloud-summit-2026", headers=headers).text)
    assert len(hours) == 24 and {r["hour"]: r["count"] for r in hours}["21"] == "1"
    summary = {
        r["metric"]: r["value"] for r in _csv(client.get("/api/v1/analytics/summary", headers=headers).text)
    }
    assert summary["mtta_seconds"] == "210.0" and summary["incidents"] == "5"
    drills = _csv(client.get("/api/v1/analytics/drills", headers=headers).text)
    assert [r["score"] for r in drills] == ["60", "85"]
    teams = _csv(client.get("/api/v1/analytics/action-items?event=cloud-summit-2026", headers=headers).text)
    assert teams == [
        {"team": "comms", "open": "0", "overdue": "0", "done": "1"},
        {"team": "tech", "open": "2", "overdue": "0", "done": "0"},
    ]  # the app's clock (2026-05-20) is before every due date


def test_bad_queries_are_clear_4xx(client: TestClient, event: Event, auth_headers: AuthHeaders) -> None:
    headers = auth_headers("viewer")
    unknown = client.get("/api/v1/analytics/summary?event=nope", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"]
    for query in ("since=2026-13-01", "since=1999-12-31", "since=2026-06-02&until=2026-06-01", "format=xml"):
        answer = client.get(f"/api/v1/analytics/summary?{query}", headers=headers)
        assert answer.status_code == 422, query
        assert "error" in answer.json()
    assert client.get("/api/v1/analytics/breakdown/weekday", headers=headers).status_code == 422
    assert client.get("/api/v1/analytics/summary").status_code == 401


def test_the_window_is_inclusive_of_both_days(
    client: TestClient, db: Session, event: Event, auth_headers: AuthHeaders
) -> None:
    seed(db, event)
    answer = client.get(
        "/api/v1/analytics/incidents",
        params={"event": "cloud-summit-2026", "since": "2026-06-10", "until": "2026-06-10"},
        headers=auth_headers("viewer"),
    )
    assert [row["phase"] for row in answer.json()] == ["prep"]


def test_the_query_is_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/analytics/summary"]["get"]["parameters"]}
    assert {"event", "since", "until", "drills", "format"} <= set(params)


def test_a_title_a_spreadsheet_would_run_is_text_in_the_csv(
    client: TestClient, db: Session, event: Event, auth_headers: AuthHeaders
) -> None:
    from tests.analytics.seed import incident

    found = incident(db, event, level=2, opened=NOW, ack=30)
    found.title = '=HYPERLINK("http://127.0.0.1/x","click")'
    db.commit()
    answer = client.get(
        "/api/v1/analytics/incidents?event=cloud-summit-2026&format=csv", headers=auth_headers("viewer")
    )
    rows = _csv(answer.text)
    assert rows[0]["title"] == "'" + found.title
    assert rows[0]["acknowledge_seconds"] == "30.0" and rows[0]["level"] == "2"
