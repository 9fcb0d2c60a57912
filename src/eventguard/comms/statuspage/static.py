"""The status page as static files, for nginx, object storage or a CDN (docs/status-page.md).

Layout under the output directory, mirroring the app's URLs below ``/status/``::

    {slug}.json                      summary.json in the default language
    {slug}/index.html                the page in the default language
    {slug}/index.zh-CN.html, index.en.html
    {slug}/feed.atom                 the feed in the default language
    {slug}/feed.zh-CN.atom, feed.en.atom
    {slug}/summary.zh-CN.json, summary.en.json

A file is replaced atomically and only when its bytes change, with its modification time set to
the page's last change, so a web server's ETag and Last-Modified stay stable between runs.
``AutoPublisher`` keeps such a directory current for every event (the worker runs it)."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.comms.statuspage import render, view
from eventguard.comms.statuspage.render import Kind, PageLinks
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import LANGUAGES
from eventguard.logs import get_logger

log = get_logger("eventguard.comms.publish")


def files_of(page: view.PageView, settings: Settings) -> dict[str, bytes]:
    """Relative path -> bytes of every static file of the page."""
    links = PageLinks.static(page.slug, settings.base_url)
    default = settings.default_language
    files: dict[str, bytes] = {}

    def body(kind: Kind, lang: str) -> bytes:
        return render.document(page, kind, lang, settings.base_url, links).body

    for lang in LANGUAGES:
        files[f"{page.slug}/index.{lang}.html"] = body("html", lang)
        files[f"{page.slug}/feed.{lang}.atom"] = body("atom", lang)
        files[f"{page.slug}/summary.{lang}.json"] = body("json", lang)
    files[f"{page.slug}/index.html"] = files[f"{page.slug}/index.{default}.html"]
    files[f"{page.slug}/feed.atom"] = files[f"{page.slug}/feed.{default}.atom"]
    files[f"{page.slug}.json"] = files[f"{page.slug}/summary.{default}.json"]
    return files


def write_files(out: Path, files: dict[str, bytes], mtime: float) -> list[Path]:
    """Write the files that changed (atomically); returns their paths."""
    written = []
    for relative, content in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.read_bytes() == content:
            continue
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".eventguard-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, 0o644)
        os.utime(temporary, (mtime, mtime))
        os.replace(temporary, path)
        written.append(path)
    return written


def load_page(*, database: Database, slug: str, clock: Clock) -> view.PageView:
    """The event's public view now (404 when the event does not exist)."""
    with database.session() as db:
        event = events.get_by_slug(db=db, slug=slug)
        return view.load(db=db, event=event, clock=clock)


def publish(*, database: Database, slug: str, out: Path, settings: Settings, clock: Clock) -> list[Path]:
    """Write the event's page, JSON and feed under ``out``; returns the files that changed."""
    page = load_page(database=database, slug=slug, clock=clock)
    return write_files(out, files_of(page, settings), page.updated_at.timestamp())


class AutoPublisher:
    """Keeps the static files of every event's status page under ``out`` in step with the database.

    Per event it remembers the digest of the public view it last wrote, so a call that finds no
    change renders nothing and reads no file; the first call writes every event."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.checked_at: datetime | None = None  # when publish_changed last ran (the worker paces it)
        self._digests: dict[str, str] = {}  # slug -> digest of the view last written

    def publish_changed(self, *, database: Database, settings: Settings, clock: Clock) -> list[Path]:
        """Write the files of every event whose public view changed since the last call; returns the
        files that changed. An event that fails is logged and tried again on the next call."""
        self.checked_at = clock.now()
        written: list[Path] = []
        with database.session() as db:
            for event in events.list_events(db=db):
                slug = event.slug
                try:
                    written += self._publish_if_changed(db, event, settings, clock)
                except Exception:  # one broken event must not keep the other pages stale
                    log.exception("status_page_publish_failed", slug=slug)
                    db.rollback()
        return written

    def _publish_if_changed(self, db: Session, event: Event, settings: Settings, clock: Clock) -> list[Path]:
        page = view.load(db=db, event=event, clock=clock)
        digest = page.digest()
        if self._digests.get(page.slug) == digest:
            return []
        written = write_files(self.out, files_of(page, settings), page.updated_at.timestamp())
        self._digests[page.slug] = digest
        return written
