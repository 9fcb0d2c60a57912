"""What the SMS and voice gateways (Aliyun SMS, Tencent Cloud SMS, Twilio SMS and calls) share:
whom to text (the paged person's phone, or the channel's own ``to`` number), E.164 numbers, the
per-recipient limit settings, SMS segment arithmetic and the fields a gateway template is filled with.

**Segments** (3GPP TS 23.038 / 23.040, as Twilio, Aliyun and Tencent count them): a text made only
of GSM-7 characters takes 160 units in one segment, 153 per segment once concatenated (the
extension characters ``^{}\\[~]|€`` take two units); any other character makes the whole text UCS-2:
70 UTF-16 code units in one segment, 67 per segment concatenated. Free-text gateways (Twilio) cut
the body so the message fits ``max_segments``; the headline and the acknowledgement link are kept.

**Templates** (Aliyun and Tencent only send texts of pre-approved templates): the plan maps each
template variable to one of :data:`TEMPLATE_FIELDS`; each value is cut to ``param_max_chars``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import Field

from eventguard.notify.channels.base import ChannelConfig, ChannelTarget, Notification, TransportError
from eventguard.notify.channels.render import drill_banner, fit_chars, headline, level_label

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_GSM7 = frozenset(GSM7_BASIC)
_GSM7_EXT = frozenset(GSM7_EXTENSION)
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# What a gateway template variable may be filled with (see ``template_values``): the headline
# (drill banner, level, title), the incident's title, "L1", the event's slug, its status, the topic,
# the plain-text body, the links, the incident id and the drill banner (empty when not a drill).
TemplateField = Literal[
    "title",
    "summary",
    "level",
    "event",
    "status",
    "topic",
    "text",
    "incident_url",
    "ack_url",
    "incident_id",
    "drill",
]
TEMPLATE_FIELDS: tuple[str, ...] = get_args(TemplateField)


class SmsConfig(ChannelConfig):
    """Keys every SMS/voice gateway channel takes under ``config``."""

    to: str | None = Field(
        default=None,
        description="Phone number (E.164) texted or called when the channel itself is notified "
        "({channel: id}); a paged person's own number always wins.",
    )
    per_recipient_limit: int | None = Field(
        default=None, ge=1, le=1000, description="At most this many messages to one number per window."
    )
    per_recipient_window_minutes: int = Field(
        default=60, ge=1, le=1440, description="The window of per_recipient_limit, in minutes."
    )


def normalise_phone(raw: str) -> str:
    """``+86 138-0000-0002`` -> ``+8613800000002`` (E.164); ``0086…`` becomes ``+86…``. A number
    that cannot be E.164 is a permanent error (it will never be delivered)."""
    number = _PHONE_SEPARATORS.sub("", raw or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.match(number):
        raise TransportError(
            f"{raw!r} is not a phone number in international format (+<country code><number>)",
            permanent=True,
        )
    return number


def recipient_number(target: ChannelTarget) -> str:
    """The E.164 number this delivery texts or calls: the paged person's (``options["phone"]``),
    else the channel's ``config.to``."""
    raw = target.options.get("phone") or target.options.get("to")
    if not raw:
        raise TransportError(
            "no phone number: page a person who has one, or set the channel's config.to", permanent=True
        )
    return normalise_phone(str(raw))


def is_gsm7(text: str) -> bool:
    return all(char in _GSM7 or char in _GSM7_EXT for char in text)


def sms_units(text: str) -> tuple[int, bool]:
    """(units, is GSM-7): GSM-7 septets (extension characters count 2) or UTF-16 code units."""
    if is_gsm7(text):
        return sum(2 if char in _GSM7_EXT else 1 for char in text), True
    return len(text.encode("utf-16-le")) // 2, False


def segments(text: str) -> int:
    """How many SMS segments ``text`` is sent as."""
    units, gsm = sms_units(text)
    single, multi = (160, 153) if gsm else (70, 67)
    if units <= single:
        return 1
    return -(-units // multi)


def capacity(max_segments: int, gsm: bool) -> int:
    """Units that fit ``max_segments`` segments."""
    single, multi = (160, 153) if gsm else (70, 67)
    return single if max_segments == 1 else multi * max_segments


def fit_segments(head: str, body: str, tail: str, max_segments: int) -> str:
    """``head``, ``body`` and ``tail`` on separate lines, the body cut (ending in "…") so the whole
    text is at most ``max_segments`` segments; head and tail are kept (cut only if they alone are
    too long)."""

    def joined(middle: str) -> str:
        return "\n".join(part for part in (head, middle, tail) if part)

    whole = joined(body)
    if segments(whole) <= max_segments:
        return whole
    low, high = 0, len(body)
    while low < high:  # the longest prefix of the body that still fits
        middle = (low + high + 1) // 2
        if segments(joined(fit_chars(body, middle) if middle < len(body) else body)) <= max_segments:
            low = middle
        else:
            high = middle - 1
    fitted = joined(fit_chars(body, low)) if low > 1 else joined("")
    if segments(fitted) <= max_segments:
        return fitted
    _, gsm = sms_units(fitted)
    return fit_chars(fitted, capacity(max_segments, gsm) // (1 if gsm else 2))


def template_values(notification: Notification) -> dict[str, str]:
    """Every field of :data:`TEMPLATE_FIELDS` as text."""
    data = notification.data
    return {
        "title": headline(notification),
        "summary": str(data.get("summary") or notification.title),
        "level": level_label(notification),
        "event": str(data.get("event") or ""),
        "status": str(data.get("status") or ""),
        "topic": notification.topic,
        "text": notification.text,
        "incident_url": notification.incident_url or "",
        "ack_url": notification.ack_url or "",
        "incident_id": str(data.get("incident_id") or ""),
        "drill": drill_banner(notification.language) if notification.is_drill else "",
    }


def fill(fields: Mapping[str, str], notification: Notification, max_chars: int) -> dict[str, str]:
    """Template variable -> value (each cut to ``max_chars``), from the plan's variable -> field map."""
    values = template_values(notification)
    return {name: fit_chars(values.get(field, ""), max_chars) for name, field in fields.items()}


def option(target: ChannelTarget, name: str, default: Any = None) -> Any:
    """A config key of the plan channel (``target.options``), ``default`` when unset."""
    value = target.options.get(name)
    return default if value is None else value


def credential(target: ChannelTarget, what: str, *, signing: bool) -> str:
    """The id (``secret_env``) or secret (``signing_secret_env``) of a gateway; missing is permanent."""
    value = target.secret if signing else target.options.get("bearer_token")
    if not value:
        where = "signing_secret_env" if signing else "secret_env"
        raise TransportError(f"the channel has no {what}: set {where}", permanent=True)
    return str(value)
