"""Content watch rules: a pushed batch of participant messages is matched against the plan's word
lists and counted for floods (per sender and overall, in ``content_watch.window``); what is found
goes to the moderation queue, and above the plan's thresholds the watch's alert fires through the
intake journal (and resolves when the window is quiet again). Messages are deleted after
``content_watch.retention``. Keyword-only functions taking the session; they never commit.

Who may read messages: the moderator role, which is the ``commander`` tier and above
(``MODERATOR``); alerts carry counts and matched words, never a message's text or its sender."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from eventguard.alerts.journal.internal import append_alerts
from eventguard.audit.service import Actor
from eventguard.audit.service import record as audit_record
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.plans import service as plans
from eventguard.plans.schemas import ContentWatch, WatchAlert
from eventguard.watch.format import KIND
from eventguard.watch.matcher import matcher_for
from eventguard.watch.models import APPROVED, HIDDEN, PENDING, WatchMessage, WatchSender, WatchSignal

MODERATOR = Role.commander  # the moderator role: commanders and admins (docs/probes.md#moderation)
WORD, SENDER_FLOOD, DUPLICATE, MARKED = "word", "sender_flood", "duplicate", "marked_sender"
CONTENT, FLOOD = "content", "flood"
_SPACE = re.compile(r"\s+")
Decision = Literal["approve", "hide"]


@dataclass(frozen=True)
class MessageIn:
    sender: str
    text: str
    channel: str = "chat"
    external_id: str | None = None
    sent_at: datetime | None = None


@dataclass
class IngestReport:
    accepted: int = 0
    queued: int = 0
    word_hits: int = 0
    flooded: int = 0
    alerts: list[tuple[str, str]] = field(default_factory=list)


def watch_of(spec: Any, event: Event) -> ContentWatch:
    watch: ContentWatch | None = spec.content_watch
    if watch is None:
        raise InvalidInput(
            Message("The plan of {event} has no content_watch section.", {"event": event.slug}),
            code="watch_not_configured",
        )
    return watch


def digest(text: str) -> str:
    """Of the text as a duplicate reads it: case and runs of white space do not matter."""
    normalized = _SPACE.sub(" ", text.casefold()).strip()
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=16).hexdigest()


def _window_counts(
    db: Session, event_id: int, since: datetime, senders: Sequence[str]
) -> tuple[Counter[str], Counter[tuple[str, str]], int]:
    """Messages in the window already stored: per sender, per (sender, digest), and overall."""
    per_sender: Counter[str] = Counter()
    per_text: Counter[tuple[str, str]] = Counter()
    if senders:
        query = (
            select(WatchMessage.sender, WatchMessage.digest, func.count())
            .where(
                WatchMessage.event_id == event_id,
                WatchMessage.received_at >= since,
                WatchMessage.sender.in_(sorted(set(senders))),
            )
            .group_by(WatchMessage.sender, WatchMessage.digest)
        )
        for sender, text_digest, count in db.execute(query):
            per_sender[sender] += count
            per_text[(sender, text_digest)] += count
    overall = db.scalar(
        select(func.count())
        .select_from(WatchMessage)
        .where(WatchMessage.event_id == event_id, WatchMessage.received_at >= since)
    )
    return per_sender, per_text, int(overall or 0)


def ingest(*, db: Session, event: Event, messages: Sequence[MessageIn], clock: Clock) -> IngestReport:
    """Store a batch, queue what it finds, fire or resolve the watch's alerts."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    watch = watch_of(spec, event)
    matcher = matcher_for(watch)
    now = clock.now()
    since = now - watch.window
    senders = [m.sender for m in messages]
    per_sender, per_text, _overall = _window_counts(db, event.id, since, senders)
    marked = set(
        db.scalars(
            select(WatchSender.sender).where(
                WatchSender.event_id == event.id, WatchSender.sender.in_(sorted(set(senders)))
            )
        )
    )
    rows, report = [], IngestReport(accepted=len(messages))
    for message in messages:
        text_digest = digest(message.text)
        per_sender[message.sender] += 1
        per_text[(message.sender, text_digest)] += 1
        words = matcher.find(message.text)
        reasons = []
        if words:
            reasons.append(WORD)
        total = per_sender[message.sender]
        if total > watch.sender_max_messages:
            reasons.append(SENDER_FLOOD)
        repeated = per_text[(message.sender, text_digest)]
        if repeated >= 2 and total >= watch.duplicate_min and repeated / total >= watch.duplicate_ratio:
            reasons.append(DUPLICATE)
        if message.sender in marked:
            reasons.append(MARKED)
        report.word_hits += bool(words)
        report.flooded += SENDER_FLOOD in reasons or DUPLICATE in reasons
        report.queued += bool(reasons)
        rows.append(
            {
                "event_id": event.id,
                "external_id": message.external_id,
                "channel": message.channel,
                "sender": message.sender,
                "text": message.text,
                "digest": text_digest,
                "sent_at": message.sent_at or now,
                "received_at": now,
                "words": "\n".join(words),
                "reasons": ",".join(reasons),
                "review": PENDING if reasons else None,
            }
        )
    if rows:
        db.execute(insert(WatchMessage), rows)
    report.alerts = evaluate(db=db, event=event, watch=watch, now=now)
    return report


