"""Acknowledgement links: signed, expiring URLs put in every notification, so a responder can
acknowledge from their phone without signing in. The link opens a confirmation page (link
previews and mail scanners only GET), and the POST from that page acknowledges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.errors import Forbidden
from eventguard.i18n import Message

ACK_LINK_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class AckClaim:
    incident_id: int
    person_id: str | None


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="eventguard-ack")


def ack_token(settings: Settings, incident_id: int, person_id: str | None, issued_at: datetime) -> str:
    """A signed token naming the incident and the person; it carries its issue time (our clock's)."""
    return _serializer(settings).dumps({"i": incident_id, "p": person_id, "t": int(issued_at.timestamp())})


def ack_url(settings: Settings, incident_id: int, person_id: str | None, issued_at: datetime) -> str:
    return f"{settings.base_url}/ack/{ack_token(settings, incident_id, person_id, issued_at)}"


def incident_url(settings: Settings, incident_id: int) -> str:
    return f"{settings.base_url}/incidents/{incident_id}"


def read_ack_token(settings: Settings, token: str, clock: Clock) -> AckClaim:
    """The claim in a valid, unexpired token; Forbidden otherwise."""
    try:
        data = _serializer(settings).loads(token)
    except BadSignature as exc:
        raise Forbidden(Message("This acknowledgement link is not valid."), code="ack_link_invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("t"), int):
        raise Forbidden(Message("This acknowledgement link is not valid."), code="ack_link_invalid")
    if clock.now() - datetime.fromtimestamp(data["t"], UTC) > ACK_LINK_LIFETIME:
        raise Forbidden(Message("This acknowledgement link has expired."), code="ack_link_expired")
    person = data.get("p")
    return AckClaim(incident_id=data["i"], person_id=person if isinstance(person, str) else None)
