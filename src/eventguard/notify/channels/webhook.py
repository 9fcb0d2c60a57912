"""Generic outgoing webhooks, signed as Standard Webhooks (https://www.standardwebhooks.com).

``POST <address>`` with the JSON body::

    {"type": "<topic>", "timestamp": "<ISO 8601 time of the event>",
     "data": {…notification.data, "title", "text", "level", "is_drill", "incident_url", "ack_url"}}

and the headers ``webhook-id`` (the notification's idempotency key, the same on every retry, with
any ``.`` replaced by ``_``; consumers de-duplicate on it), ``webhook-timestamp`` (Unix seconds of
this attempt, from the clock) and, when ``target.secret`` is set, ``webhook-signature:
v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>``. The key is
``base64decode(secret without "whsec_")`` for a ``whsec_…`` secret, as the spec has it; any other
secret is used as-is, its UTF-8 bytes being the key (for gateways configured with a plain shared
secret). ``target.options["bearer_token"]`` (the plan channel's ``secret_env``) is sent as
``Authorization: Bearer …``.

This channel also drives SMS and voice-call gateways: point it at a small adapter (or a gateway
that accepts JSON) and read ``data.text`` (plain text, drill banner included), ``data.title`` and
``data.phone`` (the person's number, from ``target.options["phone"]``, when one person is paged).

Outcome, as the spec recommends: only 2xx is delivered; 3xx is a failure and is not followed; 410
means the endpoint is gone (permanent); 429, 502, 504 (and any 5xx, 408) are retried honouring
``Retry-After``; other 4xx are permanent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventguard.notify.channels.base import (
    BEARER,
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
    TransportError,
    json_bytes,
)
from eventguard.notify.channels.render import headline, with_drill_note
from eventguard.plugins import hookimpl

SECRET_PREFIX = "whsec_"


class WebhookChannel:
    """Posts Standard Webhooks events to any HTTP endpoint (and through it to SMS/voice gateways)."""

    kind: ClassVar[str] = "webhook"
    key_join: ClassVar[KeyJoin] = BEARER  # sent as Authorization: Bearer
    pages_by_phone: ClassVar[bool] = True  # a paging gateway: texts or calls one person

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http
        self._clock = context.clock

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Post one event; any 2xx is delivered."""
        payload = event_payload(notification, self._clock.now())
        if target.options.get("phone"):  # a paging gateway: whom to text or call
            payload["data"]["phone"] = str(target.options["phone"])
        body = json_bytes(payload)
        message_id = notification.idempotency_key.replace(".", "_")
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {"webhook-id": message_id, "webhook-timestamp": timestamp, "User-Agent": "EventGuard"}
        if target.secret:
            headers["webhook-signature"] = signature(target.secret, message_id, timestamp, body)
        token = target.options.get("bearer_token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.post_bytes(target.address, body, headers=headers)
        except TransportError as exc:
            if exc.status_code == 410:
                exc.message = f"{exc.message} (the endpoint is gone: disable it)"
            raise
        return DeliveryReceipt(status_code=response.status_code, detail=response.text[:200])


def event_payload(notification: Notification, now: datetime) -> dict[str, Any]:
    """The Standard Webhooks body: ``type``, ``timestamp`` and ``data``."""
    moment = (notification.occurred_at or now).astimezone(UTC)
    data = {
        **notification.data,
        "title": headline(notification),
        "text": with_drill_note(notification, notification.text),
        "level": notification.level,
        "is_drill": notification.is_drill,
        "language": notification.language,
        "incident_url": notification.incident_url,
        "ack_url": notification.ack_url,
    }
    return {"type": notification.topic, "timestamp": moment.isoformat().replace("+00:00", "Z"), "data": data}


def signing_key(secret: str) -> bytes:
    """The HMAC key: Base64-decoded for ``whsec_…`` secrets, the UTF-8 bytes of any other."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise TransportError("the webhook secret is not valid whsec_ Base64", permanent=True) from exc


def signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The ``webhook-signature`` header value (``v1,<base64>``)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The Standard Webhooks channel, registered like a plugin's."""
    return [WebhookChannel]
