"""A local WeCom server API on 127.0.0.1 speaking the documented calls a war room uses (gettoken,
appchat/create, appchat/update, appchat/send, user/getuserid, user/get_userid_by_email; answers
``{"errcode", "errmsg"}``), and app callbacks encrypted and signed as WeCom sends them."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply

CORP_ID = "ww0123456789abcdef"
CORP_SECRET = "wecom-corp-secret-for-tests"
TOKEN = "wecomcallbacktoken"
AES_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode().rstrip("=")  # 43 characters


@dataclass
class FakeWeCom:
    mobiles: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        path = request.path.removeprefix("/cgi-bin/")
        if path == "gettoken":
            if request.query.get("corpid") != [CORP_ID] or request.query.get("corpsecret") != [CORP_SECRET]:
                return Reply(200, {"errcode": 40001, "errmsg": "invalid credential"})
            self.tokens.append(f"wecom-token-{len(self.tokens) + 1}")
            return Reply(
                200, {"errcode": 0, "errmsg": "ok", "access_token": self.tokens[-1], "expires_in": 7200}
            )
        if not self.tokens or request.query.get("access_token") != [self.tokens[-1]]:
            return Reply(200, {"errcode": 40014, "errmsg": "invalid access_token"})
        body = request.json()
        if path == "user/getuserid":
            found = self.mobiles.get(body["mobile"])
            return Reply(
                200,
                {"errcode": 0, "errmsg": "ok", "userid": found}
                if found
                else {"errcode": 46004, "errmsg": "user no exist"},
            )
        if path == "user/get_userid_by_email":
            found = self.emails.get(body["email"])
            return Reply(
                200,
                {"errcode": 0, "errmsg": "ok", "userid": found}
                if found
                else {"errcode": 46004, "errmsg": "user no exist"},
            )
        if path == "appchat/create":
            if len(body["userlist"]) < 2:
                return Reply(200, {"errcode": 40094, "errmsg": "invalid userlist"})
            chat_id = f"wrchat{len(self.chats) + 1:010d}"
            self.chats[chat_id] = {"name": body["name"], "members": list(body["userlist"])}
            return Reply(200, {"errcode": 0, "errmsg": "ok", "chatid": chat_id})
        chat = self.chats.get(body.get("chatid", ""))
        if chat is None:
            return Reply(200, {"errcode": 86003, "errmsg": "invalid chatid"})
        if path == "appchat/update":
            chat["members"] += [m for m in body.get("add_user_list", []) if m not in chat["members"]]
            return Reply(200, {"errcode": 0, "errmsg": "ok"})
        if path == "appchat/send":
            self.sent.append(body)
            return Reply(200, {"errcode": 0, "errmsg": "ok"})
        return Reply(404, {"errcode": 404, "errmsg": "not found"})


def start(fake: FakeWeCom) -> HttpReceiver:
    receiver = HttpReceiver().start()
    receiver.answer_with(fake)
    return receiver


def _key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


def encrypt(message: str, receive_id: str = CORP_ID) -> str:
    """random(16) + msg_len (network order) + msg + ReceiveId, PKCS#7 to 32 bytes, AES-256-CBC, base64."""
    raw = message.encode()
    text = os.urandom(16) + struct.pack(">I", len(raw)) + raw + receive_id.encode()
    pad = 32 - len(text) % 32
    key = _key()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(text + bytes([pad]) * pad) + encryptor.finalize()).decode()


def decrypt(encrypted: str) -> str:
    key = _key()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    text = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    text = text[16 : -text[-1]]
    (length,) = struct.unpack(">I", text[:4])
    return text[4 : 4 + length].decode()


def sign(timestamp: str, nonce: str, encrypted: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def text_message(user: str, content: str, msg_id: str, created: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )


def callback(message: str, timestamp: int, nonce: str) -> tuple[dict[str, str], bytes]:
    """The query and body WeCom posts to the app's callback URL."""
    encrypted = encrypt(message)
    query = {
        "msg_signature": sign(str(timestamp), nonce, encrypted),
        "timestamp": str(timestamp),
        "nonce": nonce,
    }
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        "<AgentID><![CDATA[1000002]]></AgentID></xml>"
    )
    return query, body.encode()


def read_reply(xml: str) -> ElementTree.Element:
    """Check a passive reply's signature and decrypt it."""
    outer = ElementTree.fromstring(xml)
    encrypted = outer.findtext("Encrypt") or ""
    expected = sign(outer.findtext("TimeStamp") or "", outer.findtext("Nonce") or "", encrypted)
    assert outer.findtext("MsgSignature") == expected
    return ElementTree.fromstring(decrypt(encrypted))
