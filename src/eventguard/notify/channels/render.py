"""The words every channel shows the same way: the drill banner, the level, the headline, the
button labels, and cutting a text to a vendor's size limit without breaking a character."""

from __future__ import annotations

from dataclasses import dataclass, replace

from eventguard.i18n import t
from eventguard.notify.channels.base import ChannelTarget, Notification

ELLIPSIS = "…"


@dataclass(frozen=True)
class Link:
    """A button or link under a message."""

    label: str
    url: str
    primary: bool = False


def drill_banner(language: str) -> str:
    """``[DRILL]`` / ``【演练】``: marks every drill message, in its title and in its body."""
    return t("[DRILL]", language)


def drill_note(notification: Notification) -> str:
    """The body's first line for a drill (empty otherwise)."""
    if not notification.is_drill:
        return ""
    language = notification.language
    return f"{drill_banner(language)} {t('This is a drill: nothing is really broken.', language)}"


def level_label(notification: Notification) -> str:
    """``L1``, ``L2`` … (empty when the message has no level)."""
    return "" if notification.level is None else f"L{notification.level}"


def headline(notification: Notification) -> str:
    """The title as every channel shows it: ``【演练】 [L1] 直播中断``. The level is added unless
    the title already carries it (the built-in texts do)."""
    parts = []
    if notification.is_drill:
        parts.append(drill_banner(notification.language))
    level = level_label(notification)
    if level and f"[{level}]" not in notification.title:
        parts.append(f"[{level}]")
    parts.append(notification.title)
    return " ".join(parts)


def links(notification: Notification) -> list[Link]:
    """Acknowledge (primary) and view-incident links, those the notification has."""
    found = []
    if notification.ack_url:
        found.append(Link(t("Acknowledge", notification.language), notification.ack_url, primary=True))
    if notification.incident_url:
        found.append(Link(t("View incident", notification.language), notification.incident_url))
    return found


def with_drill_note(notification: Notification, body: str) -> str:
    """``body`` preceded by the drill line when it is a drill."""
    note = drill_note(notification)
    return f"{note}\n\n{body}" if note else body


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a character boundary, ending in "…"."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = max(limit - len(ELLIPSIS.encode("utf-8")), 0)
    return encoded[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def fit_chars(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…"."""
    return text if len(text) <= limit else text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


def compose_within(head: str, body: str, tail: str, limit: int, *, sep: str = "\n\n") -> str:
    """``head``, ``body`` and ``tail`` joined, cutting only the body so the whole fits ``limit``
    UTF-8 bytes: the headline, the links and the mentions always survive."""
    fixed = [part for part in (head, tail) if part]
    overhead = len(sep.encode("utf-8")) * len(fixed) + sum(len(p.encode("utf-8")) for p in fixed)
    fitted = fit_bytes(body, max(limit - overhead, 0)) if body else ""
    whole = sep.join(part for part in (head, fitted, tail) if part)
    return fit_bytes(whole, limit)  # only when head and tail alone are too long


def is_phone_number(handle: str) -> bool:
    """Whether a mention handle is a phone number (robots mention those differently)."""
    return handle.lstrip("+").isdigit()


def with_target_mentions(notification: Notification, target: ChannelTarget) -> Notification:
    """The notification plus the handles in ``target.options["mentions"]`` (a group channel used to
    reach one person mentions that person there)."""
    extra = [who for who in target.options.get("mentions") or [] if who not in notification.mentions]
    return replace(notification, mentions=[*notification.mentions, *extra]) if extra else notification
