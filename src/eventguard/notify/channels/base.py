"""What every channel shares: the rendered notification, the target it goes to, the error type, the
context a channel is built with and the HTTP transport that owns timeouts and status-code handling
once for all HTTP channels.

A channel only builds its vendor's payload (and signature) and reads its vendor's answer.

**Constructor protocol.** Every channel class, built-in or from a plugin, is constructed with one
argument, a :class:`ChannelContext` (``ChannelClass(context)``), and then sent to any number of
times with ``send(notification, target)``. HTTP channels post through ``context.http`` (an
:class:`HttpTransport`); e-mail reads ``context.settings`` (the ``smtp_*`` keys); every channel takes
signing timestamps from ``context.clock`` so tests are deterministic. The vendor's URL or the
mailbox always comes from ``target.address``, so tests point channels at local receivers.

**Target options** every channel understands where it applies: ``mentions`` (handles added to
``notification.mentions``), ``keywords`` (DingTalk), ``format`` (WeCom), ``headers`` (e-mail),
``bearer_token`` and ``phone`` (webhook). Each channel module documents its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from eventguard.clock import Clock
from eventguard.config import Settings


@dataclass(frozen=True, kw_only=True)
class Notification:
    """One message to one target, already rendered in the recipient's language."""

    idempotency_key: str  # the same on every retry: receivers drop duplicates with it
    topic: str  # e.g. "incident.opened"
    title: str
    text: str  # plain text (SMS gateways, e-mail text part, fallbacks)
    markdown: str  # the channel-neutral markdown body (IM robots)
    language: str  # zh-CN | en
    level: int | None = None
    is_drill: bool = False
    incident_url: str | None = None
    ack_url: str | None = None
    mentions: list[str] = field(default_factory=list)  # vendor handles of the people meant
    data: dict[str, Any] = field(default_factory=dict)  # structured facts (the webhook's JSON "data")
    occurred_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ChannelTarget:
    """Where one channel delivers: its URL or address and its (already resolved) secrets."""

    kind: str
    address: str  # webhook URL (vendor base URL configurable for tests) or e-mail address
    secret: str | None = None  # signing secret / key, resolved from the plan's secret_env
    options: Mapping[str, Any] = field(default_factory=dict)  # keywords, msg format, headers …


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the receiving end answered to a successful send."""

    status_code: int | None = None
    detail: str = ""


class TransportError(Exception):
    """A send that failed. ``permanent`` ones (bad token, 4xx that will never succeed) stop retries
    and are shown on the channel; temporary ones are retried with backoff (``retry_after`` seconds
    when the receiver said how long to wait)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True)
class ChannelContext:
    """Everything a channel is constructed with (see the module docstring)."""

    http: HttpTransport
    settings: Settings
    clock: Clock

    @classmethod
    def build(cls, *, client: httpx.Client, settings: Settings, clock: Clock) -> ChannelContext:
        """A context whose transport posts with ``client`` (within its read timeout, 10 s when it
        has none) and reads time from ``clock``."""
        timeout = client.timeout.read if client.timeout.read is not None else 10.0
        return cls(
            http=HttpTransport(client=client, clock=clock, timeout=timeout), settings=settings, clock=clock
        )


class Channel(Protocol):
    """A delivery channel. ``kind`` names it in plans and in the registry; ``send`` returns a
    receipt or raises :class:`TransportError`. Its vendor facts are optional class attributes, read
    through :func:`facts_of` (see :class:`ChannelFacts` for each one and its default)."""

    kind: ClassVar[str]

    def __init__(self, context: ChannelContext) -> None: ...

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt: ...


