"""Microsoft Teams: a Workflows (Power Automate "Send webhook alerts to a channel") webhook posted an
Adaptive Card. (The retired Office 365 connectors' incoming webhooks carry their secret in the URL
path, ``…webhook.office.com/webhookb2/…``: a plan target like that is refused as an inline secret;
move the channel to a workflow.)

``POST <address>&sig=<key>`` where the address is the workflow's HTTP trigger URL without its
``sig`` parameter (``https://….logic.azure.com:443/workflows/<id>/triggers/manual/paths/invoke?
api-version=…&sp=…&sv=1.0`` or the newer ``….powerplatform.com/powerautomate/…`` form) and the
plan's ``secret_env`` holds the ``sig`` value (the URL's credential). The body is a message with
one Adaptive Card attachment::

    {"type": "message",
     "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
                      "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                  "type": "AdaptiveCard", "version": "1.4", "body": [...],
                                  "actions": [...], "msteams": {"width": "Full", "entities": [...]}}}]}

The card holds the headline (red for level 1), the drill banner, the body (markdown Teams renders in
a TextBlock: bold, links), a FactSet (event, level, topic) and ``Action.OpenUrl`` buttons
(acknowledge, view incident). Mentions (a person's ``im.teams``: their Entra user principal name
or object id) are written ``<at>handle</at>`` with a ``mention`` entity in ``msteams.entities``.
The card is cut to stay well under Teams' 28 KB message limit.

Answers: Workflows answers ``202 Accepted``; any 2xx is delivered. 429 (with ``Retry-After``) and
5xx are retried; 400 (bad card), 401/403 (wrong ``sig``) and 404 (workflow deleted) are permanent.
An answer of 200 with ``… failed with error …`` in its text (what the connector webhooks
answered) is a failure, temporary when it reports a 429, permanent otherwise.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventguard.i18n import t
from eventguard.notify.channels.base import (
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
    TransportError,
)
from eventguard.notify.channels.render import (
    drill_note,
    fit_bytes,
    fit_chars,
    headline,
    level_label,
    links,
    with_target_mentions,
)
from eventguard.plugins import hookimpl

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
BODY_LIMIT = 20_000  # bytes of body text; Teams refuses messages over 28 KB
TITLE_LIMIT = 400


class TeamsChannel:
    """Posts an Adaptive Card to a Teams Workflows (or legacy incoming) webhook."""

    kind: ClassVar[str] = "teams"
    rate_limit: ClassVar[int] = 60  # keep well under the webhooks' throttling
    key_join: ClassVar[KeyJoin] = KeyJoin(query="sig")
    secret_markers: ClassVar[tuple[str, ...]] = ("webhook.office.com/webhookb2/",)
    im_handle: ClassVar[str] = "teams"

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Post one card; any 2xx is delivered (Workflows: 202)."""
        notification = with_target_mentions(notification, target)
        response = self._http.post_json(target.address, card_message(notification))
        text = response.text[:200]
        if "failed with error" in text.lower():  # a legacy connector's HTTP 200 failure
            raise TransportError(
                f"Teams: {text}", permanent="429" not in text, status_code=response.status_code
            )
        return DeliveryReceipt(status_code=response.status_code, detail=text)


def card_message(notification: Notification) -> dict[str, Any]:
    """The message with its Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card(notification)}
        ],
    }


def card(notification: Notification) -> dict[str, Any]:
    """The Adaptive Card itself."""
    language = notification.language
    title = fit_chars(headline(notification), TITLE_LIMIT)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            **({"color": "Attention"} if notification.level == 1 else {}),
        }
    ]
    note = drill_note(notification)
    if note:
        body.append({"type": "TextBlock", "text": note, "color": "Warning", "wrap": True})
    body.append({"type": "TextBlock", "text": fit_bytes(notification.markdown, BODY_LIMIT), "wrap": True})
    facts = [
        (t("Event", language), str(notification.data.get("event") or "")),
        (t("Level", language), level_label(notification)),
        (t("Topic", language), notification.topic),
    ]
    body.append(
        {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in facts if value]}
    )
    mentions = [who for who in notification.mentions if who != "@all"]
    if mentions:
        body.append(
            {"type": "TextBlock", "text": " ".join(f"<at>{who}</at>" for who in mentions), "wrap": True}
        )
    content: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    actions = [
        {"type": "Action.OpenUrl", "title": link.label, "url": link.url} for link in links(notification)
    ]
    if actions:
        content["actions"] = actions
    if mentions:
        content["msteams"]["entities"] = [
            {"type": "mention", "text": f"<at>{who}</at>", "mentioned": {"id": who, "name": who}}
            for who in mentions
        ]
    return content


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The Microsoft Teams webhook channel, registered like a plugin's."""
    return [TeamsChannel]
