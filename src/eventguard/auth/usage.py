"""A token's last-used stamp and a session's sliding expiry, written off the read path.

Authenticating a request only reads. Writing the stamp inside the request's transaction made every
read a writer once a minute per token: on SQLite a read transaction (deferred ``BEGIN``) that then
writes is refused at once with "database is locked" whenever another connection has written since
it began, which is always the case during an alert storm, so GETs answered 500. Instead a use that
is due (at most once per ``TOUCH_INTERVAL`` per token) is noted in this process's ``TokenUses`` of
the database, and written once the request is answered (``eventguard.deps.after_request``), in a
write transaction of its own that takes its turn like any writer (db/writelock.py). One write at a
time per process takes every use noted so far, so a burst of fresh tokens costs a few writes.

Until it is written, a noted use counts as if it were (``authenticate_token`` asks ``latest``): a
session used just before its idle expiry stays valid. A write that fails (the database busy past
its timeout) leaves the uses noted for the next one. The stamp is bookkeeping: a use noted when the
process stops may be lost.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from eventguard.auth import tokens
from eventguard.auth.models import ApiToken, TokenKind
from eventguard.db import Database

# Noted uses kept while writes fail; beyond it uses are not noted (the tokens stay due).
MAX_PENDING = 10_000


@dataclass(frozen=True)
class TokenUse:
    """A token used at ``at``; ``expires_at`` is a session's expiry slid from that use."""

    token_id: int
    at: datetime
    expires_at: datetime | None = None


def due_use(token: ApiToken, now: datetime, latest: TokenUse | None = None) -> TokenUse | None:
    """The use to note for a request at ``now``, or None while the last one (stored or noted) is
    younger than ``TOUCH_INTERVAL``. A session's idle expiry slides along, up to ``SESSION_MAX_AGE``."""
    last = token.last_used_at
    if latest is not None and (last is None or latest.at > last):
        last = latest.at
    if last is not None and now - last < tokens.TOUCH_INTERVAL:
        return None
    expires_at = None
    if token.kind == TokenKind.session:
        expires_at = min(now + tokens.SESSION_IDLE_TIMEOUT, token.created_at + tokens.SESSION_MAX_AGE)
    return TokenUse(token_id=token.id, at=now, expires_at=expires_at)


def effective_expiry(token: ApiToken, latest: TokenUse | None) -> datetime | None:
    """The token's expiry, counting a noted use that slid it but is not written yet."""
    if latest is None or latest.expires_at is None or token.expires_at is None:
        return token.expires_at
    return max(token.expires_at, latest.expires_at)


def write_uses(*, db: Session, uses: Iterable[TokenUse]) -> None:
    """Store the uses (flushed; the caller commits). A stamp never moves backwards: another process
    may have written a later use of the same token first."""
    for use in uses:
        values: dict[str, datetime] = {"last_used_at": use.at}
        if use.expires_at is not None:
            values["expires_at"] = use.expires_at
        db.execute(
            update(ApiToken)
            .where(
                ApiToken.id == use.token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < use.at),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


class TokenUses:
    """The uses noted in this process and not written yet, for one database (``for_database``)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pending: dict[int, TokenUse] = {}
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one write of the uses at a time

    def latest(self, token_id: int) -> TokenUse | None:
        """The token's noted use that is not written yet, if any."""
        with self._lock:
            return self._pending.get(token_id)

    def note(self, use: TokenUse) -> None:
        """Remember ``use`` until ``flush`` writes it (a later use of the token replaces it)."""
        with self._lock:
            current = self._pending.get(use.token_id)
            if current is not None and current.at >= use.at:
                return
            if current is None and len(self._pending) >= MAX_PENDING:
                return  # writes keep failing: the token stays due and is noted again later
            self._pending[use.token_id] = use

    def flush(self) -> None:
        """Write every noted use, in one write transaction (it waits for its write turn). Uses
        noted while it writes wait for the next flush."""
        with self._writing:
            with self._lock:
                batch = dict(self._pending)
            if not batch:
                return
            with self._database.session(write=True) as db:
                write_uses(db=db, uses=batch.values())
                db.commit()
            with self._lock:
                for token_id, use in batch.items():
                    if self._pending.get(token_id) == use:  # not noted again meanwhile
                        del self._pending[token_id]


_registry: weakref.WeakKeyDictionary[Database, TokenUses] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def for_database(database: Database) -> TokenUses:
    """This process's noted uses of ``database`` (one per Database object)."""
    with _registry_lock:
        found = _registry.get(database)
        if found is None:
            found = _registry[database] = TokenUses(database)
        return found
