"""A local Feishu Open Platform on 127.0.0.1 speaking the documented calls a war room uses
(tenant_access_token, im/v1 chats and members, im/v1 messages, contact/v3 batch_get_id; answers
``{"code", "msg", "data"}``), and callbacks encrypted and signed as Feishu sends them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply

APP_ID = "cli_a1b2c3d4e5f6"
APP_SECRET = "feishu-app-secret-for-tests"
VERIFICATION_TOKEN = "v-token-for-tests"
ENCRYPT_KEY = "encrypt-key-for-tests"


@dataclass
class FakeFeishu:
    """Tokens handed out, chats created with their members, cards posted, users known by e-mail."""

    emails: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    cards: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        path = request.path.removeprefix("/open-apis/")
        body = request.json() if request.body else {}
        if path == "auth/v3/tenant_access_token/internal":
            if body != {"app_id": APP_ID, "app_secret": APP_SECRET}:
                return Reply(200, {"code": 10014, "msg": "app secret invalid"})
            self.tokens.append(f"t-{len(self.tokens) + 1:04d}")
            return Reply(
                200, {"code": 0, "msg": "ok", "tenant_access_token": self.tokens[-1], "expire": 7200}
            )
        if not self.tokens or request.headers.get("authorization") != f"Bearer {self.tokens[-1]}":
            return Reply(400, {"code": 99991663, "msg": "Invalid access token for authorization."})
        if path == "im/v1/chats":
            assert request.query["user_id_type"] == ["open_id"]
            chat_id = f"oc_{len(self.chats) + 1:032d}"
            self.chats[chat_id] = {
                "name": body["name"],
                "chat_type": body.get("chat_type"),
                "members": list(body.get("user_id_list", [])),
            }
            return Reply(
                200, {"code": 0, "msg": "success", "data": {"chat_id": chat_id, "name": body["name"]}}
            )
        if path.startswith("im/v1/chats/") and path.endswith("/members"):
            chat = self.chats[path.split("/")[3]]
            chat["members"] += [m for m in body["id_list"] if m not in chat["members"]]
            return Reply(
                200, {"code": 0, "msg": "success", "data": {"invalid_id_list": [], "not_existed_id_list": []}}
            )
        if path == "im/v1/messages":
            assert request.query["receive_id_type"] == ["chat_id"] and body["msg_type"] == "interactive"
            self.cards.append({"chat_id": body["receive_id"], "card": json.loads(body["content"])})
            return Reply(200, {"code": 0, "msg": "success", "data": {"message_id": f"om_{len(self.cards)}"}})
        if path == "contact/v3/users/batch_get_id":
            users = [
                {"email": e, **({"user_id": self.emails[e]} if e in self.emails else {})}
                for e in body.get("emails", [])
            ]
            return Reply(200, {"code": 0, "msg": "success", "data": {"user_list": users}})
        return Reply(404, {"code": 404, "msg": "not found"})


def start(fake: FakeFeishu) -> HttpReceiver:
    receiver = HttpReceiver().start()
    receiver.answer_with(fake)
    return receiver


def encrypt(plain: dict[str, Any], key: str = ENCRYPT_KEY) -> str:
    """Feishu's encryption: AES-256-CBC, key SHA-256(Encrypt Key), a random IV before the text, base64."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(json.dumps(plain).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def signed_callback(
    plain: dict[str, Any], timestamp: int, nonce: str, key: str = ENCRYPT_KEY
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of an encrypted, signed callback."""
    body = json.dumps({"encrypt": encrypt(plain, key)}).encode()
    signature = hashlib.sha256(str(timestamp).encode() + nonce.encode() + key.encode() + body).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": str(timestamp),
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature,
    }
    return body, headers


def card_action(
    event_id: str,
    open_id: str,
    chat_id: str,
    incident_id: int,
    action: str,
    created_ms: int,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A card.action.trigger callback (schema 2.0)."""
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": token,
            "create_time": str(created_ms),
            "event_type": "card.action.trigger",
            "tenant_key": "tenant-1",
            "app_id": APP_ID,
        },
        "event": {
            "operator": {"tenant_key": "tenant-1", "open_id": open_id, "user_id": "u1"},
            "token": "c-card-update-token",
            "action": {"value": {"incident": incident_id, "action": action}, "tag": "button"},
            "host": "im_message",
            "context": {"open_message_id": "om_1", "open_chat_id": chat_id},
        },
    }


def message_received(event_id: str, open_id: str, chat_id: str, text: str, created_ms: int) -> dict[str, Any]:
    """An im.message.receive_v1 event (schema 2.0) of a text message in a group."""
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": VERIFICATION_TOKEN,
            "create_time": str(created_ms),
            "event_type": "im.message.receive_v1",
            "tenant_key": "tenant-1",
            "app_id": APP_ID,
        },
        "event": {
            "sender": {"sender_id": {"open_id": open_id}, "sender_type": "user"},
            "message": {
                "message_id": "om_2",
                "chat_id": chat_id,
                "chat_type": "group",
                "message_type": "text",
                "content": json.dumps({"text": text}),
            },
        },
    }