class ChannelConfig(BaseModel):
    """The channel-specific keys a plan channel may set under ``config`` (none by default). A channel
    declares its own subclass as ``config_schema``; the plan validator checks a plan against it and
    the values reach the channel as ``target.options``."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class KeyJoin:
    """How the key a plan keeps in ``secret_env`` joins the channel's address at send time:
    as a query parameter (``query="key"``: WeCom's ``?key=``, DingTalk's ``access_token``), as the
    last path segment (``path=True``: Feishu's hook id, Slack's webhook path), or, by default, not
    at all: it is handed to the channel as ``options["bearer_token"]`` (e-mail, webhook, plugins)."""

    query: str | None = None
    path: bool = False

    def join(self, address: str, key: str | None, options: dict[str, Any]) -> str:
        """``address`` with ``key`` put in (``options`` gets the bearer token, if that is where)."""
        if key is None:
            return address
        if self.query is not None:
            separator = "&" if "?" in address else "?"
            return f"{address}{separator}{self.query}={key}"
        if self.path:
            return f"{address.rstrip('/')}/{key}"
        options["bearer_token"] = key
        return address


BEARER = KeyJoin()


@dataclass(frozen=True)
class ChannelFacts:
    """What the rest of EventGuard needs to know about a channel kind, from its class attributes:

    - ``rate_limit``: messages a minute per robot/URL (``None``: unlimited); bursts beyond it are
      coalesced (``notify.coalesce``);
    - ``key_join``: a :class:`KeyJoin` (default: a bearer token);
    - ``im_handle``: the field of a person's ``im`` handles it mentions them with (``None``: it
      cannot mention people, so it is no way to reach one person);
    - ``pages_by_phone``: a paging gateway: reaches a person by their phone number, and is not
      posted to as a team's group channel;
    - ``config_schema``: a :class:`ChannelConfig` subclass for the plan channel's ``config``;
    - ``secret_markers``: texts that show a plan's ``target`` carries the key the plan must keep in
      ``secret_env`` (Slack's ``hooks.slack.com/services/``); the plan validator refuses such a
      target (``inline_secret``), as it refuses one with the channel's ``key_join`` query parameter.
    - ``per_recipient_limit``: SMS and voice gateways: at most this many messages to one phone
      number per hour by default (``None``: no limit); the plan channel's ``config`` may change it
      (``notify.recipient_limits``); ``medium`` (``sms``/``voice``) is what the limit counts.
    """

    kind: str
    rate_limit: int | None = None
    key_join: KeyJoin = BEARER
    im_handle: str | None = None
    pages_by_phone: bool = False
    config_schema: type[ChannelConfig] = ChannelConfig
    secret_markers: tuple[str, ...] = ()
    per_recipient_limit: int | None = None
    medium: str | None = None


def facts_of(channel_class: type[Any]) -> ChannelFacts:
    """The :class:`ChannelFacts` a channel class declares, defaults for what it leaves out."""
    defaults = ChannelFacts(kind=channel_class.kind)
    return ChannelFacts(
        kind=channel_class.kind,
        rate_limit=getattr(channel_class, "rate_limit", defaults.rate_limit),
        key_join=getattr(channel_class, "key_join", defaults.key_join),
        im_handle=getattr(channel_class, "im_handle", defaults.im_handle),
        pages_by_phone=getattr(channel_class, "pages_by_phone", defaults.pages_by_phone),
        config_schema=getattr(channel_class, "config_schema", defaults.config_schema),
        secret_markers=tuple(getattr(channel_class, "secret_markers", defaults.secret_markers)),
        per_recipient_limit=getattr(channel_class, "per_recipient_limit", defaults.per_recipient_limit),
        medium=getattr(channel_class, "medium", defaults.medium),
    )


TEMPORARY_STATUSES = frozenset({408, 425, 429})


@dataclass
class HttpTransport:
    """POSTs once, with a timeout, never following redirects, and maps the outcome: 2xx is
    delivered; 408/425/429, 5xx and network errors (refused, reset, timed out) are temporary
    (with the receiver's ``Retry-After``); 3xx and other 4xx are permanent. Retries are the
    delivery worker's job, not the transport's."""

    client: httpx.Client
    clock: Clock
    timeout: float = 10.0

    def post_json(
        self, url: str, payload: Any, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """POST ``payload`` as compact UTF-8 JSON."""
        return self.post_bytes(url, json_bytes(payload), headers=headers)

    def post_bytes(
        self, url: str, body: bytes, *, headers: Mapping[str, str] | None = None, check: bool = True
    ) -> httpx.Response:
        """POST exactly ``body`` (signatures are computed over these bytes), as JSON by default.
        ``check=False`` hands any HTTP status back to the caller (gateways whose error bodies carry
        the code that tells a temporary error from a permanent one); network errors still raise."""
        sent_headers = {"Content-Type": "application/json; charset=utf-8", **dict(headers or {})}
        try:
            response = self.client.post(
                url, content=body, headers=sent_headers, timeout=self.timeout, follow_redirects=False
            )
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out after {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"connection failed: {exc}") from exc
        if check:
            self.raise_for_status(response)
        return response

    def raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        answer = f"HTTP {status}: {response.text[:200]}".rstrip(": ")
        if status in TEMPORARY_STATUSES or status >= 500:
            raise TransportError(answer, status_code=status, retry_after=self.retry_after(response))
        if 300 <= status < 400:
            where = response.headers.get("location", "?")
            answer = f"HTTP {status}: redirected to {where}; not followed, fix the address"
        raise TransportError(answer, permanent=True, status_code=status)

    def retry_after(self, response: httpx.Response) -> float | None:
        """Seconds from a ``Retry-After`` header (delay or HTTP date), if any."""
        value = response.headers.get("retry-after", "").strip()
        if not value:
            return None
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:  # "-0000": a UTC time without a known zone
            moment = moment.replace(tzinfo=UTC)
        return max((moment - self.clock.now()).total_seconds(), 0.0)


def json_bytes(payload: Any) -> bytes:
    """Compact UTF-8 JSON, Chinese kept readable (the bytes that are sent and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object a robot API answered with; anything else is a permanent error (the address
    points at something that is not the vendor's API)."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TransportError(
            f"unexpected answer (not a JSON object): {response.text[:200]}",
            permanent=True,
            status_code=response.status_code,
        )
    return answer


def robot_outcome(
    response: httpx.Response,
    code: object,
    message: object,
    *,
    temporary: Mapping[int, float | None],
) -> DeliveryReceipt:
    """The outcome of an IM robot API that answers HTTP 200 with an error code in the body:
    0 is delivered; codes in ``temporary`` (code -> Retry-After seconds or None) are retried;
    every other code means the robot's configuration must be fixed (permanent)."""
    if code == 0:
        return DeliveryReceipt(status_code=response.status_code, detail=str(message or "ok"))
    if not isinstance(code, int):
        raise TransportError(
            f"unexpected answer: {response.text[:200]}", permanent=True, status_code=response.status_code
        )
    if code in temporary:
        raise TransportError(
            f"error {code}: {message}", status_code=response.status_code, retry_after=temporary[code]
        )
    raise TransportError(f"error {code}: {message}", permanent=True, status_code=response.status_code)
