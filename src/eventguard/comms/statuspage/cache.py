"""Render once per change, answer from memory.

Per event, the cache keeps the public view it last loaded, the view's digest, the change version
it was loaded at and the documents rendered from it. Before a document is answered from memory the
event's current change version is read (``version.VersionProbe``: one primary-key row, microseconds):
when any process — this one, the worker, another replica, a CLI command — made a public change since,
the request waits for the fresh page instead. Besides, at most once per ``recheck_seconds`` (1 s) —
and at once when the clock passes a moment where the view changes by itself (a maintenance window,
an update leaving the 90-day history) — the view is loaded again, and the documents are rendered
again only when its digest changed. That check runs in a background thread while requests go on
being answered with the documents in memory (stale-while-revalidate), so no request waits for the
database; it catches what no version records (a plan applied again, the clock).

Answers carry a strong ETag (the body's hash), Last-Modified (the newest public change) and
Cache-Control, and ``If-None-Match`` / ``If-Modified-Since`` get 304."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy import select
from starlette.datastructures import Headers
from starlette.responses import Response

from eventguard.clock import Clock
from eventguard.comms.models import StatusPage
from eventguard.comms.statuspage import render, view
from eventguard.comms.statuspage.render import Document, Kind
from eventguard.comms.statuspage.version import VersionProbe
from eventguard.db import Database
from eventguard.errors import NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.logs import get_logger

RECHECK_SECONDS = 1.0
log = get_logger("eventguard.comms.cache")
_MAX_EVENTS = 1024


@dataclass
class _Entry:
    page: view.PageView
    digest: str
    checked: float  # time.monotonic() of the last load
    event_id: int
    version: int  # the event's change version the page was loaded at
    documents: dict[tuple[Kind, str], Document] = field(default_factory=dict)
    invalid: bool = False  # this process changed the event: never answer from this entry again


class StatusPageCache:
    """The rendered public documents of every event, per process (see the module docstring)."""

    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        base_url: str,
        recheck_seconds: float = RECHECK_SECONDS,
        background: bool = True,
    ) -> None:
        self.database = database
        self.clock = clock
        self.base_url = base_url
        self.recheck_seconds = recheck_seconds
        self.background = background  # False: a stale entry is never answered (the request reloads)
        self.versions = VersionProbe(database.engine)
        self.renders = 0  # documents rendered so far (observable in tests and metrics)
        self.loads = 0  # public views loaded so far
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._refreshing: set[str] = set()
        self._threads: list[threading.Thread] = []

    def peek(self, slug: str, kind: Kind, lang: str) -> Document | None:
        """The document if it is in memory and its event's change version is unchanged (one row
        read); None when it has to be loaded again. One merely older than ``recheck_seconds`` is
        still answered while a background thread checks for changes (unless ``background`` is off)."""
        entry = self._entries.get(slug)
        if entry is None or entry.invalid:
            return None
        found = entry.documents.get((kind, lang))
        if found is not None and self._changed(entry):
            return None  # changed by some process since: the route loads it again
        if found is not None and self._stale(entry):
            if not self.background:
                return None
            self._refresh_soon(slug)
        return found

    def _refresh_soon(self, slug: str) -> None:
        with self._lock:
            if slug in self._refreshing:
                return
            self._refreshing.add(slug)
        thread = threading.Thread(target=self._refresh, args=(slug,), name=f"status-page-{slug}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float = 10.0) -> None:
        """Wait for the background checks under way (shutting down, tests)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _refresh(self, slug: str) -> None:
        try:
            with self._lock:
                entry = self._entries.get(slug)
                if entry is not None and not entry.invalid and self._stale(entry):
                    fresh = self._reload(slug, entry)
                    for kind, lang in list(entry.documents) if fresh is not entry else ():
                        self._render(fresh, kind, lang)  # keep answering from memory
        except Exception:  # the database is away: keep the page in memory, try again later
            log.warning("status_page_refresh_failed", slug=slug, exc_info=True)
        finally:
            self._refreshing.discard(slug)

    def document(self, slug: str, kind: Kind, lang: str) -> Document:
        """The document, loading and rendering what is missing or stale (blocking: use a thread)."""
        with self._lock:
            entry = self._entries.get(slug)
            if entry is None or entry.invalid or self._stale(entry) or self._changed(entry):
                entry = self._reload(slug, entry)
            return entry.documents.get((kind, lang)) or self._render(entry, kind, lang)

    def _render(self, entry: _Entry, kind: Kind, lang: str) -> Document:
        found = render.document(entry.page, kind, lang, self.base_url)
        entry.documents[(kind, lang)] = found
        self.renders += 1
        return found

    def current(self, slug: str) -> view.PageView:
        """The event's public view as the cache has it (loaded again when stale; blocking)."""
        with self._lock:
            entry = self._entries.get(slug)
            if entry is None or entry.invalid or self._stale(entry) or self._changed(entry):
                entry = self._reload(slug, entry)
            return entry.page

    def invalidate(self, slug: str) -> None:
        """Load the event's view again on the next request (this process changed something)."""
        entry = self._entries.get(slug)
        if entry is not None:
            entry.invalid = True

    def _changed(self, entry: _Entry) -> bool:
        """Whether a public change of the event was committed since the entry was loaded."""
        current = self.versions.read(entry.event_id)
        return current is not None and current != entry.version

    def close(self) -> None:
        """Close the version probe's connection (the app shuts down; tests)."""
        self.versions.close()

    def _stale(self, entry: _Entry) -> bool:
        if time.monotonic() - entry.checked >= self.recheck_seconds:
            return True
        return entry.page.valid_until is not None and self.clock.now() >= entry.page.valid_until

    def _reload(self, slug: str, entry: _Entry | None) -> _Entry:
        with self.database.session() as db:
            event = events.find_by_slug(db=db, slug=slug)
            if event is None:
                self._entries.pop(slug, None)
                raise NotFound(Message("No event {slug}.", {"slug": slug}), code="event_not_found")
            version = db.scalar(select(StatusPage.version).where(StatusPage.event_id == event.id)) or 0
            page = view.load(db=db, event=event, clock=self.clock, base_url=self.base_url)
        self.loads += 1
        digest = page.digest()
        if entry is not None and entry.digest == digest:
            entry.checked, entry.invalid, entry.version = time.monotonic(), False, version
            return entry
        if len(self._entries) >= _MAX_EVENTS:
            self._entries.clear()
        fresh = _Entry(page=page, digest=digest, checked=time.monotonic(), event_id=event.id, version=version)
        self._entries[slug] = fresh
        return fresh


