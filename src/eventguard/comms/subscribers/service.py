"""Participants who subscribe to an event's updates.

E-mail: double opt-in. Subscribing queues a confirmation e-mail with a signed link (itsdangerous,
``settings.secret_key``, valid 7 days); only confirmed addresses get updates. Every e-mail carries a
signed one-click unsubscribe link (RFC 8058 ``List-Unsubscribe`` + ``List-Unsubscribe-Post``) that
never expires. A confirmation is sent at most once per 10 minutes and 5 times per address, and the
answer never tells whether an address was subscribed already.

Webhook: confirmed at once; the answer shows the ``whsec_`` secret once, and every delivery is
signed with it (Standard Webhooks). Either kind may follow only some components."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.comms.models import Subscriber, SubscriberKind
from eventguard.config import Settings
from eventguard.errors import Conflict, Forbidden, InvalidInput, NotFound
from eventguard.events.models import Event
from eventguard.i18n import Message, normalize_language, t
from eventguard.notify import deliveries
from eventguard.notify.channels.base import Notification
from eventguard.plans.schemas import PlanSpec

CONFIRM_LIFETIME = timedelta(days=7)
RESEND_AFTER = timedelta(minutes=10)
MAX_CONFIRMATIONS = 5
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class _ClockSigner(TimestampSigner):
    """Signs and checks ages with the injected clock, so expiry is testable."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


def _serializer(settings: Settings, clock: Clock) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        settings.secret_key.get_secret_value(),
        salt="eventguard-subscription",
        signer=_ClockSigner,
        signer_kwargs={"clock": clock},
    )


def token(settings: Settings, subscriber: Subscriber, action: str, clock: Clock) -> str:
    """A signed token naming the subscriber and the action (``confirm`` or ``unsubscribe``)."""
    return str(_serializer(settings, clock).dumps({"s": subscriber.id, "a": action}))


def link(settings: Settings, slug: str, subscriber: Subscriber, action: str, clock: Clock) -> str:
    """The public URL that confirms or unsubscribes (its page in the subscriber's language)."""
    value = token(settings, subscriber, action, clock)
    return f"{settings.base_url}/status/{slug}/{action}/{value}?lang={subscriber.language}"


def read_token(settings: Settings, value: str, action: str, clock: Clock) -> int:
    """The subscriber id in a valid token for ``action``; 403 when it is forged, of another action
    or (for confirmations) older than CONFIRM_LIFETIME."""
    max_age = int(CONFIRM_LIFETIME.total_seconds()) if action == "confirm" else None
    try:
        data = _serializer(settings, clock).loads(value, max_age=max_age)
    except SignatureExpired as exc:
        raise Forbidden(
            Message("This confirmation link has expired; subscribe again."), code="subscription_link_expired"
        ) from exc
    except BadSignature as exc:
        raise Forbidden(Message("This link is not valid."), code="subscription_link_invalid") from exc
    if not isinstance(data, dict) or data.get("a") != action or not isinstance(data.get("s"), int):
        raise Forbidden(Message("This link is not valid."), code="subscription_link_invalid")
    return int(data["s"])


def _check_components(spec: PlanSpec, components: Sequence[str]) -> list[str]:
    unknown = sorted(set(components) - {f.id for f in spec.core_functions})
    if unknown:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": ", ".join(unknown)}),
            code="unknown_core_function",
        )
    return list(dict.fromkeys(components))


def _find(db: Session, event_id: int, kind: SubscriberKind, address: str) -> Subscriber | None:
    query = select(Subscriber).where(
        Subscriber.event_id == event_id, Subscriber.kind == kind, Subscriber.address == address
    )
    return db.scalar(query.with_for_update())


def normalize_email(address: str) -> str:
    """The address as stored (domain in lower case); 422 when it is not an e-mail address."""
    value = address.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput(Message("This is not a valid e-mail address."), code="invalid_email")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def subscribe_email(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    address: str,
    components: Sequence[str],
    language: str,
    settings: Settings,
    clock: Clock,
) -> Subscriber:
    """Start (or restart) a subscription and queue its confirmation e-mail. A confirmed address is
    left as it is, so that nobody can change another person's subscription."""
    email = normalize_email(address)
    chosen = _check_components(spec, components)
    subscriber = _find(db, event.id, SubscriberKind.email, email)
    if subscriber is None:
        subscriber = _insert(
            db,
            Subscriber(
                event_id=event.id,
                kind=SubscriberKind.email,
                address=email,
                components=chosen,
                language=normalize_language(language),
                created_at=clock.now(),
            ),
        )
    if subscriber.is_active:
        return subscriber
    if subscriber.unsubscribed_at is not None:  # only the owner could cancel: let them start over
        subscriber.confirmations_sent, subscriber.confirmation_sent_at = 0, None
    subscriber.components, subscriber.language = chosen, normalize_language(language)
    subscriber.unsubscribed_at = subscriber.confirmed_at = None
    _send_confirmation(db, subscriber, event, spec, settings, clock)
    return subscriber


def _insert(db: Session, subscriber: Subscriber) -> Subscriber:
    try:
        with db.begin_nested():  # the same address twice at once: the second one uses the first row
            db.add(subscriber)
    except IntegrityError:
        found = _find(db, subscriber.event_id, subscriber.kind, subscriber.address)
        assert found is not None
        return found
    return subscriber


