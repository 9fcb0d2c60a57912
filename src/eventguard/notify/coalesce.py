"""Per-channel rate limits (the Chinese robots take about 20 messages a minute) with coalescing:
when a burst would exceed the limit, the waiting messages for one channel are merged into one,
never dropped; when the limit is reached, the channel's messages wait for the window to free."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from eventguard.i18n import t
from eventguard.notify.channels import facts_for
from eventguard.notify.channels.base import Notification
from eventguard.notify.channels.render import drill_banner
from eventguard.notify.deliveries import deserialise, serialise
from eventguard.notify.models import Delivery, DeliveryAttempt, DeliveryStatus

WINDOW = timedelta(seconds=60)
# Messages per WINDOW per robot or webhook URL: each channel class declares its ``rate_limit``
# (PROTOCOLS.md: WeCom and DingTalk 20/min, Feishu 100/min, Slack about 1/s).
MAX_MERGED = 50
# A merged message lists one line per notification; WeCom takes 4096 bytes of markdown (CJK: 3 bytes).
MERGED_BUDGET = 1300


def _same_channel(delivery: Delivery) -> ColumnElement[bool]:
    # One robot = kind + endpoint + the key it is posted with (plan channels share endpoints).
    key = (
        Delivery.secret_env.is_(None)
        if delivery.secret_env is None
        else Delivery.secret_env == delivery.secret_env
    )
    return and_(Delivery.channel_kind == delivery.channel_kind, Delivery.address == delivery.address, key)


def admit(db: Session, delivery: Delivery, now: datetime) -> bool:
    """True if ``delivery`` may be sent now (possibly carrying merged siblings); False if it was
    postponed until its channel's window frees."""
    limit = facts_for(delivery.channel_kind).rate_limit
    if limit is None:
        return True
    window = (
        select(DeliveryAttempt.started_at)
        .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
        .where(_same_channel(delivery), DeliveryAttempt.started_at > now - WINDOW)
    )
    sent = db.scalar(select(func.count()).select_from(window.subquery())) or 0
    if sent >= limit:
        oldest = db.scalar(select(func.min(window.subquery().c.started_at))) or now
        db.execute(
            update(Delivery)
            .where(
                _same_channel(delivery),
                Delivery.status == DeliveryStatus.pending,
                Delivery.available_at < oldest + WINDOW,
            )
            .values(available_at=oldest + WINDOW)
        )
        return False
    backlog = db.scalars(
        select(Delivery)
        .where(
            _same_channel(delivery),
            Delivery.status == DeliveryStatus.pending,
            Delivery.available_at <= now,
            Delivery.id != delivery.id,
        )
        .order_by(Delivery.id)
        .limit(MAX_MERGED)
        .with_for_update(skip_locked=True)
    ).all()
    if backlog and sent + 1 + len(backlog) > limit:
        merge(delivery, _fitting(delivery, list(backlog)))
    return True


def _fitting(carrier: Delivery, backlog: list[Delivery]) -> list[Delivery]:
    """As many as fit one message of the smallest robot limit; the rest wait for the next one."""
    used = len(_line(deserialise(carrier.notification)))
    chosen = []
    for other in backlog:
        used += len(_line(deserialise(other.notification))) + 1
        if used > MERGED_BUDGET:
            break
        chosen.append(other)
    return chosen


def _line(note: Notification) -> str:
    """One notification's line in a merged message; a drill's keeps its 【演练】/[DRILL] mark (the
    merged message is marked as a drill only when every line is one)."""
    summary = note.data.get("summary")
    link = f" {note.incident_url}" if note.incident_url else ""
    mark = f"{drill_banner(note.language)} " if note.is_drill else ""
    return f"- {mark}{note.title}" + (f" — {summary}" if summary and summary not in note.title else "") + link


def merge(carrier: Delivery, others: list[Delivery]) -> None:
    """Fold ``others`` into ``carrier``: one message listing them all; they are marked superseded
    and share the carrier's outcome (see ``outcomes``)."""
    notes = [deserialise(carrier.notification), *(deserialise(d.notification) for d in others)]
    first = notes[0]
    language = first.language
    title = t("{count} notifications", language, count=len(notes))
    lines = [_line(note) for note in notes]
    mentions = list(dict.fromkeys(m for note in notes for m in note.mentions))
    merged = dataclasses.replace(
        first,
        title=title,
        markdown="\n".join(lines),
        text="\n".join(lines),
        mentions=mentions,
        level=min((n.level for n in notes if n.level is not None), default=None),
        is_drill=all(note.is_drill for note in notes),
        incident_url=None if len(notes) > 1 else first.incident_url,
        ack_url=None if len(notes) > 1 else first.ack_url,
    )
    carrier.notification = serialise(merged)
    carrier.options = {**(carrier.options or {}), "coalesced": [d.id for d in others]}
    deadlines = [d.deadline for d in [carrier, *others] if d.deadline is not None]
    carrier.deadline = min(deadlines) if deadlines else None
    for other in others:
        other.status = DeliveryStatus.superseded
        other.last_error = f"merged into delivery {carrier.id}"
