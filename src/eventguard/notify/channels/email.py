"""E-mail over SMTP (the standard library's smtplib), to ``target.address``.

The server comes from the settings: ``smtp_host``/``smtp_port``, ``smtp_security`` (``none``,
``starttls`` to upgrade a plain connection, ``ssl`` for implicit TLS; certificates are verified),
a login when ``smtp_username`` is set, ``smtp_from`` as the sender, ``smtp_timeout``.

Each message is ``multipart/alternative`` with a plain-text part and an HTML part (rendered by
Jinja2 with autoescaping, in the notification's language). Its ``Subject`` is the headline (drill
banner and level included), its ``Message-ID`` is derived from the idempotency key (the same on
every retry) and ``X-EventGuard-Idempotency-Key`` carries the key itself.

``target.options["headers"]`` adds headers, e.g. for subscriber mail (status-page updates)::

    {"headers": {"List-Unsubscribe": "<https://…/unsubscribe/…>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}

A header named there replaces the one built here; values must be single lines.

Outcome: SMTP 5xx replies are permanent (e.g. 550 mailbox unavailable, 535 bad login), 4xx
replies, refused or dropped connections and timeouts are temporary.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, ClassVar

from jinja2 import Environment
from pydantic import Field

from eventguard.config import Settings
from eventguard.notify.channels.base import (
    ChannelConfig,
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    Notification,
    TransportError,
)
from eventguard.notify.channels.render import drill_note, headline, links
from eventguard.plugins import hookimpl

_BUTTON = "display: inline-block; margin-right: 8px; padding: 8px 16px; border-radius: 6px; "
_STYLES = {
    "body": "font-family: -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif; color: #1f2328",
    "drill": "background: #fff4ce; border-left: 4px solid #d29922; padding: 8px 12px",
    "text": "white-space: pre-wrap; line-height: 1.5",
    "primary": _BUTTON + "background: #1f6feb; color: #ffffff; text-decoration: none",
    "secondary": _BUTTON + "border: 1px solid #d0d7de; color: #1f2328; text-decoration: none",
    "footer": "color: #656d76; font-size: 12px",
}
_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ headline }}</title></head>
<body style="{{ css.body }}">
{% if drill %}<p style="{{ css.drill }}"><strong>{{ drill }}</strong></p>{% endif %}
<h2 style="font-size: 18px">{{ headline }}</h2>
<div style="{{ css.text }}">{{ body }}</div>
{% if links %}<p style="margin-top: 20px">{% for link in links %}
<a href="{{ link.url }}" style="{{ css.primary if link.primary else css.secondary }}">{{ link.label }}</a>
{% endfor %}</p>{% endif %}
<p style="{{ css.footer }}">EventGuard · {{ topic }}</p>
</body></html>
"""
)
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


class EmailConfig(ChannelConfig):
    """An e-mail channel's ``config``: extra headers of every message it sends."""

    headers: dict[str, str] = Field(default_factory=dict)


class EmailChannel:
    """Sends notifications as e-mail through the configured SMTP server."""

    kind: ClassVar[str] = "email"
    config_schema: ClassVar[type[ChannelConfig]] = EmailConfig

    def __init__(self, context: ChannelContext) -> None:
        self._settings = context.settings
        self._clock = context.clock

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Hand one message to the SMTP server; its acceptance is delivery."""
        try:
            message = build_message(notification, target, self._settings, self._clock.now())
        except ValueError as exc:  # e.g. a header value with a line break
            raise TransportError(f"cannot build the e-mail: {exc}", permanent=True) from exc
        with smtp_errors():
            _submit(message, target.address, self._settings)
        return DeliveryReceipt(detail=f"accepted by {self._settings.smtp_host}")


def build_message(
    notification: Notification, target: ChannelTarget, settings: Settings, now: datetime
) -> EmailMessage:
    """The multipart/alternative message for ``target.address``."""
    message = EmailMessage()
    message["Subject"] = headline(notification)
    message["From"] = settings.smtp_from
    message["To"] = target.address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(notification.idempotency_key, settings.smtp_from)
    message["X-EventGuard-Idempotency-Key"] = notification.idempotency_key
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    for name, value in dict(target.options.get("headers") or {}).items():
        del message[name]
        message[name] = str(value)
    message.set_content(text_body(notification))
    message.add_alternative(html_body(notification), subtype="html")
    return message


def text_body(notification: Notification) -> str:
    """The plain-text part: headline, drill line, text, links."""
    parts = [headline(notification), drill_note(notification), notification.text]
    parts.append("\n".join(f"{link.label}: {link.url}" for link in links(notification)))
    return "\n\n".join(part for part in parts if part) + "\n"


def html_body(notification: Notification) -> str:
    """The HTML part (every value autoescaped)."""
    return _HTML.render(
        language=notification.language,
        headline=headline(notification),
        drill=drill_note(notification),
        body=notification.text,
        links=links(notification),
        topic=notification.topic,
        css=_STYLES,
    )


def message_id(idempotency_key: str, sender: str) -> str:
    """``<key@sender-domain>``: stable across retries, so mail systems can drop duplicates."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "eventguard.localhost"
    return f"<{_UNSAFE_ID_CHARS.sub('-', idempotency_key)}@{domain}>"


def _submit(message: EmailMessage, recipient: str, settings: Settings) -> None:
    smtp_class = smtplib.SMTP_SSL if settings.smtp_security == "ssl" else smtplib.SMTP
    tls = ssl.create_default_context()
    options: dict[str, Any] = {"context": tls} if settings.smtp_security == "ssl" else {}
    with smtp_class(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout, **options) as smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=tls)
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message, to_addrs=[recipient])


@contextmanager
def smtp_errors() -> Iterator[None]:
    """Maps smtplib's and the network's exceptions to :class:`TransportError`."""
    try:
        yield
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = max(exc.recipients.values())  # one recipient per message; the worst reply
        raise _reply_error(code, reply) from exc
    except smtplib.SMTPResponseException as exc:  # sender or data refused, bad login …
        raise _reply_error(exc.smtp_code, exc.smtp_error) from exc
    except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as exc:
        raise TransportError(f"SMTP server unusable: {exc}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, dropped
        raise TransportError(f"SMTP connection failed: {exc!r}") from exc


def _reply_error(code: int, reply: bytes | str) -> TransportError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return TransportError(f"SMTP {code}: {text}", permanent=500 <= code < 600, status_code=code)


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The e-mail channel, registered like a plugin's."""
    return [EmailChannel]
