"""DingTalk end to end against a local open API: the access_token, a level-1 incident's 群会话 with
the notified teams' responders (each found by the mobile in the plan), the card and the mirrored
timeline, a late responder added; @-mentions of the robot act as the linked user with the API's
role check; unsigned, forged, stale and replayed callbacks are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.chat import dingtalk_server
from tests.chat.conftest import Link, WorkerPass, declare
from tests.chat.dingtalk_server import APP_KEY, APP_SECRET, FakeDingTalk, robot_message, signed
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver

CALLBACK = "/api/v1/chat/dingtalk/cloud-summit-2026/callback"
KNOWN = {
    "13800000001": "user-lina",
    "13800000002": "user-zhangwei",
    "13800000003": "user-chenjie",
    "13800000005": "user-wangqiang",
    "13800000007": "user-liuyang",
}


@pytest.fixture
def fake() -> FakeDingTalk:
    return FakeDingTalk(mobiles=dict(KNOWN))


@pytest.fixture
def dingtalk(fake: FakeDingTalk) -> Iterator[HttpReceiver]:
    receiver = dingtalk_server.start(fake)
    yield receiver
    receiver.stop()


@pytest.fixture
def configured(client: TestClient, event: Event, dingtalk: HttpReceiver, auth_headers: AuthHeaders) -> None:
    body = {"app_id": APP_KEY, "secrets": {"app_secret": APP_SECRET}, "base_url": dingtalk.url}
    answer = client.put(
        "/api/v1/events/cloud-summit-2026/chat-apps/dingtalk", json=body, headers=auth_headers("admin")
    )
    assert answer.status_code == 200, answer.text
    assert APP_SECRET not in answer.text


def _room(client: TestClient, incident_id: int, headers: dict[str, str]) -> dict[str, object]:
    rooms = client.get(f"/api/v1/incidents/{incident_id}/war-rooms", headers=headers).json()
    assert len(rooms) == 1
    return dict(rooms[0])


def _titles(fake: FakeDingTalk) -> list[str]:
    found = []
    for sent in fake.sent:
        msg = sent["msg"]
        found.append(str((msg.get("action_card") or msg.get("markdown") or {}).get("title", "")))
    return found


def test_a_level_1_incident_opens_a_group_mirrors_the_timeline_and_adds_a_late_responder(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeDingTalk,
    event: Event,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    room = _room(client, incident["id"], auth_headers("viewer"))
    assert room["status"] == "open", room
    chat = fake.chats[str(room["chat_id"])]
    assert chat["name"].startswith(f"EG#{incident['id']} ")
    # every level-1 responder DingTalk knows by mobile (im.dingtalk, else the phone): not Zhao Min,
    # Emily Carter, Zhou Ting or Wu Hao, whose numbers it does not know
    assert set(chat["members"]) == {"user-lina", "user-zhangwei", "user-chenjie", "user-wangqiang"}
    assert chat["owner"] in chat["members"]
    first = fake.sent[0]["msg"]
    assert first["msgtype"] == "action_card" and "Main stream down" in first["action_card"]["title"]
    assert first["action_card"]["single_url"].endswith(f"/incidents/{incident['id']}")

    answer = client.post(
        f"/api/v1/incidents/{incident['id']}/roles",
        json={"role": "scribe", "person_id": "liu-yang"},
        headers=auth_headers("commander"),
    )
    assert answer.status_code == 200
    worker_pass()
    worker_pass()
    assert "user-liuyang" in chat["members"]
    assert any("scribe" in title and "liu-yang" in title for title in _titles(fake)), _titles(fake)
    assert len(fake.tokens) == 1  # one token, kept for its 2 hours


def test_robot_mentions_act_as_the_linked_user_and_refuse_a_viewer(
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
    title = f"EG#{incident['id']} Main stream down"
    now = int(clock.now().timestamp() * 1000)
    link("viewer", "dingtalk", "user-chenjie")
    body = robot_message("msg-v1", "user-chenjie", title, "@EventGuard 认领", now)
    refused = client.post(CALLBACK, content=body, headers=signed(now))
    assert refused.status_code == 200 and refused.json()["msgtype"] == "text"
    assert "responder" in refused.json()["text"]["content"]
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "triggered"
    )

    link("responder", "dingtalk", "user-zhangwei")
    body = robot_message("msg-r1", "user-zhangwei", title, "@EventGuard ack", now)
    answer = client.post(CALLBACK, content=body, headers=signed(now))
    assert answer.status_code == 200, answer.text
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "acknowledged"
    )
    db.commit()
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "chat.ack")).one()
    assert audit.actor_type == "dingtalk"
    replayed = client.post(CALLBACK, content=body, headers=signed(now + 1))  # the same msgId again
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "replayed"


def test_unsigned_forged_and_stale_callbacks_are_refused(
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
    link("responder", "dingtalk", "user-zhangwei")
    now = int(clock.now().timestamp() * 1000)
    body = robot_message("msg-x", "user-zhangwei", f"EG#{incident['id']} x", "resolve", now)
    plain = client.post(CALLBACK, content=body, headers={"Content-Type": "application/json"})
    assert plain.status_code == 401 and plain.json()["error"]["code"] == "unsigned"
    forged = client.post(CALLBACK, content=body, headers=signed(now, secret="not-the-secret"))
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    stale = client.post(CALLBACK, content=body, headers=signed(now - 3_600_000))
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "triggered"
    )
