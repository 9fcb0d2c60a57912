"""The public documents of a page view: the HTML page (no JavaScript, readable on a phone), the
Statuspage-shaped ``summary.json`` and the Atom feed — each as bytes with its ETag, rendered once
per change by ``statuspage.cache`` (or written as static files by ``statuspage.static``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from eventguard import security
from eventguard.comms.statuspage import feed, labels
from eventguard.comms.statuspage.view import (
    ComponentView,
    IncidentView,
    MaintenanceView,
    PageView,
    UpdateView,
)
from eventguard.i18n import t

Kind = Literal["html", "json", "atom"]
MEDIA_TYPES: dict[Kind, str] = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "atom": "application/atom+xml",
}
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


# One second, like the page cache's own recheck: no browser or proxy keeps a page older than that
# (they revalidate with If-None-Match, answered 304 from memory while nothing changed).
CACHE_CONTROL = "public, max-age=1"


def _page_policy() -> str:
    """The public pages' policy: nothing but their one inline style sheet (by hash) and same-origin
    form posts (subscribe, confirm, unsubscribe)."""
    styles = security.inline_hashes(_TEMPLATES.get_template("status.css.html").render(), "style")
    return (
        f"default-src 'none'; style-src {' '.join(styles)}; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


PAGE_POLICY = _page_policy()


@dataclass(frozen=True)
class Document:
    """One rendered document, ready to be answered (or written to a file) as it is."""

    body: bytes
    media_type: str
    etag: str  # strong: the bytes' hash
    last_modified: datetime
    language: str
    headers: tuple[tuple[bytes, bytes], ...] = ()  # validators, caching, security: sent with 200 and 304

    @cached_property
    def full_headers(self) -> list[tuple[bytes, bytes]]:
        """Every header of a 200 answer (type and length too)."""
        kind = (b"content-type", self.media_type.encode())
        return [kind, (b"content-length", str(len(self.body)).encode()), *self.headers]


@dataclass(frozen=True)
class PageLinks:
    """Where the page links to: app routes, or relative files of a static copy."""

    zh: str
    en: str
    json: str
    feed: str
    subscribe: str

    @classmethod
    def app(cls, slug: str) -> PageLinks:
        """Links of the page served by the app."""
        base = f"/status/{slug}"
        return cls(
            f"{base}?lang=zh-CN", f"{base}?lang=en", f"{base}.json", f"{base}/feed.atom", f"{base}/subscribe"
        )

    @classmethod
    def static(cls, slug: str, base_url: str) -> PageLinks:
        """Links of a static copy in ``{slug}/`` (the form still posts to the app)."""
        return cls(
            "index.zh-CN.html",
            "index.en.html",
            f"../{slug}.json",
            "feed.atom",
            f"{base_url}/status/{slug}/subscribe",
        )


def document(
    view: PageView, kind: Kind, lang: str, base_url: str, links: PageLinks | None = None
) -> Document:
    """Render one document of the view."""
    if kind == "html":
        body = html(view, lang, links or PageLinks.app(view.slug))
    elif kind == "json":
        body = summary_json(view, lang, base_url)
    else:
        body = feed.atom(view, lang, base_url)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "etag": etag,
        "last-modified": format_datetime(view.updated_at.astimezone(UTC), usegmt=True),
        "cache-control": CACHE_CONTROL,
        "vary": "Accept-Language",
        "content-language": lang,
    }
    # The fast paths answer these documents without the app's middleware: they carry its headers.
    policy = PAGE_POLICY if kind == "html" else security.DEFAULT_POLICY
    secure = security.header_list(policy, https=security.is_https(base_url))
    return Document(
        body=body,
        media_type=MEDIA_TYPES[kind],
        etag=etag,
        last_modified=view.updated_at,
        language=lang,
        headers=(
            *((name.encode(), value.encode("latin-1")) for name, value in headers.items()),
            *secure,
        ),
    )


def html(view: PageView, lang: str, links: PageLinks) -> bytes:
    """The status page in ``lang``."""
    zone = ZoneInfo(view.timezone)

    def translate(msgid: str, **params: Any) -> str:
        return t(msgid, lang, **params)

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    names = {c.id: c.name[lang] for c in view.components}
    page = _TEMPLATES.get_template("status.html").render(
        page=view,
        lang=lang,
        t=translate,
        when=when,
        links=links,
        labels=labels,
        component_names=lambda ids: ", ".join(names.get(i, i) for i in ids),
    )
    return page.encode("utf-8")


def _time(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="milliseconds") if moment else None


def _component(c: ComponentView, view: PageView, lang: str, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name[lang],
        "status": c.status,
        "created_at": _time(view.created_at, zone),
        "updated_at": _time(c.updated_at, zone),
        "position": c.position,
        "description": c.description[lang] if c.description else None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": view.slug,
        "group": False,
        "only_show_if_degraded": False,
    }


def _update(u: UpdateView, parent: str, lang: str, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": u.id,
        "incident_id": parent,
        "status": u.status,
        "body": u.body[lang],
        "created_at": _time(u.created_at, zone),
        "updated_at": _time(u.created_at, zone),
        "display_at": _time(u.created_at, zone),
    }


def incident_json(
    i: IncidentView, view: PageView, lang: str, zone: ZoneInfo, base_url: str
) -> dict[str, Any]:
    """One public incident in Statuspage's shape."""
    by_id = {c.id: c for c in view.components}
    return {
        "id": i.id,
        "name": i.name[lang],
        "status": i.status,
        "impact": i.impact,
        "created_at": _time(i.created_at, zone),
        "updated_at": _time(i.updated_at, zone),
        "monitoring_at": _time(i.monitoring_at, zone),
        "resolved_at": _time(i.resolved_at, zone),
        "shortlink": f"{base_url}/status/{view.slug}#{i.id}",
        "page_id": view.slug,
        "incident_updates": [_update(u, i.id, lang, zone) for u in i.updates],
        "components": [_component(by_id[c], view, lang, zone) for c in i.components if c in by_id],
    }


