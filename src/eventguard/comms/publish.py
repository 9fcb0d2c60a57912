"""The status page as static files, for nginx, object storage or a CDN (docs/status-page.md).

Layout under the output directory, mirroring the app's URLs below ``/status/``::

    {slug}.json                      summary.json in the default language
    {slug}/index.html                the page in the default language
    {slug}/index.zh-CN.html, index.en.html
    {slug}/feed.atom                 the feed in the default language
    {slug}/feed.zh-CN.atom, feed.en.atom
    {slug}/summary.zh-CN.json, summary.en.json

A file is replaced atomically and only when its bytes change, with its modification time set to
the page's last change, so a web server's ETag and Last-Modified stay stable between runs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from eventguard.clock import Clock
from eventguard.comms import render, view
from eventguard.comms.render import Kind, PageLinks
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.i18n import LANGUAGES


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
