"""``/docs``: FastAPI's Swagger UI page under a policy of its own.

The page loads Swagger UI from jsDelivr and starts it with one inline script; the policy allows that
script by its hash (computed from the page as it is served), the CDN's script and style sheet, the
inline styles Swagger UI sets at run time, its ``data:`` icons and fetching ``/openapi.json`` — and
nothing else; it still may not be framed. (FastAPI's own ``/docs`` and ``/redoc`` are turned off in
the app factory: ReDoc needs fonts, workers and more, and one documentation page is enough.)"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from eventguard import security

router = APIRouter(include_in_schema=False)

CDN = "https://cdn.jsdelivr.net"
FAVICON_HOST = "https://fastapi.tiangolo.com"


@lru_cache(maxsize=8)
def _page(openapi_url: str, title: str) -> tuple[bytes, str]:
    html = get_swagger_ui_html(openapi_url=openapi_url, title=f"{title} - Swagger UI").body
    scripts = " ".join(security.inline_hashes(bytes(html).decode(), "script"))
    policy = (
        f"default-src 'none'; script-src {scripts} {CDN}; style-src 'unsafe-inline' {CDN}; "
        f"img-src 'self' data: {FAVICON_HOST}; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return bytes(html), policy


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Interactive API documentation (Swagger UI)."""
    root = request.scope.get("root_path", "").rstrip("/")
    body, policy = _page(root + (request.app.openapi_url or "/openapi.json"), request.app.title)
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})
