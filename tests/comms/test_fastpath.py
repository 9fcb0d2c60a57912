"""The fast path answers fresh status pages from memory exactly as the route does."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eventguard.comms.statuspage.cache import StatusPageCache, cache_of
from eventguard.events.models import Event
from tests.comms.conftest import BASE_URL

SKIP = {"date", "x-request-id", "server"}


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in SKIP}


def test_the_fast_path_answers_like_the_route_and_does_not_reach_the_app(app: FastAPI, event: Event) -> None:
    app.state.status_pages = StatusPageCache(
        database=app.state.db, clock=app.state.clock, base_url=BASE_URL, recheck_seconds=3600
    )
    with TestClient(app) as client:
        for path in (
            f"/status/{event.slug}",
            f"/status/{event.slug}.json",
            f"/status/{event.slug}/feed.atom",
        ):
            for headers in ({}, {"Accept-Language": "en"}):
                first = client.get(path, headers=headers)  # rendered by the route
                second = client.get(path, headers=headers)  # from memory
                assert "x-request-id" in first.headers and "x-request-id" not in second.headers
                assert second.content == first.content and _headers(second) == _headers(first)
                etag = second.headers["etag"]
                assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304
                since = {**headers, "If-Modified-Since": second.headers["last-modified"]}
                assert client.get(path, headers=since).status_code == 304
                head = client.head(path, headers=headers)
                assert head.content == b"" and head.headers["content-length"] == str(len(first.content))
        assert cache_of(app).renders == 6 and cache_of(app).loads == 1
        english = client.get(f"/status/{event.slug}?lang=en")
        assert english.headers["content-language"] == "en" and "x-request-id" not in english.headers


def test_other_paths_and_methods_go_on_to_the_app(client: TestClient, event: Event) -> None:
    assert client.get(f"/status/{event.slug}/nothing-here").status_code == 404
    assert client.get("/status/Not_A_Slug").status_code == 404
    assert client.post(f"/status/{event.slug}").status_code == 405
