"""Twilio Programmable Messaging (SMS) and Programmable Voice (a call that reads the message out).

Both ``POST`` form-encoded parameters to Twilio's REST API (version 2010-04-01) with HTTP basic
authentication — user: the Account SID (or an API key SID, ``config.api_key_sid``), password: the
auth token (or the API key's secret) from ``secret_env``:

- SMS: ``<address>/2010-04-01/Accounts/<AccountSid>/Messages.json`` with ``To`` (E.164), ``From``
  (``config.from_number``) or ``MessagingServiceSid`` and ``Body``: the headline, the plain-text
  body and the acknowledgement link, the body cut so the text fits ``config.max_segments`` SMS
  segments (default 3; Twilio takes at most 1600 characters).
- Call: ``<address>/2010-04-01/Accounts/<AccountSid>/Calls.json`` with ``To``, ``From`` and
  ``Twiml``: ``<Response><Say voice=… language=… loop=…>the message</Say></Response>`` (a voice
  and language that speak the recipient's language: Amazon Polly's Zhiyu, ``cmn-CN``, for Chinese;
  Joanna, ``en-US``, for English; both settable), at most 4000 characters of TwiML.

``<address>`` is ``https://api.twilio.com`` by default. Answers: 201 with the new resource's JSON
(``sid``, ``status``) is delivered. Errors are JSON ``{"code", "message", "more_info", "status"}``:
HTTP 429 (``20429``) and 5xx are retried, honouring ``Retry-After``, and so are the queue-full and
rate codes in :data:`TEMPORARY_CODES`; every other error — 401 ``20003`` (bad credentials), 400
``21211`` (invalid ``To``), ``21610`` (the recipient opted out), ``21614`` (not a mobile number),
``21408`` (region not enabled) … — is permanent.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

import httpx
from pydantic import Field

from eventguard.i18n import t
from eventguard.notify.channels.base import (
    BEARER,
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
    TransportError,
)
from eventguard.notify.channels.render import fit_chars, headline, with_drill_note
from eventguard.notify.channels.sms import SmsConfig, credential, fit_segments, recipient_number
from eventguard.plugins import hookimpl

API_VERSION = "2010-04-01"
BODY_LIMIT = 1600  # characters Twilio accepts in one message Body
TWIML_LIMIT = 4000  # characters of the Twiml parameter
TEMPORARY_CODES = frozenset({20429, 21611, 14107, 30001})  # rate / queue full / queue overflow
VOICES = {"zh-CN": ("Polly.Zhiyu", "cmn-CN"), "en": ("Polly.Joanna", "en-US")}


class TwilioConfig(SmsConfig):
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$", description="The Account SID (AC…).")
    api_key_sid: str | None = Field(
        default=None, pattern=r"^SK[0-9a-fA-F]{32}$", description="Authenticate with this API key (SK…)."
    )
    from_number: str | None = Field(default=None, description="The Twilio number sending (E.164).")


class TwilioSmsConfig(TwilioConfig):
    messaging_service_sid: str | None = Field(
        default=None, pattern=r"^MG[0-9a-fA-F]{32}$", description="Send through this Messaging Service."
    )
    max_segments: int = Field(default=3, ge=1, le=10, description="Cut the text to this many SMS segments.")


class TwilioVoiceConfig(TwilioConfig):
    voice: str | None = Field(
        default=None, description="<Say> voice; default by language (Polly.Zhiyu, Polly.Joanna)."
    )
    language: str | None = Field(default=None, description="<Say> language; default by message language.")
    loop: int = Field(default=2, ge=1, le=10, description="How many times the message is read out.")


class _Twilio:
    key_join: ClassVar[KeyJoin] = BEARER  # secret_env: the auth token (or API key secret)
    pages_by_phone: ClassVar[bool] = True
    resource: ClassVar[str]

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Create the message or call; 2xx is delivered."""
        account = str(target.options.get("account_sid") or "")
        if not account:
            raise TransportError("set config.account_sid", permanent=True)
        token = credential(target, "auth token", signing=False)
        user = str(target.options.get("api_key_sid") or account)
        fields = {"To": recipient_number(target), **self.fields(notification, target)}
        url = f"{target.address.rstrip('/')}/{API_VERSION}/Accounts/{account}/{self.resource}.json"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii"),
            "Accept": "application/json",
        }
        body = urlencode(fields).encode("ascii")
        response = self._http.post_bytes(url, body, headers=headers, check=False)
        return outcome(response, self._http.retry_after(response))

    def fields(self, notification: Notification, target: ChannelTarget) -> dict[str, str]:
        raise NotImplementedError


