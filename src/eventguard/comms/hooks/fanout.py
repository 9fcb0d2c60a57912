"""Telling subscribers and announcement webhooks about a published update, as Delivery rows that the
notification worker sends.

Never twice: an update is fanned out once (``fanned_out_at`` is set in the same transaction as the
rows), and every row's idempotency key is derived from the update and the receiver
(``sub_u{update}_s{subscriber}``, ``ann_u{update}_h{webhook}``; ``m`` for maintenance updates),
which the deliveries table keeps unique. Rate-limited: rows are paced at ``SEND_RATE`` per second
(announcement webhooks first, then subscribers in the order they subscribed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.comms.hooks import webhooks
from eventguard.comms.models import AnnouncementWebhook, Subscriber, SubscriberKind
from eventguard.comms.statuspage import labels, render, view
from eventguard.comms.subscribers import service as subscribers
from eventguard.comms.updates import drafts, maintenance
from eventguard.config import Settings
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import LANGUAGES, t
from eventguard.notify import deliveries
from eventguard.notify.channels.base import Notification

SEND_RATE = 20  # deliveries per second of one fan-out


@dataclass(frozen=True)
class Announcement:
    """What is told, in both languages, and to whom it matters."""

    key: str  # "u12" or "m3": the update part of every idempotency key
    topic: str
    status: str
    status_label: dict[str, str]
    title: dict[str, str]
    body: dict[str, str]
    components: Sequence[str]
    data: dict[str, dict[str, Any]]  # language -> the Statuspage-like facts webhooks get


def update_published(*, db: Session, update_id: int, settings: Settings, clock: Clock) -> int:
    """Queue the deliveries of a published incident update; returns how many (0 when done before)."""
    update = drafts.get(db=db, update_id=update_id, for_update=True)
    if update.fanned_out_at is not None or update.is_drill or update.published_at is None:
        return 0
    event = events.get(db=db, event_id=update.event_id)
    page = view.load(db=db, event=event, clock=clock)
    shown = next((i for i in (*page.incidents, *page.history) if i.id == f"i-{update.incident_id}"), None)
    zone = ZoneInfo(page.timezone)
    data: dict[str, dict[str, Any]] = {lang: {"page": _page(page, lang)} for lang in LANGUAGES}
    for lang in LANGUAGES:
        if shown is not None:
            data[lang]["incident"] = render.incident_json(shown, page, lang, zone, settings.base_url)
    announcement = Announcement(
        key=f"u{update.id}",
        topic="status.incident_update",
        status=update.status.value,
        status_label={lang: labels.incident_label(update.status.value, lang) for lang in LANGUAGES},
        title=dict(update.title),
        body=dict(update.body),
        components=list(update.components),
        data=data,
    )
    count = _fan_out(db, event, announcement, settings, clock)
    update.fanned_out_at = clock.now()
    return count


def maintenance_updated(*, db: Session, maintenance_update_id: int, settings: Settings, clock: Clock) -> int:
    """Queue the deliveries of a maintenance update; returns how many (0 when done before)."""
    row = maintenance.get_update(db=db, update_id=maintenance_update_id)
    if row.fanned_out_at is not None or not row.notify:
        return 0
    window = maintenance.get(db=db, maintenance_id=row.maintenance_id)
    event = events.get(db=db, event_id=window.event_id)
    page = view.load(db=db, event=event, clock=clock)
    announcement = Announcement(
        key=f"m{row.id}",
        topic="status.maintenance_update",
        status=row.status.value,
        status_label={lang: labels.maintenance_label(row.status.value, lang) for lang in LANGUAGES},
        title=dict(window.title),
        body=dict(row.body),
        components=list(window.components),
        data={
            lang: {
                "page": _page(page, lang),
                "maintenance": {
                    "id": f"m-{window.id}",
                    "name": window.title[lang],
                    "status": row.status.value,
                    "scheduled_for": window.scheduled_for.isoformat(),
                    "scheduled_until": window.scheduled_until.isoformat(),
                    "components": list(window.components),
                },
            }
            for lang in LANGUAGES
        },
    )
    count = _fan_out(db, event, announcement, settings, clock)
    row.fanned_out_at = clock.now()
    return count


def _page(page: view.PageView, lang: str) -> dict[str, Any]:
    return {
        "id": page.slug,
        "status_indicator": page.indicator,
        "status_description": t(page.indicator_text, lang),
    }


def _fan_out(db: Session, event: Event, announcement: Announcement, settings: Settings, clock: Clock) -> int:
    receivers: list[AnnouncementWebhook | Subscriber] = [
        *webhooks.active_for(db=db, event_id=event.id),
        *subscribers.active_for(db=db, event_id=event.id, components=announcement.components),
    ]
    start = clock.now()
    for index, receiver in enumerate(receivers):
        when = start + timedelta(seconds=index // SEND_RATE)
        if isinstance(receiver, AnnouncementWebhook):
            _to_webhook(db, event, receiver, announcement, settings, clock, when)
        else:
            _to_subscriber(db, event, receiver, announcement, settings, clock, when)
    return len(receivers)


def _to_webhook(
    db: Session,
    event: Event,
    hook: AnnouncementWebhook,
    announcement: Announcement,
    settings: Settings,
    clock: Clock,
    when: datetime,
) -> None:
    lang = settings.default_language
    # The channel adds its own "title" and "text" (in one language); both languages are here.
    data = {
        "event": event.slug,
        "url": f"{settings.base_url}/status/{event.slug}",
        "announcement": {
            "status": announcement.status,
            "status_label": announcement.status_label,
            "title": announcement.title,
            "body": announcement.body,
        },
        **announcement.data[lang],
    }
    notification = Notification(
        idempotency_key=f"ann_{announcement.key}_h{hook.id}",
        topic=announcement.topic,
        title=announcement.title[lang],
        text=announcement.body[lang],
        markdown=announcement.body[lang],
        language=lang,
        data=data,
        occurred_at=clock.now(),
    )
    deliveries.enqueue(
        db=db,
        channel_kind="webhook",
        address=hook.url,
        notification=notification,
        purpose="announcement",
        clock=clock,
        event_id=event.id,
        recipient=f"announcement_webhook:{hook.id}",
        secret=hook.secret,
        available_at=when,
    )


def _to_subscriber(
    db: Session,
    event: Event,
    subscriber: Subscriber,
    announcement: Announcement,
    settings: Settings,
    clock: Clock,
    when: datetime,
) -> None:
    lang = subscriber.language
    leave = subscribers.link(settings, event.slug, subscriber, "unsubscribe", clock)
    page_url = f"{settings.base_url}/status/{event.slug}"
    title = f"{announcement.title[lang]} — {announcement.status_label[lang]}"
    text = "\n\n".join(
        [
            announcement.body[lang],
            t("Status page: {url}", lang, url=page_url),
            t("Unsubscribe with one click: {url}", lang, url=leave),
        ]
    )
    webhook = subscriber.kind is SubscriberKind.webhook
    data = {
        "meta": {"unsubscribe": leave, "documentation": page_url, "generated_at": clock.now().isoformat()}
    }
    notification = Notification(
        idempotency_key=f"sub_{announcement.key}_s{subscriber.id}",
        topic=announcement.topic,
        title=title,
        text=text,
        markdown=text,
        language=lang,
        data={**data, **announcement.data[lang]} if webhook else {"unsubscribe": leave},
        occurred_at=clock.now(),
    )
    headers = {"List-Unsubscribe": f"<{leave}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    deliveries.enqueue(
        db=db,
        channel_kind=subscriber.kind.value,
        address=subscriber.address,
        notification=notification,
        purpose="subscriber",
        clock=clock,
        event_id=event.id,
        recipient=f"subscriber:{subscriber.id}",
        secret=subscriber.secret if webhook else None,
        options={} if webhook else {"headers": headers},
        available_at=when,
    )