def _maintenance_json(
    m: MaintenanceView, view: PageView, lang: str, zone: ZoneInfo, base_url: str
) -> dict[str, Any]:
    by_id = {c.id: c for c in view.components}
    return {
        "id": m.id,
        "name": m.name[lang],
        "status": m.status,
        "impact": "maintenance",
        "created_at": _time(m.created_at, zone),
        "updated_at": _time(m.updated_at, zone),
        "monitoring_at": None,
        "resolved_at": None,
        "shortlink": f"{base_url}/status/{view.slug}#{m.id}",
        "scheduled_for": _time(m.scheduled_for, zone),
        "scheduled_until": _time(m.scheduled_until, zone),
        "page_id": view.slug,
        "incident_updates": [_update(u, m.id, lang, zone) for u in m.updates],
        "components": [_component(by_id[c], view, lang, zone) for c in m.components if c in by_id],
    }


def _backup_json(view: PageView, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "id": b.id,
            "kind": b.kind,
            "name": b.name[lang],
            "stream_url": b.stream_url,
            "links": [{"label": link.label[lang], "url": link.url} for link in b.links],
            "offline_pack_url": b.offline_pack_url,
            "activated_at": _time(b.activated_at, ZoneInfo(view.timezone)),
        }
        for b in view.backups
    ]


def summary(view: PageView, lang: str, base_url: str) -> dict[str, Any]:
    """Statuspage's ``summary.json``: page, status, components, unresolved incidents, upcoming and
    running maintenances — plus EventGuard's additions: ``backup_plans`` (the active backup plans),
    ``paused`` and ``pause`` (since, title, body: the event is paused)."""
    zone = ZoneInfo(view.timezone)
    return {
        "page": {
            "id": view.slug,
            "name": view.name[lang],
            "url": f"{base_url}/status/{view.slug}",
            "time_zone": view.timezone,
            "updated_at": _time(view.updated_at, zone),
        },
        "status": {"indicator": view.indicator, "description": t(view.indicator_text, lang)},
        "components": [_component(c, view, lang, zone) for c in view.components],
        "incidents": [incident_json(i, view, lang, zone, base_url) for i in view.incidents],
        "scheduled_maintenances": [
            _maintenance_json(m, view, lang, zone, base_url) for m in view.maintenances
        ],
        "backup_plans": _backup_json(view, lang),
        "paused": view.pause is not None,
        "pause": _pause_json(view, lang, zone),
    }


def _pause_json(view: PageView, lang: str, zone: ZoneInfo) -> dict[str, Any] | None:
    if view.pause is None:
        return None
    return {
        "since": _time(view.pause.since, zone),
        "title": view.pause.title[lang],
        "body": view.pause.body[lang],
    }


def summary_json(view: PageView, lang: str, base_url: str) -> bytes:
    """``summary`` as compact UTF-8 JSON."""
    return json.dumps(summary(view, lang, base_url), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def message_page(
    *,
    lang: str,
    event_name: str,
    heading: str,
    text: str,
    back: str,
    action: str | None = None,
    button: str = "",
    fields: dict[str, str] | None = None,
) -> str:
    """A small public page: the answer to a subscription, or a confirm/unsubscribe button."""

    def translate(msgid: str, **params: Any) -> str:
        return t(msgid, lang, **params)

    return _TEMPLATES.get_template("message.html").render(
        lang=lang,
        t=translate,
        event_name=event_name,
        heading=heading,
        text=text,
        back=back,
        action=action,
        button=button,
        fields=fields or {},
    )
