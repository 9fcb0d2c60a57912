"""DingTalk open API of an enterprise internal app: gettoken (access_token, 2 h), the 群会话 API
(chat/create, chat/update to add members, chat/send an action card), topapi/v2/user/getbymobile
(a person found by mobile: the plan's ``im.dingtalk`` is the mobile DingTalk knows). Sources in
docs/chat.md."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from eventguard.chat.platforms.base import ChatError, Credentials, RoomCard, call

# errcodes worth another try: system busy (-1), rate limits (90018 and the like, 88 for a burst).
# codes meaning the access token is no good (expired early, revoked): forgotten, fetched again
_BAD_TOKEN = frozenset({40014, 42001})
_TEMPORARY = _BAD_TOKEN | frozenset({-1, 88, 90002, 90018, 90006})


class DingTalk:
    name: ClassVar[str] = "dingtalk"
    default_base_url: ClassVar[str] = "https://oapi.dingtalk.com"
    token_expires: ClassVar[bool] = True
    handle_is_mobile: ClassVar[bool] = True  # the plan's im.dingtalk is a mobile, looked up to a userid

    def _checked(self, answer: Any, what: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise ChatError(f"dingtalk {what}: unexpected answer")
        code = answer.get("errcode", 0)
        if code != 0:
            raise ChatError(
                f"dingtalk {what}: {code} {answer.get('errmsg', '')}",
                permanent=code not in _TEMPORARY,
                token_invalid=code in _BAD_TOKEN,
            )
        return answer

    def _api(self, creds: Credentials, http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if not creds.token:
            raise ChatError("dingtalk: no access_token yet")
        url = f"{creds.base_url.rstrip('/')}/{path}"
        answer = call(http, "POST", url, platform="dingtalk", json=body, params={"access_token": creds.token})
        return self._checked(answer, path)

    def fetch_token(self, creds: Credentials, http: httpx.Client) -> tuple[str, int] | None:
        params = {"appkey": creds.app_id, "appsecret": creds.secret("app_secret")}
        url = f"{creds.base_url.rstrip('/')}/gettoken"
        answer = self._checked(call(http, "GET", url, platform="dingtalk", params=params), "gettoken")
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    def room_name(self, incident_id: int, title: str, is_drill: bool) -> str:
        # the name carries the incident id: the robot's callbacks name the group, not its chatid
        prefix = "【演练】" if is_drill else ""
        return f"{prefix}EG#{incident_id} {title}"[:50]

    def create_room(
        self, creds: Credentials, http: httpx.Client, *, name: str, members: list[str]
    ) -> tuple[str, str | None]:
        owner = str(creds.settings.get("owner") or (members[0] if members else ""))
        if not owner:
            raise ChatError(
                "dingtalk chat/create: no owner (set settings.owner or give the level responders)"
            )
        body = {"name": name, "owner": owner, "useridlist": list(dict.fromkeys([owner, *members]))}
        answer = self._api(creds, http, "chat/create", body)
        chat_id = str(answer.get("chatid") or "")
        if not chat_id:
            raise ChatError("dingtalk chat/create: no chatid")
        return chat_id, None  # a 群会话 has no web link; people find it in their DingTalk

    def invite(self, creds: Credentials, http: httpx.Client, *, chat_id: str, members: list[str]) -> None:
        self._api(creds, http, "chat/update", {"chatid": chat_id, "add_useridlist": members})

    def post(self, creds: Credentials, http: httpx.Client, *, chat_id: str, card: RoomCard) -> None:
        markdown = "\n\n".join([f"### {card.title}", *card.lines])
        if card.link:
            card_msg = {
                "title": card.title,
                "markdown": markdown,
                "single_title": "EventGuard",
                "single_url": card.link,
            }
            msg: dict[str, Any] = {"msgtype": "action_card", "action_card": card_msg}
        else:
            msg = {"msgtype": "markdown", "markdown": {"title": card.title, "text": markdown}}
        self._api(creds, http, "chat/send", {"chatid": chat_id, "msg": msg})

    def lookup(
        self, creds: Credentials, http: httpx.Client, *, email: str | None, phone: str | None
    ) -> str | None:
        if not phone:
            return None
        mobile = "".join(ch for ch in phone if ch.isdigit())
        if mobile.startswith("86") and len(mobile) == 13:  # +86 138… is 138… to DingTalk
            mobile = mobile[2:]
        url = f"{creds.base_url.rstrip('/')}/topapi/v2/user/getbymobile"
        params = {"access_token": creds.token or ""}
        answer = call(http, "POST", url, platform="dingtalk", json={"mobile": mobile}, params=params)
        if isinstance(answer, dict) and answer.get("errcode") == 60121:  # no such user
            return None
        found = self._checked(answer, "getbymobile").get("result") or {}
        return str(found.get("userid") or "") or None
