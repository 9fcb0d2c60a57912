"""Control characters: refused in what people send, and stripped from what the public renderers show
when they are stored already (a bell in one maintenance title used to answer every reader of the
Atom feed with a 500)."""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.comms.statuspage import static as publish
from eventguard.comms.statuspage import view
from eventguard.comms.updates import maintenance
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.inputs import CONTROL_CHARACTERS
from eventguard.plans import service as plans
from tests.comms.conftest import declare
from tests.comms.conftest import publish as publish_update
from tests.conftest import AuthHeaders


def _window(title_en: str, body_en: str = "We upgrade the stream servers.") -> dict[str, object]:
    return {
        "title": {"zh-CN": "直播服务器升级", "en": title_en},
        "body": {"zh-CN": "我们将升级直播服务器。", "en": body_en},
        "scheduled_for": "2026-05-21T00:00:00Z",
        "scheduled_until": "2026-05-21T02:00:00Z",
    }


@pytest.mark.parametrize("text", ["x\u0007", "x\u0000y", "\u001b[31mred", "a\u0085b", "a\ud800"])
def test_a_maintenance_with_a_control_character_is_refused_and_the_feed_stays_up(
    client: TestClient, event: Event, auth_headers: AuthHeaders, text: str
) -> None:
    response = client.post(
        f"/api/v1/events/{event.slug}/status/maintenances",
        content=json.dumps(_window(text)).encode(),  # escaped, as a sender's JSON has a lone surrogate
        headers={**auth_headers("commander"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["loc"] == ["body", "title", "en"]
    assert detail["type"] in {"control_character", "string_unicode"}  # Pydantic's JSON refuses surrogates
    assert client.get(f"/status/{event.slug}/feed.atom").status_code == 200


def test_tab_and_line_breaks_are_still_text(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    response = client.post(
        f"/api/v1/events/{event.slug}/status/maintenances",
        json=_window("Upgrade\tnow", "Line one\r\nline two\n"),
        headers=auth_headers("commander"),
    )
    assert response.status_code == 201, response.text


def _store_window_with_control_characters(db: Session, event: Event, clock: FrozenClock) -> None:
    """As rows written before the schemas refused them look (PostgreSQL stores no NUL, so no NUL)."""
    db.commit()
    maintenance.schedule(
        db=db,
        event_id=event.id,
        spec=plans.get_active_plan(db=db, event_id=event.id),
        title={"zh-CN": "升级\u001b", "en": "Upgrade\u0007 of the stream"},
        body={"zh-CN": "正文\u0008", "en": "Body\u007f text\u0001"},
        components=[],
        scheduled_for=clock.now() + timedelta(hours=1),
        scheduled_until=clock.now() + timedelta(hours=2),
        auto_transition=True,
        notify=False,
        actor=Actor.cli("test"),
        clock=clock,
    )
    db.commit()


def test_every_public_renderer_strips_control_characters_stored_before(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    _store_window_with_control_characters(db, event, clock)
    incident = declare(db, event, clock)
    publish_update(db, incident, clock, summary="Stream\u0007 down")
    for lang in ("en", "zh-CN"):
        feed = client.get(f"/status/{event.slug}/feed.atom?lang={lang}")
        assert feed.status_code == 200, feed.text
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == 2
        page = client.get(f"/status/{event.slug}?lang={lang}")
        summary = client.get(f"/status/{event.slug}.json?lang={lang}")
        assert page.status_code == summary.status_code == 200
        for body in (feed.text, page.text, summary.json().__repr__()):
            assert CONTROL_CHARACTERS.search(body) is None
            assert "\\u0007" not in body and "\\x07" not in body
    assert "Upgrade of the stream" in client.get(f"/status/{event.slug}.json?lang=en").text


def test_static_publishing_strips_them_too(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    _store_window_with_control_characters(db, event, clock)
    page = publish.load_page(database=database, slug=event.slug, clock=clock)
    files = publish.files_of(page, settings)
    assert files
    for name, content in files.items():
        assert CONTROL_CHARACTERS.search(content.decode("utf-8")) is None, name
    parsed = feedparser.parse(files[f"{event.slug}/feed.en.atom"])
    assert not parsed.bozo and parsed.entries[0].title.startswith("Upgrade of the stream")


def test_a_view_without_control_characters_is_left_as_it_is(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    loaded = view.load(db=db, event=event, clock=clock)
    assert view.scrubbed(loaded) is loaded
