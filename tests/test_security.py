"""Security headers on every answer: the console, the API, the API documentation and the public
pages, each under a Content-Security-Policy its own markup satisfies."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eventguard.app import create_app
from eventguard.comms.statuspage.cache import StatusPageCache
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event

WEB = Path(__file__).resolve().parent.parent / "src" / "eventguard" / "web" / "templates"


def _policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _inline(html: str, tag: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
    ]


def _assert_hardened(headers: Mapping[str, str]) -> dict[str, list[str]]:
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "same-origin"
    policy = _policy(headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    return policy


def test_the_console_the_api_and_errors_carry_the_security_headers(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/api/v1/events", "/no-such-page", "/openapi.json"):
        response = client.get(path)
        policy = _assert_hardened(response.headers)
        assert "'unsafe-inline'" not in str(policy) and policy["object-src"] == ["'none'"], path
        assert response.headers["cache-control"] == "no-store", path
        assert "strict-transport-security" not in response.headers  # base_url is http://testserver
    static = client.get("/static/console.css")
    _assert_hardened(static.headers)
    assert "cache-control" not in static.headers  # static files keep their validators


def test_the_console_templates_have_no_inline_script_or_style() -> None:
    for template in WEB.rglob("*.html"):  # subfolders too (prepare/ had an inline <style>)
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", text), template.name


def test_https_base_urls_get_hsts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    app = create_app(
        Settings(database_url=url, base_url="https://eventguard.example"), database=Database(url)
    )
    with TestClient(app, base_url="https://eventguard.example") as client:
        assert client.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
        assert client.get("/docs").headers["strict-transport-security"] == "max-age=31536000"


def test_the_api_documentation_has_a_policy_that_allows_exactly_its_own_page(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and "SwaggerUIBundle" in response.text
    policy = _assert_hardened(response.headers)
    inline = _inline(response.text, "script")
    assert inline and set(inline) <= set(policy["script-src"])
    assert "'unsafe-inline'" not in policy["script-src"]
    for src in re.findall(r'<script src="([^"]+)"', response.text):
        assert any(
            src.startswith(allowed) for allowed in policy["script-src"] if allowed.startswith("https://")
        )
    assert policy["connect-src"] == ["'self'"]  # fetches /openapi.json
    assert client.get("/redoc").status_code == 404  # one documentation page, under its own policy


@pytest.fixture
def pages(app: FastAPI) -> StatusPageCache:
    cache = StatusPageCache(
        database=app.state.db, clock=app.state.clock, base_url="http://testserver", recheck_seconds=3600
    )
    app.state.status_pages = cache
    return cache


def test_the_status_page_allows_its_inline_style_by_hash_and_keeps_its_cache_headers(
    client: TestClient, event: Event, pages: StatusPageCache
) -> None:
    for attempt in ("route", "fast path"):
        response = client.get(f"/status/{event.slug}")
        assert response.status_code == 200, attempt
        assert ("x-request-id" in response.headers) == (attempt == "route")
        policy = _assert_hardened(response.headers)
        assert policy["default-src"] == ["'none'"]
        assert policy["style-src"] == _inline(response.text, "style")
        assert response.headers["cache-control"] == "public, max-age=1"
        assert response.headers.get_list("content-security-policy") == [
            response.headers["content-security-policy"]
        ]
    feed = client.get(f"/status/{event.slug}.json")
    _assert_hardened(feed.headers)
    assert feed.headers["cache-control"] == "public, max-age=1"


def test_the_public_subscription_pages_allow_their_inline_style(client: TestClient, event: Event) -> None:
    response = client.get(f"/status/{event.slug}/confirm/not-a-token")
    assert response.status_code in (403, 404)
    policy = _assert_hardened(response.headers)
    assert policy["style-src"] == _inline(response.text, "style")
    assert response.headers["cache-control"] == "no-store"
