"""A local Slack Web API on 127.0.0.1 speaking the documented methods a war room uses (bearer bot
token; JSON bodies; ``{"ok": false, "error": …}`` answers) and signing requests to us as Slack does."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply

BOT_TOKEN = "xoxb-test-bot-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class FakeSlack:
    """Users known by e-mail, channels created, members invited and messages posted."""

    emails: dict[str, str] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        method = request.path.rsplit("/", 1)[-1]
        if method == "users.lookupByEmail":
            found = self.emails.get(request.query.get("email", [""])[0])
            return Reply(
                200,
                {"ok": True, "user": {"id": found}} if found else {"ok": False, "error": "users_not_found"},
            )
        body = request.json()
        if method == "conversations.create":
            channel_id = f"C{len(self.channels) + 1:08d}"
            self.channels[channel_id] = {
                "name": body["name"],
                "is_private": body.get("is_private"),
                "members": [],
            }
            return Reply(200, {"ok": True, "channel": {"id": channel_id, "name": body["name"]}})
        channel = self.channels.get(body.get("channel", ""))
        if channel is None:
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        if method == "conversations.invite":
            channel["members"] += [
                user for user in body["users"].split(",") if user not in channel["members"]
            ]
            return Reply(200, {"ok": True, "channel": {"id": body["channel"]}})
        if method == "chat.postMessage":
            self.posted.append(body)
            return Reply(
                200, {"ok": True, "channel": body["channel"], "ts": f"1700000000.{len(self.posted):06d}"}
            )
        return Reply(200, {"ok": False, "error": "unknown_method"})


def start(fake: FakeSlack) -> HttpReceiver:
    receiver = HttpReceiver().start()
    receiver.answer_with(fake)
    return receiver


def signed(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """The headers Slack sends with a request: v0 signature over ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}


def button_click(user: str, channel: str, incident_id: int, action: str) -> str:
    """The form body of a block_actions interaction (payload=<JSON>)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0001"},
        "api_app_id": "A0001",
        "team": {"id": "T0001", "domain": "example"},
        "channel": {"id": channel, "name": "eg-1"},
        "trigger_id": "123.456.abc",
        "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
        "actions": [
            {
                "type": "button",
                "action_id": f"eg:{action}",
                "block_id": f"eg-incident-{incident_id}",
                "value": f"{incident_id}:{action}",
                "action_ts": "1700000000.000100",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def channel_message(user: str, channel: str, text: str, event_id: str = "Ev0001") -> str:
    """An Events API ``message`` event in a channel the app is in."""
    return json.dumps(
        {
            "token": "deprecated",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "event": {
                "type": "message",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": "1700000000.000200",
            },
        }
    )
