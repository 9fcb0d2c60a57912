"""Feishu / Lark (飞书) custom bot: ``POST <address>`` where the address is
``https://open.feishu.cn/open-apis/bot/v2/hook/<token>``.

The message is an ``interactive`` card: a header coloured by level (L1 red, L2 orange, L3 blue,
others grey) holding the headline, a ``lark_md`` block with the body and the mentions
(``<at id=…></at>``, ``all`` for everyone), and an action row with the acknowledge and
view-incident buttons. ``<`` and ``>`` in the alert text are escaped so it cannot mention anyone.

Signing, when ``target.secret`` is set — unlike DingTalk, the secret-derived string is the HMAC
*key* and the message is empty: ``sign = base64(HMAC-SHA256(key=timestamp_s + "\\n" + secret,
msg=b""))``; ``timestamp`` (seconds, from the clock) and ``sign`` go in the JSON body.

Answers are HTTP 200 with ``{"code": 0}`` (older bots: ``StatusCode``); 11232 (rate limited) is
retried; 19021 (bad signature or timestamp), 19022 (IP not allowed), 19024 (keyword missing) and
every other code are permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar

from eventguard.clock import Clock
from eventguard.notify.channels.base import (
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
    json_answer,
    robot_outcome,
)
from eventguard.notify.channels.render import (
    fit_bytes,
    headline,
    links,
    with_drill_note,
    with_target_mentions,
)
from eventguard.plugins import hookimpl

LEVEL_COLOURS = {1: "red", 2: "orange", 3: "blue"}
BODY_LIMIT = 15_000  # the whole request must stay under 20 KB
RATE_LIMITED = 11232


class FeishuChannel:
    """Posts message cards to a Feishu / Lark custom bot, signed when it has a secret."""

    kind: ClassVar[str] = "feishu"
    rate_limit: ClassVar[int] = 100  # messages a minute per bot
    key_join: ClassVar[KeyJoin] = KeyJoin(path=True)  # the hook id ends the path
    secret_markers: ClassVar[tuple[str, ...]] = ("/open-apis/bot/v2/hook/",)  # a target with its hook id
    im_handle: ClassVar[str] = "feishu"

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http
        self._clock = context.clock

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Post one card; code 0 is delivered."""
        notification = with_target_mentions(notification, target)
        payload: dict[str, Any] = {}
        if target.secret:
            payload.update(signature(target.secret, self._clock))
        payload.update(card_payload(notification))
        response = self._http.post_json(target.address, payload)
        answer = json_answer(response)
        code = answer.get("code", answer.get("StatusCode"))
        message = answer.get("msg", answer.get("StatusMessage"))
        return robot_outcome(response, code, message, temporary={RATE_LIMITED: None})


def card_payload(notification: Notification) -> dict[str, Any]:
    """The ``interactive`` message: header, lark_md body with mentions, action buttons."""
    body = with_drill_note(notification, escape_lark_md(notification.markdown))
    people = " ".join(f"<at id={who.removeprefix('@')}></at>" for who in notification.mentions)
    content = fit_bytes(body, BODY_LIMIT) + (f"\n{people}" if people else "")
    elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": content}}]
    buttons = [
        {
            "tag": "button",
            "text": {"tag": "plain_text", "content": link.label},
            "type": "primary" if link.primary else "default",
            "url": link.url,
        }
        for link in links(notification)
    ]
    if buttons:
        elements.append({"tag": "action", "actions": buttons})
    colour = LEVEL_COLOURS.get(notification.level or 0, "grey")
    header = {"title": {"tag": "plain_text", "content": headline(notification)}, "template": colour}
    return {
        "msg_type": "interactive",
        "card": {"config": {"wide_screen_mode": True}, "header": header, "elements": elements},
    }


def escape_lark_md(text: str) -> str:
    """Alert text shown literally: no ``<at>`` mentions or tags smuggled in."""
    return text.replace("<", "&lt;").replace(">", "&gt;")  # "&" stays: URLs in links keep working


def sign(timestamp_s: str, secret: str) -> str:
    """Feishu's signature: HMAC-SHA256 keyed with ``timestamp + "\\n" + secret`` over nothing."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def signature(secret: str, clock: Clock) -> dict[str, str]:
    """The ``timestamp`` and ``sign`` body fields for now."""
    timestamp_s = str(int(clock.now().timestamp()))
    return {"timestamp": timestamp_s, "sign": sign(timestamp_s, secret)}


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The Feishu / Lark custom bot channel, registered like a plugin's."""
    return [FeishuChannel]
