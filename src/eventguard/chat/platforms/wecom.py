"""WeCom (企业微信) server API of a self-built app: gettoken (access_token, 2 h), appchat/create,
appchat/update (add members), appchat/send (a textcard that opens the incident, markdown for the
timeline), user/getuserid and user/get_userid_by_email (look a person up). Sources in docs/chat.md."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from eventguard.chat.platforms.base import ChatError, Credentials, RoomCard, call

# errcodes worth another try: system busy (-1), API frequency limits (45009, 45033), token expired.
# codes meaning the access token is no good (expired early, revoked): forgotten, fetched again
_BAD_TOKEN = frozenset({40014, 42001})
_TEMPORARY = _BAD_TOKEN | frozenset({-1, 42001, 45009, 45033})


class WeCom:
    name: ClassVar[str] = "wecom"
    default_base_url: ClassVar[str] = "https://qyapi.weixin.qq.com"
    token_expires: ClassVar[bool] = True
    handle_is_mobile: ClassVar[bool] = False

    def _checked(self, answer: Any, what: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise ChatError(f"wecom {what}: unexpected answer")
        code = answer.get("errcode", 0)
        if code != 0:
            raise ChatError(
                f"wecom {what}: {code} {answer.get('errmsg', '')}",
                permanent=code not in _TEMPORARY,
                token_invalid=code in _BAD_TOKEN,
            )
        return answer

    def _api(self, creds: Credentials, http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if not creds.token:
            raise ChatError("wecom: no access_token yet")
        url = f"{creds.base_url.rstrip('/')}/cgi-bin/{path}"
        answer = call(http, "POST", url, platform="wecom", json=body, params={"access_token": creds.token})
        return self._checked(answer, path)

    def fetch_token(self, creds: Credentials, http: httpx.Client) -> tuple[str, int] | None:
        params = {"corpid": creds.app_id, "corpsecret": creds.secret("corp_secret")}
        url = f"{creds.base_url.rstrip('/')}/cgi-bin/gettoken"
        answer = self._checked(call(http, "GET", url, platform="wecom", params=params), "gettoken")
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    def room_name(self, incident_id: int, title: str, is_drill: bool) -> str:
        prefix = "【演练】" if is_drill else ""
        return f"{prefix}EG#{incident_id} {title}"[:50]  # at most 50 characters

    def create_room(
        self, creds: Credentials, http: httpx.Client, *, name: str, members: list[str]
    ) -> tuple[str, str | None]:
        if len(members) < 2:  # appchat/create needs at least 2 members
            raise ChatError("wecom appchat/create: a group chat needs at least 2 members with a WeCom userid")
        body: dict[str, Any] = {"name": name, "userlist": members[:2000]}
        if creds.settings.get("owner"):
            body["owner"] = str(creds.settings["owner"])
        answer = self._api(creds, http, "appchat/create", body)
        chat_id = str(answer.get("chatid") or "")
        if not chat_id:
            raise ChatError("wecom appchat/create: no chatid")
        return chat_id, None  # an app's group chat has no web link

    def invite(self, creds: Credentials, http: httpx.Client, *, chat_id: str, members: list[str]) -> None:
        self._api(creds, http, "appchat/update", {"chatid": chat_id, "add_user_list": members})

    def post(self, creds: Credentials, http: httpx.Client, *, chat_id: str, card: RoomCard) -> None:
        if card.link:
            description = "\n".join(card.lines)[:512]
            textcard = {
                "title": card.title[:128],
                "description": description,
                "url": card.link,
                "btntxt": "EventGuard",
            }
            body: dict[str, Any] = {"chatid": chat_id, "msgtype": "textcard", "textcard": textcard, "safe": 0}
        else:
            content = "\n".join([f"**{card.title}**", *card.lines])
            body = {"chatid": chat_id, "msgtype": "markdown", "markdown": {"content": content}, "safe": 0}
        self._api(creds, http, "appchat/send", body)

    def lookup(
        self, creds: Credentials, http: httpx.Client, *, email: str | None, phone: str | None
    ) -> str | None:
        tries: list[tuple[str, dict[str, Any]]] = []
        if phone:
            mobile = "".join(ch for ch in phone if ch.isdigit())
            if mobile.startswith("86") and len(mobile) == 13:
                mobile = mobile[2:]
            tries.append(("user/getuserid", {"mobile": mobile}))
        if email:
            tries.append(("user/get_userid_by_email", {"email": email, "email_type": 1}))
        for path, body in tries:
            url = f"{creds.base_url.rstrip('/')}/cgi-bin/{path}"
            answer = call(
                http, "POST", url, platform="wecom", json=body, params={"access_token": creds.token or ""}
            )
            if isinstance(answer, dict) and answer.get("errcode") in (
                46004,
                60103,
                40220,
            ):  # not found / bad number
                continue
            found = str(self._checked(answer, path).get("userid") or "")
            if found:
                return found
        return None
