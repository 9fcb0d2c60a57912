"""Slack Web API with the app's bot token (xoxb-…): conversations.create, conversations.invite,
chat.postMessage (Block Kit buttons), users.lookupByEmail. Sources in docs/chat.md."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from eventguard.chat.platforms.base import ChatError, Credentials, RoomCard, call, slug

# Slack errors worth another try; every other ``ok: false`` is a configuration problem.
_TEMPORARY = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class Slack:
    name: ClassVar[str] = "slack"
    default_base_url: ClassVar[str] = "https://slack.com/api"
    token_expires: ClassVar[bool] = False
    handle_is_mobile: ClassVar[bool] = False

    def _api(
        self, creds: Credentials, http: httpx.Client, method: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {creds.secret('bot_token')}"}
        answer = call(
            http,
            "POST",
            f"{creds.base_url.rstrip('/')}/{method}",
            platform="slack",
            json=body,
            headers=headers,
        )
        if not isinstance(answer, dict):
            raise ChatError("slack: unexpected answer")
        if not answer.get("ok"):
            error = str(answer.get("error", "unknown_error"))
            raise ChatError(f"slack {method}: {error}", permanent=error not in _TEMPORARY)
        return answer

    def fetch_token(self, creds: Credentials, http: httpx.Client) -> tuple[str, int] | None:
        return None  # a bot token does not expire

    def room_name(self, incident_id: int, title: str, is_drill: bool) -> str:
        # channel names: lower-case letters, digits, '-' and '_', at most 80 characters
        prefix = f"eg-{'drill-' if is_drill else ''}{incident_id}"
        rest = slug(title, 80 - len(prefix) - 1)
        return f"{prefix}-{rest}" if rest else prefix

    def create_room(
        self, creds: Credentials, http: httpx.Client, *, name: str, members: list[str]
    ) -> tuple[str, str | None]:
        answer = self._api(creds, http, "conversations.create", {"name": name, "is_private": True})
        channel = answer.get("channel") or {}
        chat_id = str(channel.get("id") or "")
        if not chat_id:
            raise ChatError("slack conversations.create: no channel id")
        if members:
            self.invite(creds, http, chat_id=chat_id, members=members)
        team = creds.settings.get("team_id")
        link = (
            f"https://app.slack.com/client/{team}/{chat_id}"
            if team
            else f"https://slack.com/app_redirect?channel={chat_id}"
        )
        return chat_id, link

    def invite(self, creds: Credentials, http: httpx.Client, *, chat_id: str, members: list[str]) -> None:
        try:
            self._api(
                creds,
                http,
                "conversations.invite",
                {"channel": chat_id, "users": ",".join(members), "force": True},
            )
        except ChatError as exc:
            if "already_in_channel" not in str(exc):
                raise

    def post(self, creds: Credentials, http: httpx.Client, *, chat_id: str, card: RoomCard) -> None:
        blocks: list[dict[str, Any]] = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{card.title}*\n" + "\n".join(card.lines)},
            }
        ]
        if card.link:
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{card.link}|EventGuard>"}]}
            )
        if card.buttons:
            elements = []
            for button in card.buttons:
                element: dict[str, Any] = {
                    "type": "button",
                    "text": {"type": "plain_text", "text": button.label},
                    "action_id": f"eg:{button.action}",
                    "value": f"{card.incident_id}:{button.action}",
                }
                if button.style in ("primary", "danger"):
                    element["style"] = button.style
                elements.append(element)
            blocks.append(
                {"type": "actions", "block_id": f"eg-incident-{card.incident_id}", "elements": elements}
            )
        self._api(creds, http, "chat.postMessage", {"channel": chat_id, "text": card.text, "blocks": blocks})

    def lookup(
        self, creds: Credentials, http: httpx.Client, *, email: str | None, phone: str | None
    ) -> str | None:
        if not email:
            return None
        headers = {"Authorization": f"Bearer {creds.secret('bot_token')}"}
        url = f"{creds.base_url.rstrip('/')}/users.lookupByEmail"
        answer = call(http, "GET", url, platform="slack", params={"email": email}, headers=headers)
        if isinstance(answer, dict) and answer.get("ok"):
            return str((answer.get("user") or {}).get("id") or "") or None
        error = str(answer.get("error", "")) if isinstance(answer, dict) else ""
        if error in ("users_not_found", "user_not_found"):
            return None
        raise ChatError(f"slack users.lookupByEmail: {error}", permanent=error not in _TEMPORARY)
