"""Acting on domain events: each outbox row is handed to every domain handler registered for its
topic, in one transaction with marking the row processed, so a crash re-runs the whole row and
never half of it (handlers must therefore be idempotent within their own writes).

A domain registers handlers by naming a module in its ``eventguard.domains`` entry (``handlers=``)
that defines ``HANDLERS: dict[str, Handler]`` (topic -> function); ``"*"`` matches every topic."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.domains import handler_modules
from eventguard.logs import get_logger
from eventguard.outbox.models import OutboxMessage
from eventguard.worker.context import WorkerContext

Handler = Callable[[Session, OutboxMessage, WorkerContext], None]
BATCH = 50
MAX_ATTEMPTS = 10
log = get_logger("eventguard.worker.dispatch")


@lru_cache(maxsize=1)
def handlers() -> dict[str, list[Handler]]:
    """topic -> handlers, from every domain module that exists in this build."""
    table: dict[str, list[Handler]] = {}
    for name in handler_modules():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for topic, handler in getattr(module, "HANDLERS", {}).items():
            table.setdefault(topic, []).append(handler)
    return table


def _handlers_for(topic: str) -> list[Handler]:
    table = handlers()
    return [*table.get(topic, []), *table.get("*", [])]


def dispatch_pending(*, database: Database, context: WorkerContext, limit: int = BATCH) -> int:
    """Process up to ``limit`` due outbox rows, one transaction each; returns how many were processed.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the
    queue; SQLite's single writer makes the claim exclusive by itself."""
    clock = context.clock
    done = 0
    for _ in range(limit):
        with database.session(write=True) as db:
            message = db.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.processed_at.is_(None), OutboxMessage.available_at <= clock.now())
                .order_by(OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if message is None:
                return done
            message_id = message.id
            try:
                for handler in _handlers_for(message.topic):
                    handler(db, message, context)
                message.processed_at = clock.now()
                message.attempts += 1
                db.commit()
            except Exception as exc:  # a failing handler must not block the queue behind it
                db.rollback()
                _postpone(database, message_id, clock, repr(exc))
        done += 1
    return done


def _postpone(database: Database, message_id: int, clock: Clock, error: str) -> None:
    """Back off a row whose handlers failed; after MAX_ATTEMPTS it is set aside (and logged)."""
    log.exception("outbox_handler_failed", outbox_id=message_id)
    with database.session(write=True) as db:
        message = db.get(OutboxMessage, message_id, with_for_update=True)
        if message is None:
            return
        message.attempts += 1
        message.last_error = error[:500]
        message.available_at = clock.now() + timedelta(seconds=min(2**message.attempts, 3600))
        if message.attempts >= MAX_ATTEMPTS:
            message.processed_at = clock.now()
            log.error("outbox_message_given_up", outbox_id=message_id, topic=message.topic)
        db.commit()