def _send_confirmation(
    db: Session, subscriber: Subscriber, event: Event, spec: PlanSpec, settings: Settings, clock: Clock
) -> None:
    now = clock.now()
    recent = (
        subscriber.confirmation_sent_at is not None and now - subscriber.confirmation_sent_at < RESEND_AFTER
    )
    if recent or subscriber.confirmations_sent >= MAX_CONFIRMATIONS:
        return
    subscriber.confirmations_sent += 1
    subscriber.confirmation_sent_at = now
    lang = subscriber.language
    name = spec.event.name.get(lang)
    url = link(settings, event.slug, subscriber, "confirm", clock)
    title = t("Confirm your subscription to {event} status updates", lang, event=name)
    text = t(
        "Someone (we hope you) asked to get status updates of {event} at this address.\n"
        "Confirm within 7 days: {url}\n"
        "If it was not you, ignore this e-mail; you will get nothing more.",
        lang,
        event=name,
        url=url,
    )
    deliveries.enqueue(
        db=db,
        channel_kind="email",
        address=subscriber.address,
        notification=Notification(
            idempotency_key=f"subconf_{subscriber.id}_{subscriber.confirmations_sent}",
            topic="subscription.confirm",
            title=title,
            text=text,
            markdown=text,
            language=lang,
            data={"event": event.slug, "confirm_url": url},
            occurred_at=now,
        ),
        purpose="subscriber",
        clock=clock,
        event_id=event.id,
        recipient=f"subscriber:{subscriber.id}",
    )


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def subscribe_webhook(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    url: str,
    components: Sequence[str],
    language: str,
    clock: Clock,
) -> Subscriber:
    """Subscribe a webhook URL (confirmed at once); its secret is in the returned row, shown once."""
    address = url.strip()
    if len(address) > 2048 or not _URL.match(address):
        raise InvalidInput(
            Message("The webhook URL must start with http:// or https://."), code="invalid_url"
        )
    chosen = _check_components(spec, components)
    subscriber = _find(db, event.id, SubscriberKind.webhook, address)
    if subscriber is not None and subscriber.unsubscribed_at is None:
        raise Conflict(
            Message("This webhook is subscribed already; unsubscribe it first."), code="already_subscribed"
        )
    if subscriber is None:
        subscriber = Subscriber(
            event_id=event.id, kind=SubscriberKind.webhook, address=address, created_at=clock.now()
        )
        db.add(subscriber)
    subscriber.components, subscriber.language = chosen, normalize_language(language)
    subscriber.secret, subscriber.confirmed_at, subscriber.unsubscribed_at = new_secret(), clock.now(), None
    db.flush()
    return subscriber


def _for_event(db: Session, event: Event, subscriber_id: int) -> Subscriber:
    subscriber = db.get(Subscriber, subscriber_id, with_for_update=True)
    if subscriber is None or subscriber.event_id != event.id:
        raise NotFound(Message("No such subscription."), code="subscription_not_found")
    return subscriber


def confirm(*, db: Session, event: Event, value: str, settings: Settings, clock: Clock) -> Subscriber:
    """Confirm an e-mail subscription with the token of its confirmation link (twice is harmless)."""
    subscriber = _for_event(db, event, read_token(settings, value, "confirm", clock))
    if subscriber.unsubscribed_at is not None:
        raise Conflict(
            Message("This subscription was cancelled; subscribe again."), code="subscription_cancelled"
        )
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = clock.now()
    return subscriber


def unsubscribe(*, db: Session, event: Event, value: str, settings: Settings, clock: Clock) -> Subscriber:
    """Cancel a subscription with the token of its unsubscribe link (twice is harmless)."""
    subscriber = _for_event(db, event, read_token(settings, value, "unsubscribe", clock))
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = clock.now()
    return subscriber


def active_for(*, db: Session, event_id: int, components: Sequence[str]) -> list[Subscriber]:
    """Confirmed, not cancelled subscribers who follow any of ``components`` (or everything)."""
    query = (
        select(Subscriber)
        .where(
            Subscriber.event_id == event_id,
            Subscriber.confirmed_at.is_not(None),
            Subscriber.unsubscribed_at.is_(None),
        )
        .order_by(Subscriber.id)
    )
    wanted = set(components)
    return [s for s in db.scalars(query) if not s.components or not wanted or wanted & set(s.components)]


def list_for_event(*, db: Session, event_id: int) -> Sequence[Subscriber]:
    """Every subscriber of the event, oldest first."""
    return db.scalars(select(Subscriber).where(Subscriber.event_id == event_id).order_by(Subscriber.id)).all()


def counts(*, db: Session, event_id: int) -> dict[str, Any]:
    """How many subscribers of each kind are active, waiting for confirmation, or gone."""
    rows = db.scalars(select(Subscriber).where(Subscriber.event_id == event_id)).all()
    result: dict[str, Any] = {}
    for kind in SubscriberKind:
        mine = [s for s in rows if s.kind is kind]
        result[kind.value] = {
            "active": sum(1 for s in mine if s.is_active),
            "pending": sum(1 for s in mine if s.confirmed_at is None and s.unsubscribed_at is None),
            "unsubscribed": sum(1 for s in mine if s.unsubscribed_at is not None),
        }
    return result
