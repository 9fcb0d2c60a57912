"""WeCom end to end against a local server API: the access_token, a level-1 incident's group chat
(appchat) with the notified teams' responders (userids from the plan, the rest looked up by mobile
or e-mail), the card and the mirrored timeline, a late responder added; a message to the app naming
the incident acts as the linked user (an encrypted, signed passive reply answers it, a viewer's is
refused in it); the URL check; unsigned, forged, stale and replayed callbacks are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.chat import wecom_server
from tests.chat.conftest import Link, WorkerPass, declare
from tests.chat.wecom_server import (
    AES_KEY,
    CORP_ID,
    CORP_SECRET,
    TOKEN,
    FakeWeCom,
    callback,
    read_reply,
    text_message,
)
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver

CALLBACK = "/api/v1/chat/wecom/cloud-summit-2026/callback"


@pytest.fixture
def fake() -> FakeWeCom:
    return FakeWeCom(mobiles={"13800000007": "LiuYang"}, emails={"emily.carter@example.com": "EmilyC"})


@pytest.fixture
def wecom(fake: FakeWeCom) -> Iterator[HttpReceiver]:
    receiver = wecom_server.start(fake)
    yield receiver
    receiver.stop()


@pytest.fixture
def configured(client: TestClient, event: Event, wecom: HttpReceiver, auth_headers: AuthHeaders) -> None:
    secrets = {"corp_secret": CORP_SECRET, "callback_token": TOKEN, "encoding_aes_key": AES_KEY}
    body = {"app_id": CORP_ID, "secrets": secrets, "base_url": wecom.url}
    answer = client.put(
        "/api/v1/events/cloud-summit-2026/chat-apps/wecom", json=body, headers=auth_headers("admin")
    )
    assert answer.status_code == 200, answer.text
    assert CORP_SECRET not in answer.text and AES_KEY not in answer.text


def _room(client: TestClient, incident_id: int, headers: dict[str, str]) -> dict[str, object]:
    rooms = client.get(f"/api/v1/incidents/{incident_id}/war-rooms", headers=headers).json()
    assert len(rooms) == 1
    return dict(rooms[0])


def test_a_level_1_incident_opens_a_group_chat_mirrors_the_timeline_and_adds_a_late_responder(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeWeCom,
    event: Event,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    room = _room(client, incident["id"], auth_headers("viewer"))
    assert room["status"] == "open", room
    chat = fake.chats[str(room["chat_id"])]
    assert chat["name"].startswith(f"EG#{incident['id']} ")
    expected = {"LiNa", "ZhangWei", "ChenJie", "ZhaoMin", "WangQiang", "ZhouTing", "WuHao", "EmilyC"}
    assert set(chat["members"]) == expected  # Emily Carter has no userid in the plan: found by e-mail
    card = fake.sent[0]
    assert card["msgtype"] == "textcard" and card["textcard"]["url"].endswith(f"/incidents/{incident['id']}")

    answer = client.post(
        f"/api/v1/incidents/{incident['id']}/roles",
        json={"role": "scribe", "person_id": "liu-yang"},
        headers=auth_headers("commander"),
    )
    assert answer.status_code == 200
    worker_pass()
    worker_pass()
    assert "LiuYang" in chat["members"]  # found by mobile, added
    texts = [m["markdown"]["content"] for m in fake.sent if m["msgtype"] == "markdown"]
    assert any("scribe" in text and "liu-yang" in text for text in texts), texts


def test_a_message_to_the_app_acts_as_the_linked_user_and_a_viewers_is_refused(
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
    now = int(clock.now().timestamp())
    link("viewer", "wecom", "ChenJie")
    query, body = callback(text_message("ChenJie", f"认领 #{incident['id']}", "7001", now), now, "n1")
    refused = client.post(CALLBACK, params=query, content=body)
    assert refused.status_code == 200 and refused.headers["content-type"].startswith("application/xml")
    reply = read_reply(refused.text)
    assert reply.findtext("ToUserName") == "ChenJie" and "responder" in (reply.findtext("Content") or "")
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "triggered"
    )

    link("responder", "wecom", "ZhangWei")
    query, body = callback(text_message("ZhangWei", f"ack #{incident['id']}", "7002", now), now, "n2")
    done = client.post(CALLBACK, params=query, content=body)
    assert done.status_code == 200, done.text
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "acknowledged"
    )
    db.commit()
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "chat.ack")).one()
    assert (
        audit.actor_type == "wecom" and audit.after is not None and audit.after["platform_user"] == "ZhangWei"
    )

    query, body = callback(text_message("ZhangWei", f"ack #{incident['id']}", "7002", now), now, "n3")
    replayed = client.post(CALLBACK, params=query, content=body)  # the same MsgId, re-sent
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "replayed"


def test_the_url_check_and_refused_callbacks(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    event: Event,
    link: Link,
    clock: FrozenClock,
) -> None:
    now = int(clock.now().timestamp())
    echo = wecom_server.encrypt("echo-1234567890")
    check = {
        "msg_signature": wecom_server.sign(str(now), "e1", echo),
        "timestamp": str(now),
        "nonce": "e1",
        "echostr": echo,
    }
    answer = client.get(CALLBACK, params=check)
    assert answer.status_code == 200 and answer.text == "echo-1234567890"
    assert client.get(CALLBACK, params=check | {"msg_signature": "0" * 40}).status_code == 401

    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    link("responder", "wecom", "ZhangWei")
    message = text_message("ZhangWei", f"resolve #{incident['id']}", "7100", now)
    query, body = callback(message, now, "r1")
    assert client.post(CALLBACK, content=body).json()["error"]["code"] == "unsigned"
    forged = client.post(CALLBACK, params=query | {"msg_signature": "0" * 40}, content=body)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    old_query, old_body = callback(message, now - 600, "r2")
    assert (
        client.post(CALLBACK, params=old_query, content=old_body).json()["error"]["code"] == "stale_timestamp"
    )
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    assert client.post(CALLBACK, params=query, content=bomb).status_code == 401
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "triggered"
    )
