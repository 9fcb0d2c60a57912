"""Content watch API: the push of participant messages (a ``watch`` integration token, batches of
up to 1,000), the moderation queue and its decisions (the moderator role: commander and up), marked
senders, and the list of hidden messages the chat platform takes down."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.accept import bearer_token
from eventguard.alerts.models import Integration
from eventguard.auth.deps import Principal, require_role
from eventguard.bodylimit import body_limit
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import Forbidden
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.inputs import Count, Id
from eventguard.openapi import errors
from eventguard.watch import service
from eventguard.watch.format import KIND
from eventguard.watch.models import PENDING, WatchMessage
from eventguard.watch.schemas import (
    BatchAnswer,
    DecisionIn,
    HiddenRead,
    MessageBatch,
    QueuedRead,
    SenderIn,
    SenderRead,
)

router = APIRouter(tags=["content watch"])
Moderator = Annotated[Principal, Depends(require_role(service.MODERATOR))]
MAX_PUSH_BODY = 8 * 1024 * 1024


def watch_integration(request: Request, db: Session) -> Integration:
    integration = integrations.authenticate(db=db, token=bearer_token(request.headers))
    if integration.kind != KIND:
        raise Forbidden(
            Message("This token belongs to a {kind} integration.", {"kind": integration.kind}),
            code="wrong_integration_kind",
            details={"integration_kind": integration.kind, "endpoint": KIND},
        )
    return integration


@router.post("/api/v1/watch/messages", responses=errors(401, 403, 404, 422))
@body_limit(MAX_PUSH_BODY)
def push_messages(batch: MessageBatch, request: Request, db: DbSession, clock: ClockDep) -> BatchAnswer:
    """Participant messages (chat, comments, Q&A) of the token's event, matched against the plan's
    word lists and counted for floods as they arrive; what is found is queued for moderation."""
    integration = watch_integration(request, db)
    event = events.get(db=db, event_id=integration.event_id)
    messages = [
        service.MessageIn(
            sender=m.sender, text=m.text, channel=m.channel, external_id=m.id, sent_at=m.sent_at
        )
        for m in batch.messages
    ]
    report = service.ingest(db=db, event=event, messages=messages, clock=clock)
    db.commit()
    if report.alerts:
        wake = getattr(request.app.state, "journal_wake", None)
        if wake is not None:
            wake.set()
    return BatchAnswer(
        accepted=report.accepted, queued=report.queued, word_hits=report.word_hits, flooded=report.flooded
    )


@router.get("/api/v1/watch/hidden", responses=errors(401, 403))
def hidden(request: Request, db: DbSession, after: Count = 0) -> list[HiddenRead]:
    """Messages moderators hid, by id after ``after`` (the platform polls this to take them down)."""
    integration = watch_integration(request, db)
    rows = service.hidden_since(db=db, event_id=integration.event_id, after_id=after)
    return [
        HiddenRead(id=r.id, external_id=r.external_id, sender=r.sender, reviewed_at=r.reviewed_at)
        for r in rows
    ]


def queued_read(message: WatchMessage, marked: set[str]) -> QueuedRead:
    return QueuedRead(
        id=message.id,
        external_id=message.external_id,
        channel=message.channel,
        sender=message.sender,
        text=message.text,
        sent_at=message.sent_at,
        received_at=message.received_at,
        words=[w for w in message.words.split("\n") if w],
        reasons=[r for r in message.reasons.split(",") if r],
        review=message.review or "",
        reviewed_by=message.reviewed_by,
        sender_marked=message.sender in marked,
    )


@router.get("/api/v1/events/{slug}/watch/queue", responses=errors(404))
def moderation_queue(
    slug: str,
    _moderator: Moderator,
    db: DbSession,
    review: Annotated[str, Query(pattern="^(pending|approved|hidden)$")] = PENDING,
) -> list[QueuedRead]:
    """The moderation queue (newest first, at most 200): pending, approved or hidden messages."""
    event = events.get_by_slug(db=db, slug=slug)
    marked = {s.sender for s in service.marked_senders(db=db, event=event)}
    return [queued_read(m, marked) for m in service.queue(db=db, event=event, review=review)]


@router.post("/api/v1/events/{slug}/watch/messages/{message_id}/review", responses=errors(404))
def review_message(
    slug: str, message_id: Id, body: DecisionIn, principal: Moderator, db: DbSession, clock: ClockDep
) -> QueuedRead:
    """Approve or hide a queued message; audited."""
    event = events.get_by_slug(db=db, slug=slug)
    message = service.decide(
        db=db, event=event, message_id=message_id, decision=body.decision, actor=principal.actor, clock=clock
    )
    db.commit()
    marked = {s.sender for s in service.marked_senders(db=db, event=event)}
    return queued_read(message, marked)


@router.get("/api/v1/events/{slug}/watch/senders", responses=errors(404))
def list_senders(slug: str, _moderator: Moderator, db: DbSession) -> list[SenderRead]:
    """Marked senders, newest first."""
    event = events.get_by_slug(db=db, slug=slug)
    return [
        SenderRead(sender=s.sender, marked_by=s.marked_by, marked_at=s.marked_at, note=s.note)
        for s in service.marked_senders(db=db, event=event)
    ]


@router.post("/api/v1/events/{slug}/watch/senders", responses=errors(404))
def mark_sender(
    slug: str, body: SenderIn, principal: Moderator, db: DbSession, clock: ClockDep
) -> SenderRead:
    """Mark a sender: every next message of theirs is queued; audited."""
    event = events.get_by_slug(db=db, slug=slug)
    found = service.mark_sender(
        db=db, event=event, sender=body.sender, note=body.note, actor=principal.actor, clock=clock
    )
    db.commit()
    return SenderRead(
        sender=found.sender, marked_by=found.marked_by, marked_at=found.marked_at, note=found.note
    )


@router.delete("/api/v1/events/{slug}/watch/senders/{sender}", status_code=204, responses=errors(404))
def unmark_sender(slug: str, sender: str, principal: Moderator, db: DbSession, clock: ClockDep) -> None:
    """Take a sender's mark away; audited."""
    event = events.get_by_slug(db=db, slug=slug)
    service.unmark_sender(db=db, event=event, sender=sender, actor=principal.actor, clock=clock)
    db.commit()
