"""What every channel shares: the rendered notification, the target it goes to, the error type and
the HTTP transport that owns timeouts and status-code handling once for all HTTP channels.

A channel only builds its vendor's payload (and signature) and reads its vendor's answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import httpx

from eventguard.clock import Clock


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
    options: Mapping[str, Any] = field(default_factory=dict)  # keywords, msg format, SMTP settings …


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the receiving end answered to a successful send."""

    status_code: int | None = None
    detail: str = ""


class TransportError(Exception):
    """A send that failed. ``permanent`` ones (bad token, 4xx that will never succeed) stop retries
    and are shown on the channel; temporary ones are retried with backoff."""

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


class Channel(Protocol):
    """A delivery channel. ``kind`` names it in plans and in the registry."""

    kind: ClassVar[str]

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt: ...


@dataclass
class HttpTransport:
    """POSTs JSON once, with a timeout, and maps the outcome: 2xx is delivered; 429 and 5xx and
    network errors are temporary; other 4xx are permanent (unless a channel decides otherwise)."""

    client: httpx.Client
    clock: Clock
    timeout: float = 10.0

    def post_json(
        self,
        url: str,
        payload: Any,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        try:
            response = self.client.post(
                url,
                json=None if content is not None else payload,
                content=content,
                headers=dict(headers or {}),
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out after {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"connection failed: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransportError(
                f"HTTP {response.status_code}: {response.text[:200]}",
                status_code=response.status_code,
                retry_after=_retry_after(response),
            )
        if not 200 <= response.status_code < 300:
            raise TransportError(
                f"HTTP {response.status_code}: {response.text[:200]}",
                permanent=True,
                status_code=response.status_code,
            )
        return response


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None