# -- the watch's alerts


def _counts(db: Session, event_id: int, since: datetime, watch: ContentWatch) -> dict[str, int]:
    base = (
        select(func.count())
        .select_from(WatchMessage)
        .where(WatchMessage.event_id == event_id, WatchMessage.received_at >= since)
    )
    words = db.scalar(base.where(WatchMessage.words != "")) or 0
    flooded = (
        db.scalar(
            base.where(WatchMessage.reasons.contains(SENDER_FLOOD) | WatchMessage.reasons.contains(DUPLICATE))
        )
        or 0
    )
    overall = db.scalar(base) or 0
    excess = max(0, overall - watch.overall_max_messages)
    return {CONTENT: int(words), FLOOD: int(flooded) + int(excess)}


def _signal(db: Session, event_id: int, name: str, now: datetime) -> WatchSignal:
    found = db.scalar(select(WatchSignal).where(WatchSignal.event_id == event_id, WatchSignal.signal == name))
    if found is None:
        found = WatchSignal(event_id=event_id, signal=name, firing=False, changed_at=now, count=0)
        db.add(found)
    return found


def _alert(
    event_id: int, name: str, alert: WatchAlert, count: int, firing: bool, now: datetime
) -> dict[str, Any]:
    what = "Sensitive words in participant messages" if name == CONTENT else "Participant message flood"
    labels = {
        "alertname": "ContentWatch" if name == CONTENT else "MessageFlood",
        "watch": name,
        **alert.labels,
    }
    body: dict[str, Any] = {
        "title": f"{what}: {count} in the window" if firing else f"{what}: back below the threshold",
        "status": "firing" if firing else "resolved",
        "labels": labels,
        "annotations": {"count": str(count), "threshold": str(alert.threshold)},
        "fingerprint": f"watch:{event_id}:{name}",
    }
    body["starts_at" if firing else "ends_at"] = now.isoformat()
    return body


def evaluate(*, db: Session, event: Event, watch: ContentWatch, now: datetime) -> list[tuple[str, str]]:
    """Fire each configured alert whose count in the window reached its threshold, resolve those
    back below it; journals the alerts; returns (signal, "firing"/"resolved")."""
    configured = {CONTENT: watch.content_alert, FLOOD: watch.flood_alert}
    if not any(configured.values()):
        return []
    counts = _counts(db, event.id, now - watch.window, watch)
    changes, alerts = [], []
    for name, alert in configured.items():
        if alert is None:
            continue
        signal = _signal(db, event.id, name, now)
        firing = counts[name] >= alert.threshold
        if firing != signal.firing:
            signal.firing, signal.changed_at, signal.count = firing, now, counts[name]
            alerts.append(_alert(event.id, name, alert, counts[name], firing, now))
            changes.append((name, "firing" if firing else "resolved"))
    if alerts:
        append_alerts(db=db, event_id=event.id, kind=KIND, alerts=alerts, received_at=now)
    return changes


