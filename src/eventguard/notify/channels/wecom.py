"""WeCom (企业微信) group robot: ``POST <address>`` where the address is
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>`` (the key is the only secret; there is
no signing).

``target.options["format"]`` picks the message type:

- ``"markdown"`` (default): ``{"msgtype": "markdown", "markdown": {"content": …}}``, at most 4096
  UTF-8 bytes; people are mentioned with ``<@userid>`` in the content (mobile numbers and ``@all``
  cannot be mentioned in markdown).
- ``"text"``: ``{"msgtype": "text", "text": {"content", "mentioned_list", "mentioned_mobile_list"}}``,
  content at most 2048 bytes; mentions that are phone numbers go to ``mentioned_mobile_list``, the
  others (userids, ``@all``) to ``mentioned_list``.

Only the body is shortened to fit; the headline, the links and the mentions always survive.
The answer is HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; 45009 (rate limited, 20 messages a
minute per robot) is retried, 93000 (invalid webhook URL) and every other code are permanent.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from eventguard.notify.channels.base import (
    ChannelConfig,
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
    TransportError,
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

MARKDOWN_LIMIT = 4096
TEXT_LIMIT = 2048
RATE_LIMITED = 45009  # "api freq out of limit": the robot's minute window is full
INVALID_WEBHOOK_URL = 93000


class WecomConfig(ChannelConfig):
    """A WeCom channel's ``config``: the message type (``format``)."""

    format: Literal["markdown", "text"] = "markdown"


class WecomChannel:
    """Posts markdown (or text) messages to a WeCom group robot."""

    kind: ClassVar[str] = "wecom"
    rate_limit: ClassVar[int] = 20  # messages a minute per robot
    key_join: ClassVar[KeyJoin] = KeyJoin(query="key")
    im_handle: ClassVar[str] = "wecom"
    config_schema: ClassVar[type[ChannelConfig]] = WecomConfig

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Post one message; errcode 0 is delivered."""
        notification = with_target_mentions(notification, target)
        message_format = target.options.get("format", "markdown")
        if message_format == "markdown":
            payload = markdown_payload(notification)
        elif message_format == "text":
            payload = text_payload(notification)
        else:
            raise TransportError(f"unknown WeCom message format {message_format!r}", permanent=True)
        response = self._http.post_json(target.address, payload)
        answer = json_answer(response)
        return robot_outcome(
            response, answer.get("errcode"), answer.get("errmsg"), temporary={RATE_LIMITED: 60.0}
        )


def markdown_payload(notification: Notification) -> dict[str, Any]:
    """The ``markdown`` message: bold headline, body, links, ``<@userid>`` mentions."""
    body = with_drill_note(notification, defuse_mentions(notification.markdown))
    link_line = "  ".join(f"[{link.label}]({link.url})" for link in links(notification))
    people = " ".join(
        f"<@{who}>" for who in notification.mentions if not is_phone_number(who) and who != "@all"
    )
    tail = "\n".join(part for part in (link_line, people) if part)
    head = f"**{defuse_mentions(headline(notification))}**"
    return {"msgtype": "markdown", "markdown": {"content": compose_within(head, body, tail, MARKDOWN_LIMIT)}}


def text_payload(notification: Notification) -> dict[str, Any]:
    """The ``text`` message, mentions in ``mentioned_list`` / ``mentioned_mobile_list``."""
    body = with_drill_note(notification, defuse_mentions(notification.text))
    tail = "\n".join(f"{link.label}: {link.url}" for link in links(notification))
    content = compose_within(defuse_mentions(headline(notification)), body, tail, TEXT_LIMIT)
    return {
        "msgtype": "text",
        "text": {
            "content": content,
            "mentioned_list": [who for who in notification.mentions if not is_phone_number(who)],
            "mentioned_mobile_list": [who for who in notification.mentions if is_phone_number(who)],
        },
    }


def defuse_mentions(text: str) -> str:
    """Alert text must not ping people: ``<@userid>`` in it gets an invisible break."""
    return text.replace("<@", "<\u200b@")


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The WeCom group robot channel, registered like a plugin's."""
    return [WecomChannel]
