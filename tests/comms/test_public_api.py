"""The public status page over HTTP: HTML without scripts, Statuspage-shaped JSON, a valid Atom feed,
conditional requests and the language switch."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import feedparser
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.models import PublicStatus
from eventguard.events.models import Event
from tests.comms.conftest import declare, publish

COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INDICATORS = {"none", "minor", "major", "critical"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def test_the_status_page_renders_with_no_script_and_reads_on_a_phone(
    client: TestClient, event: Event
) -> None:
    response = client.get(f"/status/{event.slug}?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Tags()
    parser.feed(response.text)
    assert "script" not in parser.tags and parser.handlers == []
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
    for name in ("Login", "Payment", "Livestream", "All Systems Operational"):
        assert name in response.text


def _check_component(component: dict[str, Any], page_id: str) -> None:
    expected = {"id", "name", "status", "created_at", "updated_at", "position", "description", "page_id"}
    assert expected <= set(component)
    assert component["status"] in COMPONENT_STATUSES and component["page_id"] == page_id


def _check_incident(incident: dict[str, Any], page_id: str, statuses: set[str]) -> None:
    keys = {"id", "name", "status", "impact", "created_at", "updated_at", "incident_updates", "page_id"}
    assert keys <= set(incident)
    assert incident["status"] in statuses and incident["page_id"] == page_id
    for update in incident["incident_updates"]:
        assert {"id", "incident_id", "status", "body", "created_at", "updated_at", "display_at"} <= set(
            update
        )
        assert update["incident_id"] == incident["id"] and update["status"] in statuses


def test_the_json_matches_the_documented_summary_shape(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = declare(db, event, clock, level=2)
    publish(db, incident, clock, status=PublicStatus.identified, eta="13:00")
    body = client.get(f"/status/{event.slug}.json?lang=en").json()
    assert set(body) == {
        "page",
        "status",
        "components",
        "incidents",
        "scheduled_maintenances",
        "backup_plans",
        "paused",
        "pause",
    }
    assert body["paused"] is False and body["pause"] is None  # level 2 does not pause the event
    assert set(body["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert body["page"] == {
        **body["page"],
        "id": event.slug,
        "name": "Cloud Summit 2026",
        "time_zone": "Asia/Shanghai",
    }
    assert body["page"]["url"] == f"http://testserver/status/{event.slug}"
    assert body["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert body["status"]["indicator"] in INDICATORS
    assert [c["id"] for c in body["components"]] == [
        "login",
        "payment",
        "livestream",
        "interaction",
        "materials",
    ]
    for component in body["components"]:
        _check_component(component, event.slug)
    assert {c["id"]: c["status"] for c in body["components"]}["livestream"] == "partial_outage"
    (shown,) = body["incidents"]
    _check_incident(shown, event.slug, INCIDENT_STATUSES)
    assert shown["status"] == "identified" and shown["impact"] == "major"
    assert shown["name"] == "The livestream is interrupted"
    assert "13:00" in shown["incident_updates"][0]["body"]
    assert body["page"]["updated_at"].endswith("+08:00")


def test_the_atom_feed_is_valid_per_rfc_4287(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = declare(db, event, clock)
    publish(db, incident, clock)
    clock.advance(timedelta(minutes=5))
    publish(db, incident, clock, status=PublicStatus.monitoring)
    response = client.get(f"/status/{event.slug}/feed.atom?lang=en")
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == f"urn:eventguard:status:{event.slug}"
    assert parsed.feed.title == "Cloud Summit 2026 — status" and parsed.feed.updated
    assert parsed.feed.author
    assert {link.rel for link in parsed.feed.links} == {"self", "alternate"}
    assert len(parsed.entries) == 2
    newest, oldest = parsed.entries
    assert newest.title == "The livestream is interrupted — Monitoring"
    assert oldest.title.endswith("Investigating")
    for entry in parsed.entries:
        assert entry.id.startswith(f"urn:eventguard:incident:{incident.id}:update:") and entry.updated
        assert entry.link.startswith(f"http://testserver/status/{event.slug}#i-{incident.id}")
        assert entry.content[0].value
    assert newest.updated_parsed > oldest.updated_parsed


def test_an_etag_answers_304(client: TestClient, event: Event) -> None:
    for path in (f"/status/{event.slug}", f"/status/{event.slug}.json", f"/status/{event.slug}/feed.atom"):
        first = client.get(path)
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "public, max-age=1"
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_last_modified_answers_304_until_something_public_changes(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    first = client.get(f"/status/{event.slug}.json")
    stamp = first.headers["last-modified"]
    assert client.get(f"/status/{event.slug}.json", headers={"If-Modified-Since": stamp}).status_code == 304
    clock.advance(timedelta(minutes=3))
    declare(db, event, clock)
    changed = client.get(f"/status/{event.slug}.json", headers={"If-Modified-Since": stamp})
    assert changed.status_code == 200 and changed.headers["last-modified"] != stamp


def test_the_page_switches_between_chinese_and_english(client: TestClient, event: Event) -> None:
    chinese = client.get(f"/status/{event.slug}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    english = client.get(f"/status/{event.slug}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert (
        '<html lang="zh-CN">' in chinese.text
        and "所有服务运行正常" in chinese.text
        and "直播流" in chinese.text
    )
    assert '<html lang="en">' in english.text and "All Systems Operational" in english.text
    assert chinese.headers["content-language"] == "zh-CN" and english.headers["vary"] == "Accept-Language"
    forced = client.get(f"/status/{event.slug}?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "All Systems Operational" in forced.text
    assert (
        client.get(f"/status/{event.slug}.json?lang=zh-CN").json()["status"]["description"]
        == "所有服务运行正常"
    )


def test_an_unknown_event_is_a_404_in_the_error_envelope(client: TestClient, event: Event) -> None:
    response = client.get("/status/no-such-event.json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "event_not_found"


def test_head_answers_the_headers_without_a_body(client: TestClient, event: Event) -> None:
    response = client.head(f"/status/{event.slug}")
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) > 1000 and response.headers["etag"]
