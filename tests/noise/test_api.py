"""The noise API over HTTP (roles, bad input as 4xx envelopes, audit) and the CLI; and a silenced
alert through the real intake path (journal accept, then processing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard import cli_context
from eventguard.alerts import integrations
from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.cli.main import app as cli_app
from eventguard.clock import FrozenClock
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.noise import cli as noise_cli
from eventguard.noise.models import Silence
from tests.alerts.builders import am_alert, am_payload
from tests.conftest import LIVE_MOMENT, AuthHeaders, ProcessJournal

MATCHERS = [
    {"name": "alertname", "op": "=", "value": "HLSPlaylistStale"},
    {"name": "instance", "op": "=~", "value": "edge-1[0-9]:443"},
]


def _create(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post(
        "/api/v1/events/cloud-summit-2026/silences",
        json={"matchers": MATCHERS, "duration": 3600, "comment": "edge swap", **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_responder_silences_lists_and_expires_and_a_viewer_only_reads(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    responder, viewer = auth_headers("responder"), auth_headers("viewer")
    created = _create(client, responder)
    assert created["state"] == "active" and created["created_by"] == "responder-user/test"
    assert created["ends_at"] == (clock.now() + timedelta(hours=1)).isoformat()
    later = _create(client, responder, starts_at=(clock.now() + timedelta(hours=2)).isoformat())
    assert later["state"] == "pending"
    listed = client.get("/api/v1/events/cloud-summit-2026/silences", headers=viewer).json()
    assert [s["id"] for s in listed] == [created["id"], later["id"]]
    refused = client.post(
        "/api/v1/events/cloud-summit-2026/silences",
        json={"matchers": MATCHERS, "duration": 60, "comment": "x"},
        headers=viewer,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
    gone = client.delete(f"/api/v1/events/cloud-summit-2026/silences/{created['id']}", headers=responder)
    assert gone.status_code == 200 and gone.json()["state"] == "expired"
    assert gone.json()["expired_by"] == "responder-user/test"
    again = client.delete(f"/api/v1/events/cloud-summit-2026/silences/{created['id']}", headers=responder)
    assert again.status_code == 409 and again.json()["error"]["code"] == "silence_expired"
    active = client.get("/api/v1/events/cloud-summit-2026/silences", headers=viewer).json()
    assert [s["id"] for s in active] == [later["id"]]
    every = client.get("/api/v1/events/cloud-summit-2026/silences?expired=true", headers=viewer).json()
    assert {s["id"] for s in every} == {created["id"], later["id"]}
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "silence")).all()
    assert sorted(actions) == ["silence.create", "silence.create", "silence.expire"]
    missing = client.get("/api/v1/events/cloud-summit-2026/silences/999999", headers=viewer)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "silence_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"matchers": [{"name": "instance", "op": "=~", "value": "edge-("}]}, "invalid_matchers"),
        ({"matchers": [{"name": "instance", "op": "=~", "value": ".*"}]}, "invalid_matchers"),
        ({"matchers": [{"name": "bad-name", "op": "=", "value": "x"}]}, "invalid_matchers"),
        ({"matchers": [{"name": "env", "op": "==", "value": "x"}]}, "invalid_input"),
        ({"duration": -60}, "silence_ends_before_start"),
        ({"duration": 400 * 86400}, "silence_too_long"),
        ({"ends_at": "2026-05-20T02:00:00+00:00"}, "silence_end_missing"),  # both ends_at and duration
        ({"duration": None}, "silence_end_missing"),
        ({"starts_at": "2026-05-20T02:00:00"}, "invalid_input"),  # no offset
    ],
)
def test_bad_silences_are_refused_with_their_reason(
    client: TestClient,
    db: Session,
    event: Event,
    auth_headers: AuthHeaders,
    body: dict[str, object],
    code: str,
) -> None:
    payload = {"matchers": MATCHERS, "duration": 3600, "comment": "why", **body}
    response = client.post(
        "/api/v1/events/cloud-summit-2026/silences", json=payload, headers=auth_headers("responder")
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert db.scalars(select(Silence)).all() == []


def test_maintenance_windows_of_the_plan_and_ad_hoc_ones(
    client: TestClient, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    commander, responder = auth_headers("commander"), auth_headers("responder")
    body = {
        "name": "CDN switch-over",
        "matchers": [{"name": "component", "op": "=", "value": "cdn"}],
        "starts_at": "2026-05-21T01:00:00+08:00",
        "duration": 7200,
        "repeat": "weekly",
    }
    refused = client.post(
        "/api/v1/events/cloud-summit-2026/maintenance-windows", json=body, headers=responder
    )
    assert refused.status_code == 403
    created = client.post(
        "/api/v1/events/cloud-summit-2026/maintenance-windows", json=body, headers=commander
    )
    assert created.status_code == 201, created.text
    assert (
        created.json()["timezone"] == "Asia/Shanghai"
        and created.json()["next_start"] == "2026-05-20T17:00:00+00:00"
    )
    listed = client.get(
        "/api/v1/events/cloud-summit-2026/maintenance-windows", headers=auth_headers("viewer")
    ).json()
    assert [(w["origin"], w["id"]) for w in listed] == [
        ("plan", "backup-encoder-restart"),
        ("plan", "payment-provider-maintenance"),
        ("api", created.json()["id"]),
    ]
    too_long = client.post(
        "/api/v1/events/cloud-summit-2026/maintenance-windows",
        json={**body, "repeat": "daily", "duration": 90000},
        headers=commander,
    )
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "window_duration"
    deleted = client.delete(
        f"/api/v1/events/cloud-summit-2026/maintenance-windows/{created.json()['id']}", headers=commander
    )
    assert deleted.status_code == 200
    again = client.delete(
        f"/api/v1/events/cloud-summit-2026/maintenance-windows/{created.json()['id']}", headers=commander
    )
    assert again.status_code == 404


def test_a_silenced_alert_through_the_journal_is_held_and_explained_by_the_api(
    client: TestClient,
    db: Session,
    event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
    process_journal: ProcessJournal,
) -> None:
    clock.set(LIVE_MOMENT)
    silence = _create(client, auth_headers("responder"))
    _integration, token = integrations.create(
        db=db, event=event, name="prom", kind="alertmanager", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    payload = am_payload(am_alert("HLSPlaylistStale", instance="edge-12:443"))
    accepted = client.post(
        "/api/v1/integrations/alertmanager", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert accepted.status_code == 200
    [incident_id] = process_journal().incident_ids
    view = client.get(f"/api/v1/incidents/{incident_id}/noise", headers=auth_headers("viewer")).json()
    assert view["hold"]["held"] is True and view["hold"]["rule"] == f"silence:{silence['id']}"
    assert view["suppressions"][0]["alerts"] == 1 and view["suppressions"][0]["kind"] == "silence"
    assert client.get("/api/v1/incidents/999999/noise", headers=auth_headers("viewer")).status_code == 404
    metrics = client.get("/metrics").text
    assert 'eventguard_noise_suppressed_alerts_total{kind="silence"}' in metrics


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database: Database, clock: FrozenClock) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    monkeypatch.setenv("EVENTGUARD_SECRET_KEY", "cli-test-secret-key")
    # rich tables stay on one line (the console reads COLUMNS once, when it is made)
    monkeypatch.setattr(cli_context.console, "width", 200)
    monkeypatch.setattr(noise_cli, "CLOCK", clock)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_silences_and_windows_from_the_shell(cli: CliRunner, event: Event, db: Session) -> None:
    made = cli.invoke(
        cli_app,
        [
            "silence",
            "create",
            event.slug,
            "alertname=HLSPlaylistStale",
            'instance=~"edge-.*"',
            "--duration",
            "30m",
            "--comment",
            "swap",
            "--author",
            "alice",
        ],
    )
    assert made.exit_code == 0, made.output
    assert "Silence" in made.output and "2026-05-20T01:30:00+00:00" in made.output
    listed = cli.invoke(cli_app, ["silence", "list", event.slug], terminal_width=200)
    assert 'instance=~"edge-.*"' in listed.output and "active" in listed.output and "alice" in listed.output
    [silence] = db.scalars(select(Silence)).all()
    db.commit()
    bad = cli.invoke(cli_app, ["silence", "create", event.slug, "instance=~(", "--comment", "x"])
    assert bad.exit_code == 1 and "Bad matchers" in bad.output
    everything = cli.invoke(cli_app, ["silence", "create", event.slug, 'instance=~".*"', "--comment", "x"])
    assert everything.exit_code == 1 and "empty value" in everything.output
    expired = cli.invoke(cli_app, ["silence", "expire", event.slug, str(silence.id)])
    assert expired.exit_code == 0 and f"Silence {silence.id} expired." in expired.output
    window = cli.invoke(
        cli_app,
        [
            "maintenance",
            "create",
            event.slug,
            "component=cdn",
            "--name",
            "CDN swap",
            "--start",
            "2026-05-22T02:00:00+08:00",
            "--duration",
            "2h",
            "--repeat",
            "weekly",
        ],
    )
    assert window.exit_code == 0, window.output
    shown = cli.invoke(cli_app, ["maintenance", "list", event.slug], terminal_width=200)
    assert (
        "CDN swap" in shown.output and "backup-encoder-restart" in shown.output and "weekly" in shown.output
    )
    wrong = cli.invoke(
        cli_app,
        [
            "maintenance",
            "create",
            event.slug,
            "component=cdn",
            "--name",
            "x",
            "--start",
            "tomorrow",
            "--duration",
            "2h",
        ],
    )
    assert wrong.exit_code == 1 and "ISO 8601" in wrong.output
