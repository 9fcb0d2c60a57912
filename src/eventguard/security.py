"""Security headers of every answer: one pure ASGI middleware, and the header values it shares with
the answers that are made elsewhere (the status page's fast paths) or need their own policy.

Every answer gets a Content-Security-Policy (no inline script or style anywhere in the console, so
``'self'`` is all it allows), ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``,
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (links carry tokens in their
paths — acknowledgement, unsubscribe — and same-origin keeps the ``Origin`` of form posts the
cross-origin check reads), HSTS when ``base_url`` is https, and ``Cache-Control: no-store`` unless
the answer says how to cache it (the status page's documents, static files). An answer that sets
one of these headers itself keeps its own: the public pages' policy allows their one inline style
by hash, the API documentation's its inline script by hash and its CDN assets."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def inline_hashes(html: str, tag: str) -> list[str]:
    """CSP sources (``'sha256-…'``) of the inline ``<script>`` or ``<style>`` elements of a page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for found_tag, body in _INLINE.findall(html)
        if found_tag == tag
    ]


def is_https(base_url: str) -> bool:
    return base_url.lower().startswith("https://")


def header_list(policy: str, *, https: bool) -> list[tuple[bytes, bytes]]:
    """The security headers of an answer under ``policy`` (without Cache-Control)."""
    found = [
        (b"content-security-policy", policy.encode("latin-1")),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if https:
        found.append((b"strict-transport-security", HSTS.encode("latin-1")))
    return found


class SecurityHeaders:
    """Pure ASGI middleware (see the module docstring): adds each header the answer lacks."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.defaults = [*header_list(DEFAULT_POLICY, https=https), (b"cache-control", b"no-store")]
        self.static_defaults = self.defaults[:-1]  # static files: cached by their validators

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = self.static_defaults if scope["path"].startswith("/static/") else self.defaults

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in defaults if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
