"""Issue 12's smaller defects: the scenario's title wins over the first alert's text (editable by a
commander), the scenario's legal guidance is in the incident API, the public ETA has a date and a
time zone, and the incident CLI prints progress and shows task titles in its language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.audit.service import Actor
from eventguard.cli.main import app
from eventguard.clock import FrozenClock
from eventguard.comms.updates import drafts
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from tests.conftest import AuthHeaders

SYSTEM = Actor(type="system", name="eventguard")
ETA = datetime(2026, 6, 16, 15, 10, tzinfo=UTC)  # 23:10 in Shanghai


def _from_alert(
    db: Session, event: Event, clock: FrozenClock, scenario: str = "livestream-interruption"
) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.open_incident(
        db=db,
        event=event,
        spec=spec,
        title="ServerCrash web-3 (rehearsal)",
        level=3,
        scenario_id=scenario,
        core_functions=["livestream"],
        group_key=f"alertname=ServerCrash,scenario={scenario}",
        source="alertmanager",
        evidence={},
        actor=SYSTEM,
        clock=clock,
        phase="live",
    )
    db.commit()
    return incident


def test_the_scenario_title_wins_over_the_alert_text_until_a_commander_renames_it(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    incident = _from_alert(db, event, clock)
    url = f"/api/v1/incidents/{incident.id}"
    viewer = auth_headers("viewer")
    english = client.get(url, headers={**viewer, "Accept-Language": "en"}).json()
    assert english["display_title"] == "Livestream interruption" and english["title_source"] == "scenario"
    assert english["scenario_name"] == {"zh-CN": "直播中断", "en": "Livestream interruption"}
    assert client.get(f"{url}?lang=zh-CN", headers=viewer).json()["display_title"] == "直播中断"
    assert client.patch(url, json={"title": "x"}, headers=auth_headers("responder")).status_code == 403
    blank = client.patch(url, json={"title": ""}, headers=auth_headers("commander"))
    assert blank.status_code == 422
    renamed = client.patch(url, json={"title": "Main stage down"}, headers=auth_headers("commander"))
    assert renamed.status_code == 200, renamed.text
    assert (
        renamed.json()["display_title"] == "Main stage down" and renamed.json()["title_source"] == "commander"
    )
    entries = client.get(f"{url}/timeline", headers=viewer).json()
    [title] = [e for e in entries if e["kind"] == "title"]
    assert title["data"] == {"from": "ServerCrash web-3 (rehearsal)", "to": "Main stage down"}


def test_the_scenarios_legal_guidance_is_in_the_incident_api(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    leak = _from_alert(db, event, clock, scenario="data-leak")
    body = client.get(f"/api/v1/incidents/{leak.id}", headers=auth_headers("viewer")).json()
    assert "PIPL Article 57" in body["legal"]["en"] and "第五十七条" in body["legal"]["zh-CN"]
    assert "72 hours" in body["legal"]["en"]
    stream = _from_alert(db, event, clock)  # the seed's level-1 crash: a paid event that stops
    guidance = client.get(f"/api/v1/incidents/{stream.id}", headers=auth_headers("viewer")).json()["legal"]
    assert "Article 53" in guidance["en"] and "第五十三条" in guidance["zh-CN"]
    pages = _from_alert(db, event, clock, scenario="page-degradation")
    assert client.get(f"/api/v1/incidents/{pages.id}", headers=auth_headers("viewer")).json()["legal"] is None


def test_the_public_eta_reads_with_date_and_time_zone(db: Session, event: Event, clock: FrozenClock) -> None:
    incident = _from_alert(db, event, clock)
    incidents.add_progress(
        db=db, incident=incident, text="restarting", eta=ETA, team="tech", actor=SYSTEM, clock=clock
    )
    spec = plans.get_active_plan(db=db, event_id=event.id)
    draft = drafts.create_draft(
        db=db,
        incident=incident,
        spec=spec,
        draft=drafts.DraftInput(template_id="livestream-announcement"),
        base_url="http://testserver",
        actor=SYSTEM,
        clock=clock,
    )
    assert "预计 2026-06-16 23:10 UTC+08:00 恢复" in draft.body["zh-CN"]
    assert "back by 2026-06-16 23:10 UTC+08:00" in draft.body["en"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database: Database) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "zh-CN")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_cli_prints_progress_and_shows_tasks_in_its_language(
    cli: CliRunner, db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _from_alert(db, event, clock)
    shown = cli.invoke(app, ["incident", "show", str(incident.id)])
    assert shown.exit_code == 0, shown.output
    assert "直播中断" in shown.output and "确认中断范围" in shown.output
    assert "Confirm the scope" not in shown.output
    updated = cli.invoke(
        app, ["incident", "update", str(incident.id), "重启转码服务", "--eta", "2026-06-16T23:10:00+08:00"]
    )
    assert updated.exit_code == 0, updated.output
    assert f"已记录事件 #{incident.id} 的进展。" in updated.output
    assert "预计恢复 2026-06-16 23:10 UTC+08:00" in updated.output
    paused = cli.invoke(app, ["incident", "pause", str(incident.id), "--reason", "全场中断"])
    assert paused.exit_code == 0 and "活动自" in paused.output
    resumed = cli.invoke(app, ["incident", "resume", str(incident.id)])
    assert resumed.exit_code == 0 and "活动已恢复进行。" in resumed.output
    renamed = cli.invoke(app, ["incident", "rename", str(incident.id), "主会场中断"])
    assert renamed.exit_code == 0 and "主会场中断" in renamed.output
    db.expire_all()
    assert db.scalars(select(Incident.title_source).where(Incident.id == incident.id)).one() == "commander"


def test_the_plan_viewers_data_carries_the_scenarios_legal_guidance(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    plan = client.get(f"/api/v1/events/{event.slug}/plan", headers=auth_headers("viewer")).json()
    legal = {s["id"]: s.get("legal") for s in plan["spec"]["scenarios"]}
    assert legal["data-leak"] is not None and "GDPR Article 33" in legal["data-leak"]["en"]
