"""The Atom feed (RFC 4287) of an event's public updates, written with ``feedgen``: one entry per
published incident update and maintenance update of the last 90 days, newest first.

Every text goes through ``strip_control`` on its way into the XML (the view is scrubbed already;
this is the renderer that breaks for everyone if one control character gets through)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from eventguard.comms.statuspage.labels import incident_label, maintenance_label
from eventguard.comms.statuspage.view import PageView, UpdateView
from eventguard.i18n import t
from eventguard.inputs import strip_control

MAX_ENTRIES = 50


@dataclass(frozen=True)
class _Entry:
    id: str
    title: str
    body: str
    updated: datetime
    anchor: str


def _entries(view: PageView, lang: str) -> list[_Entry]:
    found: list[_Entry] = []
    for incident in (*view.incidents, *view.history):
        number = incident.id.removeprefix("i-")
        found += [
            _entry(
                f"urn:eventguard:incident:{number}:update:{u.id.removeprefix('u-')}",
                u,
                incident_label(u.status, lang),
                lang,
                incident.id,
            )
            for u in incident.updates
        ]
    for window in view.maintenances:
        number = window.id.removeprefix("m-")
        found += [
            _entry(
                f"urn:eventguard:maintenance:{number}:update:{u.id.removeprefix('mu-')}",
                u,
                maintenance_label(u.status, lang),
                lang,
                window.id,
            )
            for u in window.updates
        ]
    found.sort(key=lambda entry: (entry.updated, entry.id), reverse=True)
    return found[:MAX_ENTRIES]


def _entry(entry_id: str, update: UpdateView, status: str, lang: str, anchor: str) -> _Entry:
    return _Entry(
        id=entry_id,
        title=strip_control(f"{update.title[lang]} — {status}"),
        body=strip_control(update.body[lang]),
        updated=update.created_at,
        anchor=anchor,
    )


def atom(view: PageView, lang: str, base_url: str) -> bytes:
    """The feed document in ``lang`` (entry texts in that language)."""
    page_url = f"{base_url}/status/{view.slug}"
    generator = FeedGenerator()
    generator.id(f"urn:eventguard:status:{view.slug}")
    name = strip_control(view.name[lang])
    generator.title(t("{event} — status", lang, event=name))
    generator.author({"name": name})
    generator.link(href=f"{page_url}/feed.atom", rel="self", type="application/atom+xml")
    generator.link(href=page_url, rel="alternate", type="text/html")
    generator.language(lang)
    generator.generator("EventGuard")
    entries = _entries(view, lang)
    generator.updated(max([view.updated_at, *(e.updated for e in entries)]))
    for item in reversed(entries):  # feedgen puts the entry added last first
        entry = generator.add_entry()
        entry.id(item.id)
        entry.title(item.title)
        entry.updated(item.updated)
        entry.published(item.updated)
        entry.link(href=f"{page_url}#{item.anchor}", rel="alternate", type="text/html")
        entry.content(item.body, type="text")
    body: bytes = generator.atom_str(pretty=True)
    return body
