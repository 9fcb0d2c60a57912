"""Slack incoming webhook: ``POST <address>`` where the address is
``https://hooks.slack.com/services/T…/B…/…`` (the URL is the credential).

The body has ``text`` (the notification fallback, always sent) and Block Kit ``blocks``: a section
with the headline and body (mrkdwn, at most 3000 characters) and the Event / Level fields, a
context line (topic, drill banner) and an actions row with URL buttons (acknowledge, view
incident). Alert text is escaped (``&``, ``<``, ``>``) so it cannot mention or link anyone; the
channel-neutral markdown's ``**bold**``, ``[label](url)`` and ``#`` headings become mrkdwn.
Mentions are member ids (``<@U…>``); ``@all`` becomes ``<!channel>``.

Answers: ``200 ok``. Errors come as HTTP status + a plain-text code and are mapped by the
transport: 429 (with ``Retry-After``) and 5xx are retried; 400 ``invalid_payload``, 403
``action_prohibited``, 404 ``channel_not_found``, 410 ``channel_is_archived`` are permanent.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from eventguard.i18n import t
from eventguard.notify.channels.base import (
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
)
from eventguard.notify.channels.render import (
    drill_banner,
    fit_chars,
    headline,
    level_label,
    links,
    with_drill_note,
    with_target_mentions,
)
from eventguard.plugins import hookimpl

SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


class SlackChannel:
    """Posts Block Kit messages to a Slack incoming webhook."""

    kind: ClassVar[str] = "slack"
    rate_limit: ClassVar[int] = 60  # about one message a second per webhook
    key_join: ClassVar[KeyJoin] = KeyJoin(path=True)  # the webhook path T…/B…/… ends the URL
    secret_markers: ClassVar[tuple[str, ...]] = ("hooks.slack.com/services/",)  # a target with its hook id
    im_handle: ClassVar[str] = "slack"

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Post one message; any 2xx (Slack answers ``ok``) is delivered."""
        notification = with_target_mentions(notification, target)
        response = self._http.post_json(target.address, blocks_payload(notification))
        return DeliveryReceipt(status_code=response.status_code, detail=response.text[:200])


def blocks_payload(notification: Notification) -> dict[str, Any]:
    """The webhook body: fallback ``text`` and the blocks."""
    title = f"*{escape(headline(notification))}*"
    people = " ".join("<!channel>" if who == "@all" else f"<@{who}>" for who in notification.mentions)
    body = to_mrkdwn(escape(with_drill_note(notification, notification.markdown)))
    room = SECTION_TEXT_LIMIT - len(title) - (len(people) + 1 if people else 0) - 1
    section_text = "\n".join(part for part in (title, fit_chars(body, room), people) if part)
    section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": section_text}}
    fields = _fields(notification)
    if fields:
        section["fields"] = fields
    blocks: list[dict[str, Any]] = [section, _context(notification)]
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": fit_chars(link.label, BUTTON_TEXT_LIMIT)},
            "url": link.url,
            "action_id": "ack" if link.primary else "view",
            **({"style": "primary"} if link.primary else {}),
        }
        for link in links(notification)
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": fit_chars(escape(headline(notification)), SECTION_TEXT_LIMIT), "blocks": blocks}


def _fields(notification: Notification) -> list[dict[str, str]]:
    language = notification.language
    facts = [(t("Event", language), str(notification.data.get("event") or ""))]
    facts.append((t("Level", language), level_label(notification)))
    return [
        {"type": "mrkdwn", "text": fit_chars(f"*{name}*\n{escape(value)}", FIELD_TEXT_LIMIT)}
        for name, value in facts
        if value
    ]


def _context(notification: Notification) -> dict[str, Any]:
    words = [escape(notification.topic), "EventGuard"]
    if notification.is_drill:
        words.insert(0, drill_banner(notification.language))
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(words)}]}


def escape(text: str) -> str:
    """Slack's three control characters, so alert text is shown literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(escaped: str) -> str:
    """The neutral markdown's links, bold and headings in Slack's mrkdwn (on escaped text)."""
    converted = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", escaped)
    converted = _BOLD.sub(r"*\1*", converted)
    return _HEADING.sub(r"*\1*", converted)


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The Slack incoming-webhook channel, registered like a plugin's."""
    return [SlackChannel]
