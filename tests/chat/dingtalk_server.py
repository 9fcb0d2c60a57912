"""A local DingTalk open API on 127.0.0.1 speaking the documented calls a war room uses (gettoken,
chat/create, chat/update, chat/send, topapi/v2/user/getbymobile; answers ``{"errcode", "errmsg"}``),
and robot message callbacks signed as DingTalk signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply

APP_KEY = "dingappkeyfortests"
APP_SECRET = "dingtalk-app-secret-for-tests"


@dataclass
class FakeDingTalk:
    mobiles: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        path = request.path.strip("/")
        if path == "gettoken":
            if request.query.get("appkey") != [APP_KEY] or request.query.get("appsecret") != [APP_SECRET]:
                return Reply(200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"})
            self.tokens.append(f"ding-token-{len(self.tokens) + 1}")
            return Reply(
                200, {"errcode": 0, "errmsg": "ok", "access_token": self.tokens[-1], "expires_in": 7200}
            )
        if not self.tokens or request.query.get("access_token") != [self.tokens[-1]]:
            return Reply(200, {"errcode": 40014, "errmsg": "不合法的access_token"})
        body = request.json()
        if path == "topapi/v2/user/getbymobile":
            found = self.mobiles.get(body["mobile"])
            if found is None:
                return Reply(200, {"errcode": 60121, "errmsg": "找不到该用户"})
            return Reply(200, {"errcode": 0, "errmsg": "ok", "result": {"userid": found}})
        if path == "chat/create":
            chat_id = f"chat{len(self.chats) + 1:028x}"
            members = list(body["useridlist"])
            self.chats[chat_id] = {"name": body["name"], "owner": body["owner"], "members": members}
            return Reply(200, {"errcode": 0, "errmsg": "ok", "chatid": chat_id, "conversationTag": 2})
        chat = self.chats.get(body.get("chatid", ""))
        if chat is None:
            return Reply(200, {"errcode": 40003, "errmsg": "chatid不存在"})
        if path == "chat/update":
            chat["members"] += [m for m in body.get("add_useridlist", []) if m not in chat["members"]]
            return Reply(200, {"errcode": 0, "errmsg": "ok"})
        if path == "chat/send":
            self.sent.append(body)
            return Reply(200, {"errcode": 0, "errmsg": "ok", "messageId": f"msg{len(self.sent)}"})
        return Reply(404, {"errcode": 404, "errmsg": "not found"})


def start(fake: FakeDingTalk) -> HttpReceiver:
    receiver = HttpReceiver().start()
    receiver.answer_with(fake)
    return receiver


def signed(timestamp_ms: int, secret: str = APP_SECRET) -> dict[str, str]:
    sign = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return {
        "timestamp": str(timestamp_ms),
        "sign": base64.b64encode(sign).decode(),
        "Content-Type": "application/json",
    }


def robot_message(msg_id: str, staff_id: str, title: str, text: str, created_ms: int) -> str:
    """What DingTalk posts to the robot's message URL when someone @-mentions it in a group."""
    return json.dumps(
        {
            "msgtype": "text",
            "text": {"content": text},
            "msgId": msg_id,
            "createAt": created_ms,
            "conversationType": "2",
            "conversationId": "cidAbCdEf0123456789==",
            "conversationTitle": title,
            "senderId": "$:LWCP_v1:$abcdef",
            "senderNick": "Zhang Wei",
            "senderCorpId": "ding0001",
            "senderStaffId": staff_id,
            "chatbotUserId": "$:LWCP_v1:$robot",
            "isAdmin": False,
            "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=abc",
            "sessionWebhookExpiredTime": created_ms + 3_600_000,
        }
    )
