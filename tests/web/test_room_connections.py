"""The incident room reads every panel (its own and other domains': noise, compliance) in the
request's one session, and stores a language picked with ``?lang=`` only once that session is
closed: a page that took a second connection from the pool while holding its first starved the pool
under load (15 rooms rendering at once, each waiting 30 s for a second one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.auth.models import User
from eventguard.db import Database
from eventguard.incidents.models import Incident
from tests.web.conftest import SignIn


def test_the_room_holds_one_pooled_connection_at_a_time_and_still_stores_the_language(
    sign_in: SignIn, incident: Incident, database: Database, db: Session
) -> None:
    client = sign_in("responder")
    held = {"now": 0, "peak": 0}

    def checkout(*_args: Any) -> None:
        held["now"] += 1
        held["peak"] = max(held["peak"], held["now"])

    def checkin(*_args: Any) -> None:
        held["now"] -= 1

    for lang in ("en", "zh-CN"):
        db.commit()  # the test's own session holds no connection while the page is served
        held["now"] = held["peak"] = 0
        sa_event.listen(database.engine, "checkout", checkout)
        sa_event.listen(database.engine, "checkin", checkin)
        try:
            page = client.get(f"/incidents/{incident.id}?lang={lang}")
        finally:
            sa_event.remove(database.engine, "checkout", checkout)
            sa_event.remove(database.engine, "checkin", checkin)
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.text and 'id="timeline"' in page.text
        assert held["peak"] == 1, f"the room held {held['peak']} connections at once ({lang})"
        db.commit()
        assert db.scalar(select(User.language).where(User.username == "responder-web")) == lang