_CREATE_LOCK = threading.Lock()


def cache_of(app: Any) -> StatusPageCache:
    """The application's page cache (one per app, made on first use)."""
    found_first: StatusPageCache | None = getattr(app.state, "status_pages", None)
    if found_first is not None:
        return found_first
    with _CREATE_LOCK:
        found: StatusPageCache | None = getattr(app.state, "status_pages", None)
        if found is None:
            found = StatusPageCache(
                database=app.state.db, clock=app.state.clock, base_url=app.state.settings.base_url
            )
            app.state.status_pages = found
        return found


def not_modified(if_none_match: str | None, if_modified_since: str | None, doc: Document) -> bool:
    """Whether the client's copy (by its validators) is the current document."""
    if if_none_match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or doc.etag in tags
    if if_modified_since is None:
        return False
    try:
        moment = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return moment.tzinfo is not None and doc.last_modified.replace(microsecond=0) <= moment


def answer(headers: Headers, doc: Document, *, head: bool = False) -> Response:
    """The document as a response, or 304 when the client's copy is current."""
    if not_modified(headers.get("if-none-match"), headers.get("if-modified-since"), doc):
        response = Response(status_code=304)
    else:
        response = Response(content=b"" if head else doc.body, media_type=doc.media_type)
        if head:
            response.headers["content-length"] = str(len(doc.body))
    response.raw_headers.extend(doc.headers)
    return response