class TwilioSmsChannel(_Twilio):
    """Texts one person through Twilio's Messages API."""

    kind: ClassVar[str] = "twilio_sms"
    resource: ClassVar[str] = "Messages"
    config_schema: ClassVar[type[TwilioSmsConfig]] = TwilioSmsConfig
    per_recipient_limit: ClassVar[int] = 10
    medium: ClassVar[str] = "sms"

    def fields(self, notification: Notification, target: ChannelTarget) -> dict[str, str]:
        sender = _sender(target, allow_service=True)
        return {**sender, "Body": sms_text(notification, int(target.options.get("max_segments") or 3))}


class TwilioVoiceChannel(_Twilio):
    """Calls one person through Twilio's Calls API and reads the message out."""

    kind: ClassVar[str] = "twilio_voice"
    resource: ClassVar[str] = "Calls"
    config_schema: ClassVar[type[TwilioVoiceConfig]] = TwilioVoiceConfig
    per_recipient_limit: ClassVar[int] = 4
    medium: ClassVar[str] = "voice"

    def fields(self, notification: Notification, target: ChannelTarget) -> dict[str, str]:
        sender = _sender(target, allow_service=False)
        options = target.options
        return {
            **sender,
            "Twiml": twiml(
                notification,
                voice=options.get("voice"),
                language=options.get("language"),
                loop=int(options.get("loop") or 2),
            ),
        }


def _sender(target: ChannelTarget, *, allow_service: bool) -> dict[str, str]:
    service = target.options.get("messaging_service_sid") if allow_service else None
    if service:
        return {"MessagingServiceSid": str(service)}
    number = target.options.get("from_number")
    if not number:
        wanted = (
            "config.from_number or config.messaging_service_sid" if allow_service else "config.from_number"
        )
        raise TransportError(f"set {wanted}", permanent=True)
    return {"From": str(number)}


def sms_text(notification: Notification, max_segments: int) -> str:
    """Headline, body and acknowledgement link within ``max_segments`` segments (and 1600 chars)."""
    body = with_drill_note(notification, notification.text)
    tail = (
        f"{t('Acknowledge', notification.language)}: {notification.ack_url}" if notification.ack_url else ""
    )
    text = fit_segments(headline(notification), body, tail, max_segments)
    return fit_chars(text, BODY_LIMIT)


def spoken_text(notification: Notification) -> str:
    """What the call reads out: who calls, the headline and the body, then how to acknowledge."""
    language = notification.language
    intro = t("This is an EventGuard alert.", language)
    outro = t("Acknowledge it in EventGuard: the link is in your messages.", language)
    body = with_drill_note(notification, notification.text)
    return "\n".join(part for part in (intro, headline(notification), body, outro) if part)


def twiml(notification: Notification, *, voice: Any = None, language: Any = None, loop: int = 2) -> str:
    """``<Response><Say …>text</Say></Response>`` within Twilio's 4000 characters."""
    default_voice, default_language = VOICES["zh-CN" if notification.language == "zh-CN" else "en"]
    attributes = (
        f"voice={quoteattr(str(voice or default_voice))} "
        f"language={quoteattr(str(language or default_language))} loop={quoteattr(str(loop))}"
    )
    head, tail = f"<Response><Say {attributes}>", "</Say></Response>"
    text = spoken_text(notification)
    room = TWIML_LIMIT - len(head) - len(tail)
    spoken = escape(text)
    while len(spoken) > room:  # escaping lengthens the text: cut the source until it fits
        text = fit_chars(text, max(len(text) - (len(spoken) - room) - 1, 0))
        spoken = escape(text)
    return head + spoken + tail


def outcome(response: httpx.Response, retry_after: float | None) -> DeliveryReceipt:
    status = response.status_code
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    answer = answer if isinstance(answer, dict) else {}
    if 200 <= status < 300:
        return DeliveryReceipt(
            status_code=status, detail=f"{answer.get('sid', '')} {answer.get('status', '')}".strip()
        )
    code = answer.get("code")
    text = (
        f"Twilio HTTP {status}"
        + (f" error {code}" if code else "")
        + f": {answer.get('message') or response.text[:200]}"
    )
    if status in (408, 429) or status >= 500 or code in TEMPORARY_CODES:
        raise TransportError(text, status_code=status, retry_after=retry_after)
    raise TransportError(text, permanent=True, status_code=status)


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """Twilio SMS and Twilio voice calls, registered like a plugin's."""
    return [TwilioSmsChannel, TwilioVoiceChannel]
