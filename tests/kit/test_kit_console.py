"""The kit's console page: the current plan version, the export directory's kit current or stale,
download buttons for responders (the download works), none for viewers (and refused on the server)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.kit import service
from tests.kit.test_kit import _apply_changed
from tests.web.conftest import SignIn, sign_in

__all__ = ["sign_in"]


def test_the_kit_page_shows_staleness_and_offers_downloads_to_responders(
    app: FastAPI, db: Session, clock: FrozenClock, event: Event, sign_in: SignIn, tmp_path: Path
) -> None:
    viewer = sign_in("viewer")
    page = viewer.get(f"/events/{event.slug}/kit?lang=en")
    assert page.status_code == 200 and "Current plan: version 1" in page.text
    assert "kit/download" not in page.text and "EVENTGUARD_KIT_EXPORT_DIR" in page.text
    assert viewer.get(f"/events/{event.slug}/kit/download?format=html").status_code == 403

    out = tmp_path / "kits"
    app.state.settings = app.state.settings.model_copy(update={"kit_export_dir": out})
    service.write(service.make(db=db, slug=event.slug, clock=clock), out, pdf=False)
    responder = sign_in("responder")
    current = responder.get(f"/events/{event.slug}/kit?lang=zh-CN").text
    assert 'id="kit-current"' in current and "为最新" in current and 'id="kit-pdf"' in current
    _apply_changed(db, clock, "Wu Hao, new")
    stale = responder.get(f"/events/{event.slug}/kit?lang=zh-CN").text
    assert 'id="kit-stale"' in stale and "第 1 版预案,当前预案为第 2 版" in stale
    download = responder.get(f"/events/{event.slug}/kit/download?format=html&lang=en")
    assert download.status_code == 200 and "Wu Hao, new" in download.text
    assert "Contacts and escalation" in download.text
    assert f"{event.slug}-kit-v2.html" in download.headers["content-disposition"]
    assert responder.get("/events/nope/kit").status_code == 404
