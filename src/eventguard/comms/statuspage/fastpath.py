"""The public documents straight from memory: a pure ASGI layer in front of the whole application.

A ``GET``/``HEAD`` of ``/status/{slug}``, ``/status/{slug}.json`` or ``/status/{slug}/feed.atom``
whose document is fresh in the page cache is answered here — ETag and Last-Modified checks
included — without routing, dependencies or the per-request log line, the way a web server answers
a static file. Anything else (a stale or missing document, every other path) goes on to the app,
whose route renders and caches. Answers are byte for byte those of the route."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from eventguard.comms.statuspage.cache import StatusPageCache, cache_of, not_modified
from eventguard.comms.statuspage.render import Kind
from eventguard.i18n import from_accept_language, normalize_language

_PATH = re.compile(r"^/status/([a-z0-9][a-z0-9-]{0,63})(\.json|/feed\.atom)?$")
_KINDS: dict[str | None, Kind] = {None: "html", ".json": "json", "/feed.atom": "atom"}


@lru_cache(maxsize=512)
def _accepted(header: bytes) -> str | None:
    return from_accept_language(header.decode("latin-1"))


def _language(query: bytes, accept: bytes | None, default: str) -> str:
    if b"lang=" in query:
        chosen = parse_qs(query.decode("latin-1")).get("lang")
        if chosen and chosen[0]:
            return normalize_language(chosen[0])
    return (_accepted(accept) if accept else None) or default


_WANTED = frozenset((b"accept-language", b"if-none-match", b"if-modified-since"))


class StatusPageFastPath:
    """ASGI middleware; install it outermost (``app.add_middleware`` after everything else)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._bound: tuple[Any, StatusPageCache, str] | None = (
            None  # (application, its cache, default language)
        )

    def _bind(self, application: Any) -> tuple[StatusPageCache, str]:
        bound = self._bound
        if bound is None or bound[0] is not application:  # looked up once, not per request
            bound = (application, cache_of(application), application.state.settings.default_language)
            self._bound = bound
        return bound[1], bound[2]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            cache, default = self._bind(scope["app"])
            found = reply_for(
                cache,
                default,
                scope["path"],
                scope.get("query_string", b""),
                scope["headers"],
                head=scope["method"] == "HEAD",
            )
            if found is not None:
                status, headers, body = found
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


Reply = tuple[int, list[tuple[bytes, bytes]], bytes]


def reply_for(
    cache: StatusPageCache,
    default_language: str,
    path: str,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    head: bool,
) -> Reply | None:
    """(status, headers, body) of a ``GET``/``HEAD`` of a public document that is fresh in ``cache``
    (ETag and Last-Modified checks included); None when the app has to answer (another path, a
    stale or missing document). Shared by this ASGI layer and the HTTP protocol (protocol.py)."""
    found = _PATH.match(path)
    if found is None:
        return None
    wanted = {name: value for name, value in headers if name in _WANTED}
    lang = _language(query, wanted.get(b"accept-language"), default_language)
    doc = cache.peek(found.group(1), _KINDS[found.group(2)], lang)
    if doc is None:
        return None
    etags, since = wanted.get(b"if-none-match"), wanted.get(b"if-modified-since")
    if (etags or since) and not_modified(
        etags.decode("latin-1") if etags else None, since.decode("latin-1") if since else None, doc
    ):
        return 304, list(doc.headers), b""
    return 200, doc.full_headers, b"" if head else doc.body
