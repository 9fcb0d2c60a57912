"""Feishu/Lark end to end against a local Open Platform: the tenant_access_token (fetched, kept
encrypted, fetched again before it expires), a level-1 incident's group chat with the notified
teams' responders (open_ids from the plan, the rest by batch_get_id), the card and the mirrored
timeline, a late responder added; encrypted, signed card callbacks act as the linked user, a
viewer's gets an error toast; unsigned, forged and replayed callbacks are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.chat.models import ChatApp
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from tests.chat import feishu_server
from tests.chat.conftest import Link, WorkerPass, declare
from tests.chat.feishu_server import (
    APP_ID,
    APP_SECRET,
    ENCRYPT_KEY,
    VERIFICATION_TOKEN,
    FakeFeishu,
    card_action,
    message_received,
    signed_callback,
)
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver

CALLBACK = "/api/v1/chat/feishu/cloud-summit-2026/callback"


@pytest.fixture
def fake() -> FakeFeishu:
    return FakeFeishu(emails={"zhang.wei@example.com": "ou_zhang_wei_0002"})


@pytest.fixture
def feishu(fake: FakeFeishu) -> Iterator[HttpReceiver]:
    receiver = feishu_server.start(fake)
    yield receiver
    receiver.stop()


@pytest.fixture
def configured(client: TestClient, event: Event, feishu: HttpReceiver, auth_headers: AuthHeaders) -> None:
    secrets = {"app_secret": APP_SECRET, "verification_token": VERIFICATION_TOKEN, "encrypt_key": ENCRYPT_KEY}
    body = {"app_id": APP_ID, "secrets": secrets, "base_url": feishu.url}
    answer = client.put(
        "/api/v1/events/cloud-summit-2026/chat-apps/feishu", json=body, headers=auth_headers("admin")
    )
    assert answer.status_code == 200, answer.text
    assert APP_SECRET not in answer.text and ENCRYPT_KEY not in answer.text


def _room(client: TestClient, incident_id: int, headers: dict[str, str]) -> dict[str, object]:
    rooms = client.get(f"/api/v1/incidents/{incident_id}/war-rooms", headers=headers).json()
    assert len(rooms) == 1
    return dict(rooms[0])


def _texts(fake: FakeFeishu) -> list[str]:
    return [str(card["card"]["header"]["title"]["content"]) for card in fake.cards]


def test_a_level_1_incident_opens_a_group_chat_mirrors_the_timeline_and_adds_a_late_responder(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeFeishu,
    event: Event,
    db: Session,
    clock: FrozenClock,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    room = _room(client, incident["id"], auth_headers("viewer"))
    assert room["status"] == "open", room
    chat = fake.chats[str(room["chat_id"])]
    assert chat["chat_type"] == "private" and f"EG#{incident['id']}" in chat["name"]
    # open_ids from the plan (Li Na: organizer, Zhou Ting: pr) and Zhang Wei (tech) found by e-mail
    assert set(chat["members"]) == {"ou_li_na_0001", "ou_zhou_ting_0009", "ou_zhang_wei_0002"}
    assert room["link"] == f"https://applink.feishu.cn/client/chat/open?openChatId={room['chat_id']}"
    card = fake.cards[0]["card"]
    actions = [a for e in card["elements"] if e["tag"] == "action" for a in e["actions"]]
    assert {a["value"]["action"] for a in actions} >= {"ack", "resolve"}
    db.commit()
    stored = db.scalars(select(ChatApp)).one()
    assert stored.token is not None and fake.tokens[-1] not in stored.token  # the token is kept encrypted
    assert stored.token_expires_at == clock.now() + timedelta(seconds=7200)

    commander = auth_headers("commander")
    answer = client.post(
        f"/api/v1/incidents/{incident['id']}/roles",
        json={"role": "comms", "person_id": "wu-hao"},
        headers=commander,
    )
    assert answer.status_code == 200
    clock.advance(timedelta(hours=1, minutes=56))  # within 5 minutes of the token's expiry
    worker_pass()
    worker_pass()
    assert len(fake.tokens) == 2  # fetched again before it expired
    assert any("comms" in text and "wu-hao" in text for text in _texts(fake)), _texts(fake)
    # Wu Hao has no open_id in the plan and batch_get_id does not know him: nobody is invented
    assert set(chat["members"]) == {"ou_li_na_0001", "ou_zhou_ting_0009", "ou_zhang_wei_0002"}
    fake.emails["wu.hao@example.com"] = "ou_wu_hao_0010"
    answer = client.post(
        f"/api/v1/incidents/{incident['id']}/roles",
        json={"role": "scribe", "person_id": "sun-li"},
        headers=commander,
    )
    fake.emails["sun.li@example.com"] = "ou_sun_li_0008"
    worker_pass()
    assert "ou_sun_li_0008" in chat["members"]  # the late responder, added


def _click(
    client: TestClient,
    clock: FrozenClock,
    event_id: str,
    open_id: str,
    chat_id: str,
    incident_id: int,
    action: str,
) -> dict[str, object]:
    now = clock.now()
    plain = card_action(event_id, open_id, chat_id, incident_id, action, int(now.timestamp() * 1000))
    body, headers = signed_callback(plain, int(now.timestamp()), nonce=f"n-{event_id}")
    answer = client.post(CALLBACK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_signed_card_button_acknowledges_and_a_viewers_gets_an_error_toast(
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
    link("viewer", "feishu", "ou_zhou_ting_0009")
    refused = _click(client, clock, "ev-1", "ou_zhou_ting_0009", chat_id, incident["id"], "ack")
    assert refused["toast"] == {"type": "error", "content": refused["toast"]["content"]}  # type: ignore[index]
    assert "responder" in str(refused)
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "triggered"
    )

    link("responder", "feishu", "ou_li_na_0001")
    done = _click(client, clock, "ev-2", "ou_li_na_0001", chat_id, incident["id"], "ack")
    assert done["toast"]["type"] == "success"  # type: ignore[index]
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "acknowledged"
    )
    db.commit()
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "chat.ack")).one()
    assert audit.actor_type == "feishu" and audit.actor_name == "responder-user"


def test_unsigned_forged_stale_and_replayed_callbacks_are_refused(
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
    chat_id = str(_room(client, incident["id"], auth_headers("viewer"))["chat_id"])
    link("responder", "feishu", "ou_li_na_0001")
    now = clock.now()
    plain = card_action(
        "ev-9", "ou_li_na_0001", chat_id, incident["id"], "resolve", int(now.timestamp() * 1000)
    )

    unsigned = client.post(CALLBACK, json=plain)  # not encrypted, not signed
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unsigned"
    body, headers = signed_callback(plain, int(now.timestamp()), nonce="n1")
    forged = client.post(CALLBACK, content=body, headers=headers | {"X-Lark-Signature": "0" * 64})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    wrong_key_body, wrong_key = signed_callback(plain, int(now.timestamp()), nonce="n2", key="another-key")
    assert client.post(CALLBACK, content=wrong_key_body, headers=wrong_key).status_code == 401
    bad_token = card_action(
        "ev-8", "ou_li_na_0001", chat_id, incident["id"], "resolve", int(now.timestamp() * 1000), token="x"
    )
    body_bt, headers_bt = signed_callback(bad_token, int(now.timestamp()), nonce="n3")
    assert client.post(CALLBACK, content=body_bt, headers=headers_bt).json()["error"]["code"] == "bad_token"
    old_body, old_headers = signed_callback(plain, int(now.timestamp()) - 600, nonce="n4")
    assert (
        client.post(CALLBACK, content=old_body, headers=old_headers).json()["error"]["code"]
        == "stale_timestamp"
    )
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["status"]
        == "triggered"
    )

    assert client.post(CALLBACK, content=body, headers=headers).json()["toast"]["type"] == "success"
    again_body, again = signed_callback(plain, int(now.timestamp()), nonce="n5")  # the same event id, re-sent
    replayed = client.post(CALLBACK, content=again_body, headers=again)
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "replayed"


def test_a_text_command_in_the_group_changes_the_level_and_answers_there(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeFeishu,
    event: Event,
    link: Link,
    clock: FrozenClock,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    chat_id = str(_room(client, incident["id"], auth_headers("viewer"))["chat_id"])
    link("responder", "feishu", "ou_li_na_0001")
    now = clock.now()
    plain = message_received(
        "ev-m1", "ou_li_na_0001", chat_id, "@_user_1 定级 2 只影响直播", int(now.timestamp() * 1000)
    )
    body, headers = signed_callback(plain, int(now.timestamp()), nonce="m1")
    assert client.post(CALLBACK, content=body, headers=headers).status_code == 200
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=auth_headers("viewer")).json()["level"] == 2
    )
    worker_pass()
    assert any("级别已调整" in text for text in _texts(fake)), _texts(fake)
    assert any("P1" in text and "P2" in text for text in _texts(fake)), _texts(fake)


def test_a_token_the_platform_refuses_is_fetched_again(
    client: TestClient,
    configured: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    fake: FakeFeishu,
    event: Event,
    clock: FrozenClock,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    assert len(fake.tokens) == 1 and len(fake.cards) == 1
    fake.tokens.append("t-rotated-elsewhere")  # ours is no longer accepted, long before its expiry
    answer = client.post(
        f"/api/v1/incidents/{incident['id']}/roles",
        json={"role": "comms", "person_id": "zhou-ting"},
        headers=auth_headers("commander"),
    )
    assert answer.status_code == 200
    worker_pass()
    assert len(fake.cards) == 1  # refused with 99991663: kept, retried later
    clock.advance(timedelta(seconds=11))
    worker_pass()
    assert len(fake.tokens) == 3  # a new token was fetched
    assert any("comms" in text and "zhou-ting" in text for text in _texts(fake)), _texts(fake)