def sweep(*, db: Session, clock: Clock) -> tuple[list[tuple[str, str]], int]:
    """The worker's pass: resolve alerts whose window went quiet, delete messages past retention;
    (alert changes, messages deleted)."""
    now = clock.now()
    changes: list[tuple[str, str]] = []
    deleted = 0
    event_ids = set(db.scalars(select(WatchMessage.event_id).distinct()))
    event_ids |= set(db.scalars(select(WatchSignal.event_id).where(WatchSignal.firing.is_(True))))
    for event_id in sorted(event_ids):
        event = events.get(db=db, event_id=event_id)
        try:
            spec = plans.get_active_plan(db=db, event_id=event_id)
        except NotFound:
            continue
        watch = spec.content_watch
        if watch is None:
            continue
        changes += evaluate(db=db, event=event, watch=watch, now=now)
        result = db.execute(
            delete(WatchMessage).where(
                WatchMessage.event_id == event_id, WatchMessage.received_at < now - watch.retention
            )
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return changes, deleted


# -- moderation


def queue(*, db: Session, event: Event, review: str = PENDING, limit: int = 200) -> list[WatchMessage]:
    """Queued messages in ``review`` state (pending, approved, hidden), newest first."""
    query = (
        select(WatchMessage)
        .where(WatchMessage.event_id == event.id, WatchMessage.review == review)
        .order_by(WatchMessage.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def queue_counts(*, db: Session, event: Event) -> dict[str, int]:
    query = (
        select(WatchMessage.review, func.count())
        .where(WatchMessage.event_id == event.id, WatchMessage.review.is_not(None))
        .group_by(WatchMessage.review)
    )
    counts = {PENDING: 0, APPROVED: 0, HIDDEN: 0}
    counts.update({str(review): int(count) for review, count in db.execute(query)})
    return counts


def decide(
    *, db: Session, event: Event, message_id: int, decision: Decision, actor: Actor, clock: Clock
) -> WatchMessage:
    """Approve or hide a queued message; audited (without its text)."""
    message = db.get(WatchMessage, message_id)
    if message is None or message.event_id != event.id or message.review is None:
        raise NotFound(Message("No queued message {id}.", {"id": message_id}), code="message_not_found")
    before = message.review
    message.review = APPROVED if decision == "approve" else HIDDEN
    message.reviewed_by, message.reviewed_at = actor.name, clock.now()
    audit_record(
        db=db,
        actor=actor,
        action=f"watch.{decision}",
        target_type="watch_message",
        target_id=message.id,
        before={"review": before},
        after={"review": message.review},
        clock=clock,
    )
    return message


def mark_sender(
    *, db: Session, event: Event, sender: str, note: str, actor: Actor, clock: Clock
) -> WatchSender:
    """Mark a sender: their next messages are queued whatever they say; audited."""
    if not sender.strip():
        raise InvalidInput(Message("A sender is required."), code="sender_required")
    found = db.scalar(
        select(WatchSender).where(WatchSender.event_id == event.id, WatchSender.sender == sender)
    )
    if found is None:
        found = WatchSender(event_id=event.id, sender=sender, marked_by=actor.name, marked_at=clock.now())
        db.add(found)
    found.note = note[:500]
    db.flush()
    audit_record(
        db=db,
        actor=actor,
        action="watch.mark_sender",
        target_type="watch_sender",
        target_id=found.id,
        after={"sender": sender},
        clock=clock,
    )
    return found


def unmark_sender(*, db: Session, event: Event, sender: str, actor: Actor, clock: Clock) -> None:
    found = db.scalar(
        select(WatchSender).where(WatchSender.event_id == event.id, WatchSender.sender == sender)
    )
    if found is None:
        raise NotFound(
            Message("Sender {sender} is not marked.", {"sender": sender}), code="sender_not_marked"
        )
    audit_record(
        db=db,
        actor=actor,
        action="watch.unmark_sender",
        target_type="watch_sender",
        target_id=found.id,
        before={"sender": sender},
        clock=clock,
    )
    db.delete(found)


def marked_senders(*, db: Session, event: Event) -> list[WatchSender]:
    query = select(WatchSender).where(WatchSender.event_id == event.id).order_by(WatchSender.marked_at.desc())
    return list(db.scalars(query))


def hidden_since(*, db: Session, event_id: int, after_id: int, limit: int = 1000) -> list[WatchMessage]:
    """Messages moderators hid (for the chat platform to take down), by id after ``after_id``."""
    query = (
        select(WatchMessage)
        .where(WatchMessage.event_id == event_id, WatchMessage.review == HIDDEN, WatchMessage.id > after_id)
        .order_by(WatchMessage.id)
        .limit(limit)
    )
    return list(db.scalars(query))
