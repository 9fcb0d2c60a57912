"""Slack end to end against a local Slack Web API: a level-1 incident opens a private channel with
the notified teams' responders (Slack ids from the plan, the rest looked up by e-mail), the card and
the timeline are posted, a late responder is invited; buttons and messages act as the linked user
with the API's role check; unsigned, stale and replayed requests are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.incidents.models import TimelineEntry
from tests.chat import slack_server
from tests.chat.conftest import Link, WorkerPass, declare
from tests.chat.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    button_click,
    channel_message,
    signed,
)
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver

CALLBACK = "/api/v1/chat/slack/cloud-summit-2026/callback"


@pytest.fixture
def fake() -> FakeSlack:
    return FakeSlack(emails={"li.na@example.com": "U01LINA"})


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
        "settings": {"team_id": "T0001"},
        "base_url": f"{slack.url}/api",
    }
    answer = client.put(
        "/api/v1/events/cloud-summit-2026/chat-apps/slack", json=body, headers=auth_headers("admin")
    )
    assert answer.status_code == 200, answer.text


def _room(client: TestClient, incident_id: int, headers: dict[str, str]) -> dict[str, object]:
    rooms = client.get(f"/api/v1/incidents/{incident_id}/war-rooms", headers=headers).json()
    assert len(rooms) == 1
    return dict(rooms[0])


def test_the_app_secrets_are_never_shown_again(
    client: TestClient, configured: None, auth_headers: AuthHeaders, db: Session
) -> None:
    answer = client.get("/api/v1/events/cloud-summit-2026/chat-apps", headers=auth_headers("admin"))
    assert answer.status_code == 200
    assert answer.json()[0]["secrets_set"] == ["bot_token", "signing_secret"]
    assert BOT_TOKEN not in answer.text and SIGNING_SECRET not in answer.text
    stored = db.execute(
        select(AuditEntry.after).where(AuditEntry.action == "chat.app_configured")
    ).scalar_one()
    assert BOT_TOKEN not in str(stored)
    from eventguard.chat.models import ChatApp

    row = db.scalars(select(ChatApp)).one()
    assert BOT_TOKEN not in row.secrets and SIGNING_SECRET not in row.secrets  # encrypted at rest
    assert (
        client.get(
            "/api/v1/events/cloud-summit-2026/chat-apps", headers=auth_headers("commander")
        ).status_code
        == 403
    )


def test_a_level_1_incident_opens_a_room_mirrors_the_timeline_and_invites_a_late_responder(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeSlack,
    event: Event,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    viewer = auth_headers("viewer")
    room = _room(client, incident["id"], viewer)
    assert room["status"] == "open", room
    channel = fake.channels[str(room["chat_id"])]
    assert channel["is_private"] is True and channel["name"].startswith(f"eg-{incident['id']}-")
    # level 1 notifies organizer, tech, ops, pr, legal: who has a Slack id, and Li Na found by e-mail
    assert set(channel["members"]) == {"U01ZHANGWEI", "U01CHENJIE", "U01EMILYC", "U01LINA"}
    assert room["link"] == f"https://app.slack.com/client/T0001/{room['chat_id']}"
    card = fake.posted[0]
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["value"] for b in buttons} >= {f"{incident['id']}:ack", f"{incident['id']}:resolve"}
    assert "Main stream down" in card["text"]

    commander = auth_headers("commander")
    assert (
        client.post(
            f"/api/v1/incidents/{incident['id']}/level",
            json={"level": 2, "reason": "only the stream"},
            headers=viewer | auth_headers("responder"),
        ).status_code
        == 200
    )
    answer = client.post(
        f"/api/v1/incidents/{incident['id']}/roles",
        json={"role": "tech_lead", "person_id": "huang-lei"},
        headers=commander,
    )
    assert answer.status_code == 200, answer.text
    worker_pass()
    worker_pass()
    texts = [m["text"] for m in fake.posted[1:]]
    assert any("P1" in text and "P2" in text and "only the stream" in text for text in texts), texts
    assert any("tech_lead" in text and "huang-lei" in text for text in texts), texts
    assert "U01HUANGLEI" in channel["members"]  # the late responder, invited
    assert len(fake.channels) == 1  # one room, however many passes


def test_a_signed_button_acknowledges_as_the_linked_responder(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeSlack,
    event: Event,
    link: Link,
    clock: FrozenClock,
    db: Session,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    chat_id = str(_room(client, incident["id"], auth_headers("viewer"))["chat_id"])
    link("responder", "slack", "U01ZHANGWEI")
    body = button_click("U01ZHANGWEI", chat_id, incident["id"], "ack")
    headers = signed(body, int(clock.now().timestamp())) | {
        "Content-Type": "application/x-www-form-urlencoded"
    }
    answer = client.post(CALLBACK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["response_type"] == "ephemeral"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()
    assert detail["status"] == "acknowledged"
    db.commit()
    entry = db.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident["id"], TimelineEntry.kind == "status")
        .order_by(TimelineEntry.id.desc())
    ).first()
    assert entry is not None and entry.actor_type == "slack" and entry.actor_name == "responder-user"
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "chat.ack")).one()
    assert (
        audit.actor_type == "slack"
        and audit.after is not None
        and audit.after["platform_user"] == "U01ZHANGWEI"
    )

    replayed = client.post(CALLBACK, content=body, headers=headers)  # the same signed request again
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "replayed"


def test_a_viewers_button_is_refused_in_slacks_shape_and_changes_nothing(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    event: Event,
    link: Link,
    clock: FrozenClock,
    db: Session,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    chat_id = str(_room(client, incident["id"], auth_headers("viewer"))["chat_id"])
    link("viewer", "slack", "U01CHENJIE")
    body = button_click("U01CHENJIE", chat_id, incident["id"], "resolve")
    answer = client.post(
        CALLBACK,
        content=body,
        headers=signed(body, int(clock.now().timestamp()))
        | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert answer.json()["response_type"] == "ephemeral" and "responder" in answer.json()["text"]
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()
    assert detail["status"] == "triggered"
    db.commit()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action.like("chat.resolve"))).first() is None

    unknown = button_click("U09NOBODY", chat_id, incident["id"], "ack")
    refused = client.post(
        CALLBACK,
        content=unknown,
        headers=signed(unknown, int(clock.now().timestamp()))
        | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "not linked" in refused.json()["text"] or "尚未关联" in refused.json()["text"]


def test_unsigned_wrongly_signed_and_stale_requests_are_refused(
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
    link("responder", "slack", "U01ZHANGWEI")
    body = button_click("U01ZHANGWEI", "C00000001", incident["id"], "ack")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    now = int(clock.now().timestamp())
    assert client.post(CALLBACK, content=body, headers=form).json()["error"]["code"] == "unsigned"
    forged = client.post(CALLBACK, content=body, headers=form | signed(body, now, secret="not-the-secret"))
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    stale = client.post(CALLBACK, content=body, headers=form | signed(body, now - 301))
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()
    assert detail["status"] == "triggered"


def test_text_commands_in_the_room_act_and_answer_in_the_room(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeSlack,
    event: Event,
    link: Link,
    clock: FrozenClock,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    chat_id = str(_room(client, incident["id"], auth_headers("viewer"))["chat_id"])
    link("responder", "slack", "U01ZHANGWEI")
    body = channel_message("U01ZHANGWEI", chat_id, "<@U0BOT> /eg update switched to the backup CDN eta 30m")
    answer = client.post(
        CALLBACK,
        content=body,
        headers=signed(body, int(clock.now().timestamp())) | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()
    assert detail["eta"] is not None and detail["eta"].startswith("2026-05-20T01:30")
    worker_pass()
    texts = [m["text"] for m in fake.posted]
    assert any(t in ("Progress update recorded.", "进展已记录。") for t in texts), texts
    chat = "hello team, looking at it"  # ordinary conversation: nothing happens
    resent = client.post(
        CALLBACK,
        content=body,
        headers=signed(body, int(clock.now().timestamp()) + 2) | {"Content-Type": "application/json"},
    )
    assert (
        resent.status_code == 401 and resent.json()["error"]["code"] == "replayed"
    )  # Slack's retry of the event
    plain = channel_message("U01ZHANGWEI", chat_id, chat, event_id="Ev0002")
    assert (
        client.post(
            CALLBACK,
            content=plain,
            headers=signed(plain, int(clock.now().timestamp()) + 1) | {"Content-Type": "application/json"},
        ).json()
        == {}
    )


def test_a_level_3_incident_gets_no_room_unless_asked_for(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeSlack,
    event: Event,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=3, title="Slow page loads")
    worker_pass()
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("viewer")).json()
        == []
    )
    assert (
        client.post(
            f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("viewer")
        ).status_code
        == 403
    )
    answer = client.post(f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("responder"))
    assert answer.status_code == 201 and answer.json()[0]["status"] == "pending"
    worker_pass()
    assert _room(client, incident["id"], auth_headers("viewer"))["status"] == "open"
    assert len(fake.channels) == 1
