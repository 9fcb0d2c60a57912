"""DingTalk (钉钉) custom robot: ``POST <address>`` where the address is
``https://oapi.dingtalk.com/robot/send?access_token=<token>``.

The message is ``msgtype: markdown`` (``title`` is the chat-list preview, ``text`` the message) with
``at``: mentions that are phone numbers go to ``atMobiles``, other handles to ``atUserIds``,
``@all`` sets ``isAtAll``; each person is also written as ``@<handle>`` in the text, without which
DingTalk does not ping them.

Security modes (a robot has at least one):

- signing, when ``target.secret`` is set (DingTalk's secrets start with ``SEC``):
  ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp_ms + "\\n" + secret)))``, added
  as ``&timestamp=…&sign=…`` — encoded exactly once, the URL is passed to httpx already encoded;
- keywords, ``target.options["keywords"]``: when none appears in the text, the first is appended;
- IP allow-list: nothing to do here.

Answers are HTTP 200 with ``errcode``: 0 is delivered; 130101 (more than 20 messages a minute) is
retried; 310000 (keyword missing, bad signature or timestamp, IP not allowed), 300001/300005
(token does not exist) and every other code are permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote_plus

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
    compose_within,
    headline,
    is_phone_number,
    links,
    with_drill_note,
    with_target_mentions,
)
from eventguard.plugins import hookimpl

TEXT_LIMIT = 18_000  # one report of "message too long, exceed 20000 bytes"; keep a margin
SEND_TOO_FAST = 130101


class DingtalkChannel:
    """Posts markdown messages to a DingTalk custom robot, signed when it has a secret."""

    kind: ClassVar[str] = "dingtalk"
    rate_limit: ClassVar[int] = 20  # messages a minute per robot
    key_join: ClassVar[KeyJoin] = KeyJoin(query="access_token")
    im_handle: ClassVar[str] = "dingtalk"

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http
        self._clock = context.clock

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Post one message; errcode 0 is delivered."""
        notification = with_target_mentions(notification, target)
        keywords = [str(word) for word in target.options.get("keywords") or [] if word]
        payload = markdown_payload(notification, keywords=keywords)
        url = target.address
        if target.secret:
            url = signed_url(url, target.secret, self._clock)
        response = self._http.post_json(url, payload)
        answer = json_answer(response)
        return robot_outcome(
            response, answer.get("errcode"), answer.get("errmsg"), temporary={SEND_TOO_FAST: 60.0}
        )


def markdown_payload(notification: Notification, *, keywords: Sequence[str] = ()) -> dict[str, Any]:
    """The ``markdown`` message with its ``at`` block."""
    mobiles = [who for who in notification.mentions if is_phone_number(who)]
    user_ids = [who for who in notification.mentions if not is_phone_number(who) and who != "@all"]
    title = headline(notification)
    body = with_drill_note(notification, notification.markdown)
    link_line = "  ".join(f"[{link.label}]({link.url})" for link in links(notification))
    people = " ".join(f"@{who}" for who in [*mobiles, *user_ids])
    tail = "\n\n".join(part for part in (link_line, people) if part)
    if keywords and not any(word in f"{title}\n{body}\n{tail}" for word in keywords):
        tail = f"{tail}\n\n{keywords[0]}" if tail else keywords[0]
    text = compose_within(f"### {title}", body, tail, TEXT_LIMIT)
    return {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": text},
        "at": {"atMobiles": mobiles, "atUserIds": user_ids, "isAtAll": "@all" in notification.mentions},
    }


def sign(timestamp_ms: str, secret: str) -> str:
    """DingTalk's signature, Base64 (not yet URL-encoded)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(address: str, secret: str, clock: Clock) -> str:
    """``address`` with ``timestamp`` (ms, from the clock) and the URL-encoded ``sign`` appended."""
    timestamp_ms = str(int(clock.now().timestamp() * 1000))
    separator = "&" if "?" in address else "?"
    return f"{address}{separator}timestamp={timestamp_ms}&sign={quote_plus(sign(timestamp_ms, secret))}"


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The DingTalk custom robot channel, registered like a plugin's."""
    return [DingtalkChannel]
