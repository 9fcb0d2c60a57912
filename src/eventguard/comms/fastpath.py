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

from eventguard.comms.cache import StatusPageCache, cache_of, not_modified
from eventguard.comms.render import Document, Kind
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
            found = _PATH.match(scope["path"])
            if found is not None and await self._answer(scope, send, found.group(1), _KINDS[found.group(2)]):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send, slug: str, kind: Kind) -> bool:
        cache, default = self._bind(scope["app"])
        headers = {name: value for name, value in scope["headers"] if name in _WANTED}
        lang = _language(scope.get("query_string", b""), headers.get(b"accept-language"), default)
        doc = cache.peek(slug, kind, lang)
        if doc is None:
            return False
        await _send(doc, headers, scope["method"] == "HEAD", send)
        return True


async def _send(doc: Document, headers: dict[bytes, bytes], head: bool, send: Send) -> None:
    etags, since = headers.get(b"if-none-match"), headers.get(b"if-modified-since")
    if (etags or since) and not_modified(
        etags.decode("latin-1") if etags else None, since.decode("latin-1") if since else None, doc
    ):
        await send({"type": "http.response.start", "status": 304, "headers": list(doc.headers)})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": doc.full_headers})
    await send({"type": "http.response.body", "body": b"" if head else doc.body})
