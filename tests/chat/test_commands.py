"""Every chat command through the same path (a signed Slack slash command), what the role check
lets through, the retries of a platform that fails, and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard import cli_context
from eventguard.chat import cli as chat_cli
from eventguard.chat import commands
from eventguard.chat.models import WarRoom, WarRoomPost
from eventguard.cli.main import app as cli_app
from eventguard.clock import FrozenClock
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from tests.chat import slack_server
from tests.chat.conftest import Link, WorkerPass, declare
from tests.chat.slack_server import BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver, Reply

CALLBACK = "/api/v1/chat/slack/cloud-summit-2026/callback"


@pytest.fixture
def fake() -> FakeSlack:
    return FakeSlack()


@pytest.fixture
def slack(fake: FakeSlack) -> Iterator[HttpReceiver]:
    receiver = slack_server.start(fake)
    yield receiver
    receiver.stop()


@pytest.fixture
def configured(client: TestClient, event: Event, slack: HttpReceiver, auth_headers: AuthHeaders) -> None:
    body = {
        "app_id": "A0001",
        "secrets": {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET},
        "base_url": f"{slack.url}/api",
    }
    assert (
        client.put(
            "/api/v1/events/cloud-summit-2026/chat-apps/slack", json=body, headers=auth_headers("admin")
        ).status_code
        == 200
    )


def _slash(client: TestClient, clock: FrozenClock, user: str, channel: str, text: str, seq: int) -> str:
    body = urlencode(
        {"command": "/eg", "text": text, "user_id": user, "channel_id": channel, "trigger_id": f"t{seq}"}
    )
    headers = signed(body, int(clock.now().timestamp()) + seq) | {
        "Content-Type": "application/x-www-form-urlencoded"
    }
    answer = client.post(CALLBACK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["text"])


def test_it_parses_commands_in_english_and_chinese() -> None:
    assert commands.parse("<@U0BOT> /eg ack") == commands.Command("ack")
    assert commands.parse("认领") == commands.Command("ack")
    assert commands.parse("@_user_1 进展 已切换 CDN eta 30m") == commands.Command(
        "update", "已切换 CDN eta 30m"
    )
    assert commands.parse("eg level 2 only the stream") == commands.Command("level", "2 only the stream")
    assert commands.parse("looking at it now") is None
    assert commands.parse_action("backup:backup-stream") == commands.Command("backup", "backup-stream")
    assert commands.parse_action("drop-tables") is None


def test_every_command_runs_with_the_apis_role_check(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    event: Event,
    link: Link,
    clock: FrozenClock,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    channel = client.get(
        f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("viewer")
    ).json()[0]["chat_id"]
    link("responder", "slack", "U01ZHANGWEI")
    link("commander", "slack", "U01EMILYC")

    # taking a role needs the commander role, as POST /roles does
    assert "commander" in _slash(client, clock, "U01ZHANGWEI", channel, "role tech_lead", 1)
    assert _slash(client, clock, "U01EMILYC", channel, "role ops_lead", 2) in (
        "Role assigned.",
        "角色已指派。",
    )
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()
    assert {"role": "ops_lead", "person_id": "emily-carter"} in [
        {"role": r["role"], "person_id": r["person_id"]} for r in detail["roles"]
    ]

    unknown = _slash(client, clock, "U01ZHANGWEI", channel, "backup no-such-plan", 3)
    assert unknown not in ("Backup plan switched on.", "备用方案已启用。") and "no-such-plan" in unknown
    assert _slash(client, clock, "U01ZHANGWEI", channel, "backup backup-stream", 4) in (
        "Backup plan switched on.",
        "备用方案已启用。",
    )
    backups = client.get(f"/api/v1/incidents/{incident['id']}/backups", headers=auth_headers("viewer")).json()
    assert any(b["id"] == "backup-stream" and b["active"] for b in backups), backups

    refused = _slash(client, clock, "U01ZHANGWEI", channel, "level 2", 5)  # no reason: refused like the API
    assert "reason" in refused or "原因" in refused
    assert _slash(client, clock, "U01ZHANGWEI", channel, "level 2 only the stream is down", 6) in (
        "Level changed.",
        "级别已调整。",
    )
    resolved = _slash(client, clock, "U01ZHANGWEI", channel, "resolve switched to the backup", 7)
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()
    assert detail["level"] == 2 and detail["status"] == "resolved"
    again = _slash(client, clock, "U01ZHANGWEI", channel, "resolve", 8)  # 409 in the API: a refusal here
    assert again != resolved


def test_a_failing_platform_is_retried_and_a_bad_token_fails_the_room_visibly(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeSlack,
    slack: HttpReceiver,
    event: Event,
    clock: FrozenClock,
    db: Session,
) -> None:
    slack.reply(Reply(503, "busy"))  # the first call (conversations.create) fails
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    room = client.get(f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("viewer")).json()[
        0
    ]
    assert room["status"] == "pending" and "503" in room["last_error"]
    worker_pass()
    assert fake.channels == {}  # not before its backoff
    clock.advance(timedelta(seconds=11))
    worker_pass()
    room = client.get(f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("viewer")).json()[
        0
    ]
    assert room["status"] == "open" and room["last_error"] is None
    assert len(fake.posted) == 1  # the card, once

    bad = {"app_id": "A0001", "secrets": {"bot_token": "xoxb-revoked"}}
    assert (
        client.put(
            "/api/v1/events/cloud-summit-2026/chat-apps/slack", json=bad, headers=auth_headers("admin")
        ).status_code
        == 200
    )
    other = declare(client, auth_headers("responder"), event, level=2, title="Payments failing")
    worker_pass()
    failed = client.get(f"/api/v1/incidents/{other['id']}/war-rooms", headers=auth_headers("viewer")).json()[
        0
    ]
    assert failed["status"] == "failed" and "invalid_auth" in failed["last_error"]
    db.commit()
    assert (
        db.scalars(select(WarRoom).where(WarRoom.status == "failed")).one().attempts == 1
    )  # permanent: not retried
    assert db.scalars(select(WarRoomPost).where(WarRoomPost.status == "pending")).all() == []


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database: Database, clock: FrozenClock) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    monkeypatch.setenv("EVENTGUARD_SECRET_KEY", "test-secret-key")
    # rich tables stay on one line (the console reads COLUMNS once, when it is made)
    monkeypatch.setattr(cli_context.console, "width", 200)
    monkeypatch.setattr(chat_cli, "CLOCK", clock)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_apps_rooms_and_links_from_the_command_line(
    cli: CliRunner,
    event: Event,
    slack: HttpReceiver,
    client: TestClient,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EG_TEST_SLACK_BOT", BOT_TOKEN)
    monkeypatch.setenv("EG_TEST_SLACK_SIGNING", SIGNING_SECRET)
    args = [
        "chat",
        "app-set",
        event.slug,
        "slack",
        "--app-id",
        "A0001",
        "--secret-env",
        "bot_token=EG_TEST_SLACK_BOT",
    ]
    args += ["--secret-env", "signing_secret=EG_TEST_SLACK_SIGNING", "--base-url", f"{slack.url}/api"]
    made = cli.invoke(cli_app, [*args, "--setting", "team_id=T0001"])
    assert made.exit_code == 0, made.output
    assert "/api/v1/chat/slack/cloud-summit-2026/callback" in made.output and BOT_TOKEN not in made.output
    missing = cli.invoke(
        cli_app,
        ["chat", "app-set", event.slug, "slack", "--app-id", "A", "--secret-env", "bot_token=EG_UNSET_VAR"],
    )
    assert missing.exit_code != 0 and "EG_UNSET_VAR" in str(missing.exception)  # the CLI's main prints it

    incident = declare(client, auth_headers("responder"), event, level=3, title="Slow page loads")
    opened = cli.invoke(cli_app, ["chat", "open", str(incident["id"])], terminal_width=200)
    assert opened.exit_code == 0, opened.output
    assert "pending" in opened.output
    worker_pass()
    listed = cli.invoke(cli_app, ["chat", "rooms", str(incident["id"])], terminal_width=200)
    assert "open" in listed.output and "app.slack.com" in listed.output
    auth_headers("responder")
    linked = cli.invoke(cli_app, ["chat", "link", "responder-user", "slack", "U01ZHANGWEI"])
    assert linked.exit_code == 0 and "U01ZHANGWEI" in linked.output
