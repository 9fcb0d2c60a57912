"""Each readiness rule failing and then passing, through the real paths (test messages delivered by
the worker to a local receiver, backup plans switched on for an incident, legal sign-offs, an
on-call override); the command line's exit code; go/no-go decisions and the gate at going live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.comms.backups import service as backups
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans
from eventguard.probes.scheduler import ProbeScheduler
from eventguard.surveys.service import replace_section
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.conftest import EXAMPLE_PLAN, AuthHeaders
from tests.notify.conftest import VENDOR_URLS
from tests.notify.receivers import HttpReceiver

SLUG = "cloud-summit-2026"
URL = f"/api/v1/events/{SLUG}/readiness"


def _items(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, object]]:
    answer = client.get(URL, params={"lang": "en"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["key"]: item for item in answer.json()["items"]}


def _failing(items: dict[str, dict[str, object]], prefix: str) -> list[str]:
    return sorted(key for key, item in items.items() if key.startswith(prefix) and not item["ok"])


def _person_token(db: Session, clock: FrozenClock, username: str) -> dict[str, str]:
    user = auth.create_user(
        db=db,
        username=username,
        password="a long test password",
        role=Role.responder,
        actor=Actor.cli("test"),
        clock=clock,
    )
    _token, secret = auth.create_token(
        db=db, user=user, name="t", scopes=["admin"], actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def _cli(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVENTGUARD_DATABASE_URL": database.url, "EVENTGUARD_DEFAULT_LANGUAGE": "en"}
    return subprocess.run(
        [sys.executable, "-m", "eventguard.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _without(source: str, *keys: str) -> str:
    """``source`` without its top-level sections ``keys`` (each up to the next top-level key)."""
    lines, kept, skipping = source.splitlines(keepends=True), [], False
    for line in lines:
        if line[:1] not in ("", " ", "#", "\n", "-"):
            skipping = line.split(":", 1)[0] in keys
        if not skipping:
            kept.append(line)
    return "".join(kept)


def test_each_rule_fails_then_passes_and_the_cli_exit_code_follows(
    client: TestClient,
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    viewer, commander = auth_headers("viewer"), auth_headers("commander")
    items = _items(client, viewer)
    answer = client.get(URL, headers=viewer).json()
    assert answer["ready"] is False and answer["decision"] is None
    at = clock.now().isoformat()
    failed = _cli(database, "readiness", SLUG, "--json", "--at", at)
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["ready"] is False

    # Levels reach their targets: a test message delivered to every channel they use, within 7 days.
    assert _failing(items, "notify.") == ["notify.level-1", "notify.level-2", "notify.level-3"]
    assert "tech-wecom" in str(items["notify.level-3"]["detail"])
    spec = plans.get_active_plan(db=db, event_id=local_event.id)
    for channel in spec.channels:
        sent = client.post(f"/api/v1/events/{SLUG}/channels/{channel.id}/test", headers=commander)
        assert sent.status_code == 202, sent.text
    run_once(database=database, context=worker_context)
    db.commit()
    assert _failing(_items(client, viewer), "notify.") == []
    clock.advance(timedelta(days=8))
    assert _failing(_items(client, viewer), "notify.") == [
        "notify.level-1",
        "notify.level-2",
        "notify.level-3",
    ]
    clock.advance(timedelta(days=-8))

    # Every scenario has a runbook and a backup plan.
    # The example plan's scenarios without a backup plan (data-leak lists none on purpose).
    without_backup = ["data-leak", "participant-dispute"]
    assert _failing(items, "scenario.") == [f"scenario.{sid}" for sid in without_backup]
    assert items["scenario.data-leak"]["detail"] == "No backup plan."
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    for vendor, path in VENDOR_URLS.items():  # as local_event made it
        source = source.replace(vendor, http_receiver.url.rstrip("/") + path)
    for sid in without_backup:
        start = source.index(f"  - id: {sid}\n")
        kind_end = source.index("\n", source.index("    kind:", start)) + 1
        empty = source.find("    backup_plans: []\n", start)
        following = source.find("\n  - id: ", kind_end)
        if empty != -1 and (following == -1 or empty < following):
            source = source[:empty] + source[empty + len("    backup_plans: []\n") :]
        source = source[:kind_end] + "    backup_plans: [backup-links]\n" + source[kind_end:]
    # The items other domains add have their own tests: this plan has no drills, and one probe (a TCP
    # connect to the local receiver) that the scheduler checks before the end.
    port = int(http_receiver.url.rstrip("/").rsplit(":", 1)[1].split("/")[0])
    probe = {"id": "receiver-tcp", "kind": "tcp", "host": "127.0.0.1", "port": port, "interval": "30s"}
    local = replace_section(_without(source, "drills"), "monitoring", [probe])
    plans.apply_plan(db=db, source=local, filename="plan.yaml", actor=Actor.cli("test"), clock=clock)
    db.commit()
    items = _items(client, viewer)
    assert _failing(items, "scenario.") == []

    # Every backup plan switched over within 30 days (here: for a drill incident).
    assert _failing(items, "backup.") == [
        "backup.backup-links",
        "backup.backup-stream",
        "backup.offline-pack",
    ]
    spec = plans.get_active_plan(db=db, event_id=local_event.id)
    drill = incidents.declare(
        db=db,
        event=local_event,
        spec=spec,
        title="Switch-over drill",
        level=3,
        scenario_id="livestream-interruption",
        core_functions=None,
        impact=None,
        phase="prep",
        actor=Actor.cli("test"),
        clock=clock,
        is_drill=True,
    )
    for backup in ("backup-stream", "backup-links", "offline-pack"):
        backups.activate(
            db=db,
            incident=drill,
            spec=spec,
            backup_id=backup,
            base_url="http://testserver",
            actor=Actor.cli("test"),
            clock=clock,
        )
    db.commit()
    assert _failing(_items(client, viewer), "backup.") == []
    clock.advance(timedelta(days=31))
    assert len(_failing(_items(client, viewer), "backup.")) == 3
    clock.advance(timedelta(days=-31))

    # Legal items are signed off by the legal team (wu-hao leads it; zhang-wei does not belong to it).
    assert len(_failing(items, "legal.")) == 4 and items["legal.privacy-policy"]["waivable"] is False
    assert items["legal.privacy-policy"]["title"] == "Legal sign-off: Privacy policy"
    outsider = client.post(
        f"{URL}/legal/privacy-policy/signoff", json={}, headers=_person_token(db, clock, "zhang-wei")
    )
    assert outsider.status_code == 403 and outsider.json()["error"]["code"] == "not_legal_team"
    legal = _person_token(db, clock, "wu-hao")
    for item in ("user-agreement", "privacy-policy", "content-review", "copyright"):
        signed = client.post(f"{URL}/legal/{item}/signoff", json={"note": "v3 reviewed"}, headers=legal)
        assert signed.status_code == 201, signed.text
    assert _failing(_items(client, viewer), "legal.") == []
    assert client.delete(f"{URL}/legal/copyright/signoff", headers=commander).status_code == 204
    assert _failing(_items(client, viewer), "legal.") == ["legal.copyright"]
    assert client.post(f"{URL}/legal/copyright/signoff", json={}, headers=legal).status_code == 201

    # No open risk of score >= 12 without a mitigation.
    assert items["risks.mitigation"]["ok"] is True
    created = client.post(
        f"/api/v1/events/{SLUG}/risks",
        json={
            "key": "stage-fire",
            "category": "technical",
            "title": {"zh-CN": "演播室断电", "en": "Studio power cut"},
            "likelihood": 3,
            "impact": 4,
        },
        headers=auth_headers("responder"),
    )
    assert created.status_code == 201
    risky = _items(client, viewer)["risks.mitigation"]
    assert risky["ok"] is False and risky["detail"] == "Without mitigation: stage-fire"
    assert risky["fix_path"] == f"/events/{SLUG}/risks?status=open&min_score=12"
    client.patch(
        f"/api/v1/events/{SLUG}/risks/stage-fire",
        json={"mitigation": {"zh-CN": "备用电源", "en": "UPS and a generator"}},
        headers=auth_headers("responder"),
    )
    assert _items(client, viewer)["risks.mitigation"]["ok"] is True

    # On-call covers the whole live window for every team a level notifies.
    assert _failing(items, "oncall.") == ["oncall.customer-service"]
    assert "2026-06-16" in str(items["oncall.customer-service"]["detail"])
    override = client.post(
        f"/api/v1/events/{SLUG}/schedules/customer-service-oncall/overrides",
        json={
            "person_id": "zhou-ting",
            "start": "2026-06-15T23:00:00Z",
            "end": "2026-06-17T13:00:00Z",
            "reason": "covers the live days",
        },
        headers=auth_headers("responder"),
    )
    assert override.status_code == 201, override.text
    ProbeScheduler(database=database, clock=clock, spread=False).run_once()
    final = client.get(URL, headers=viewer).json()
    assert final["ready"] is True, [i for i in final["items"] if not i["ok"]]
    passed = _cli(database, "readiness", SLUG, "--at", clock.now().isoformat())
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Ready" in passed.stdout


def test_a_go_needs_every_failing_item_waived_and_going_live_without_one_warns_or_is_refused(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    commander = auth_headers("commander")
    failing = client.get(URL, headers=commander).json()["failing"]
    refused = client.post(f"{URL}/decisions", json={"decision": "go"}, headers=commander)
    assert refused.status_code == 409 and refused.json()["error"]["details"]["failing"] == failing
    not_waivable = client.post(
        f"{URL}/decisions",
        json={"decision": "go", "waive": [{"key": "legal.copyright", "reason": "later"}]},
        headers=commander,
    )
    assert not_waivable.status_code == 422 and not_waivable.json()["error"]["code"] == "not_waivable"
    no_go = client.post(
        f"{URL}/decisions", json={"decision": "no_go", "note": "legal pending"}, headers=commander
    )
    assert no_go.status_code == 201 and no_go.json()["decided_by"].startswith("commander-user")
    assert (
        client.post(
            f"{URL}/decisions", json={"decision": "go"}, headers=auth_headers("responder")
        ).status_code
        == 403
    )

    # The plan moves the live phase to start now: with no go decision, a "refuse" plan is refused.
    clock.set(datetime(2026, 6, 15, 4, 0, tzinfo=UTC))  # prep under the plan in force
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    early = source.replace("end: 2026-06-16T08:00:00+08:00", "end: 2026-06-15T08:00:00+08:00").replace(
        "start: 2026-06-16T08:00:00+08:00", "start: 2026-06-15T08:00:00+08:00"
    )
    refuse = early.replace("live_without_go: warn", "live_without_go: refuse")
    answer = client.post(
        "/api/v1/plans", content=refuse, headers={**commander, "Content-Type": "application/yaml"}
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_go_decision", answer.text
    assert (
        plans.get_active_plan(db=db, event_id=event.id).readiness.live_without_go == "warn"
    )  # nothing applied
    warned = client.post(
        "/api/v1/plans", content=early, headers={**commander, "Content-Type": "application/yaml"}
    )
    assert warned.status_code == 201, warned.text
    db.commit()
    assert (
        db.scalar(select(AuditEntry.id).where(AuditEntry.action == "readiness.live_without_go")) is not None
    )

    # With every legal item signed and the rest waived, a go is recorded with its waivers.
    for item in ("user-agreement", "privacy-policy", "content-review", "copyright"):
        assert (
            client.post(f"{URL}/legal/{item}/signoff", json={}, headers=auth_headers("admin")).status_code
            == 201
        )
    failing = client.get(URL, headers=commander).json()["failing"]
    assert not [key for key in failing if key.startswith("legal.")]
    go = client.post(
        f"{URL}/decisions",
        json={
            "decision": "go",
            "waive": [{"key": key, "reason": "accepted by the organizer"} for key in failing],
        },
        headers=commander,
    )
    assert go.status_code == 201, go.text
    assert [w["key"] for w in go.json()["waived"]] == failing
    history = client.get(f"{URL}/decisions", headers=commander).json()
    assert [d["decision"] for d in history] == ["go", "no_go"]
    assert client.get(URL, headers=commander).json()["decision"]["decision"] == "go"
