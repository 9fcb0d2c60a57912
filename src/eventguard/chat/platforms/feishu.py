"""Feishu / Lark Open Platform with a custom app's tenant_access_token: im/v1 chats (create, add
members), im/v1 messages (an interactive card with buttons), contact/v3 users/batch_get_id (look a
person up by e-mail or mobile). Lark is the same API at open.larksuite.com. Sources in docs/chat.md."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from eventguard.chat.platforms.base import ChatError, Credentials, RoomCard, call

# Feishu codes worth another try (rate limited, internal error); other non-zero codes are permanent.
# codes meaning the access token is no good (expired early, revoked): forgotten, fetched again
_BAD_TOKEN = frozenset({99991661, 99991663, 99991668})
_TEMPORARY = _BAD_TOKEN | frozenset({99991400, 232019, 1000004, 1000005, 99991663})


class Feishu:
    name: ClassVar[str] = "feishu"
    default_base_url: ClassVar[str] = "https://open.feishu.cn"
    token_expires: ClassVar[bool] = True
    handle_is_mobile: ClassVar[bool] = False

    def _url(self, creds: Credentials, path: str) -> str:
        return f"{creds.base_url.rstrip('/')}/open-apis/{path}"

    def _checked(self, answer: Any, what: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise ChatError(f"feishu {what}: unexpected answer")
        code = answer.get("code")
        if code != 0:
            raise ChatError(
                f"feishu {what}: {code} {answer.get('msg', '')}",
                permanent=code not in _TEMPORARY,
                token_invalid=code in _BAD_TOKEN,
            )
        return answer

    def _api(
        self, creds: Credentials, http: httpx.Client, path: str, body: dict[str, Any], params: dict[str, str]
    ) -> dict[str, Any]:
        if not creds.token:
            raise ChatError("feishu: no tenant_access_token yet")
        headers = {
            "Authorization": f"Bearer {creds.token}",
            "Content-Type": "application/json; charset=utf-8",
        }
        answer = call(
            http, "POST", self._url(creds, path), platform="feishu", json=body, params=params, headers=headers
        )
        return self._checked(answer, path)

    def fetch_token(self, creds: Credentials, http: httpx.Client) -> tuple[str, int] | None:
        body = {"app_id": creds.app_id, "app_secret": creds.secret("app_secret")}
        answer = self._checked(
            call(
                http,
                "POST",
                self._url(creds, "auth/v3/tenant_access_token/internal"),
                platform="feishu",
                json=body,
            ),
            "tenant_access_token",
        )
        return str(answer["tenant_access_token"]), int(answer.get("expire", 7200))

    def room_name(self, incident_id: int, title: str, is_drill: bool) -> str:
        prefix = "【演练】" if is_drill else ""
        return f"{prefix}EG#{incident_id} {title}"[:60]

    def create_room(
        self, creds: Credentials, http: httpx.Client, *, name: str, members: list[str]
    ) -> tuple[str, str | None]:
        body = {"name": name, "chat_mode": "group", "chat_type": "private", "user_id_list": members[:50]}
        answer = self._api(
            creds, http, "im/v1/chats", body, {"user_id_type": "open_id", "set_bot_manager": "true"}
        )
        chat_id = str((answer.get("data") or {}).get("chat_id") or "")
        if not chat_id:
            raise ChatError("feishu im/v1/chats: no chat_id")
        if len(members) > 50:  # the create call takes at most 50 users
            self.invite(creds, http, chat_id=chat_id, members=members[50:])
        return chat_id, f"https://applink.feishu.cn/client/chat/open?openChatId={chat_id}"

    def invite(self, creds: Credentials, http: httpx.Client, *, chat_id: str, members: list[str]) -> None:
        for start in range(0, len(members), 50):
            body = {"id_list": members[start : start + 50]}
            self._api(creds, http, f"im/v1/chats/{chat_id}/members", body, {"member_id_type": "open_id"})

    def card(self, card: RoomCard) -> dict[str, Any]:
        """The message card (the JSON of msg_type ``interactive``): buttons carry their action in value."""
        elements: list[dict[str, Any]] = [
            {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(card.lines) or card.title}}
        ]
        if card.buttons:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": b.label},
                            "type": b.style,
                            "value": {"incident": card.incident_id, "action": b.action},
                        }
                        for b in card.buttons
                    ],
                }
            )
        if card.link:
            elements.append(
                {"tag": "note", "elements": [{"tag": "lark_md", "content": f"[EventGuard]({card.link})"}]}
            )
        return {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": card.title}, "template": "red"},
            "elements": elements,
        }

    def post(self, creds: Credentials, http: httpx.Client, *, chat_id: str, card: RoomCard) -> None:
        body = {
            "receive_id": chat_id,
            "msg_type": "interactive",
            "content": json.dumps(self.card(card), ensure_ascii=False),
        }
        self._api(creds, http, "im/v1/messages", body, {"receive_id_type": "chat_id"})

    def lookup(
        self, creds: Credentials, http: httpx.Client, *, email: str | None, phone: str | None
    ) -> str | None:
        if not email and not phone:
            return None
        body: dict[str, Any] = {}
        if email:
            body["emails"] = [email]
        if phone:
            body["mobiles"] = ["".join(ch for ch in phone if ch == "+" or ch.isdigit())]
        answer = self._api(creds, http, "contact/v3/users/batch_get_id", body, {"user_id_type": "open_id"})
        for user in (answer.get("data") or {}).get("user_list") or []:
            if user.get("user_id"):
                return str(user["user_id"])
        return None
