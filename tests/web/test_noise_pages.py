"""The console's noise pages over HTTP: who may do what, bad input answered on the page, CSRF."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.events.models import Event
from eventguard.noise.models import MaintenanceWindow, Silence
from tests.web.conftest import SignIn, csrf_of

PAGE = "/events/cloud-summit-2026/silences"
WINDOWS = "/events/cloud-summit-2026/maintenance"


def test_a_responder_creates_and_expires_a_silence_and_a_viewer_only_reads(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    responder = sign_in("responder")
    page = responder.get(PAGE + "?lang=en")
    assert page.status_code == 200 and "New silence" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "matchers": 'alertname="HLSPlaylistStale"\ninstance=~"edge-.*"',
        "duration": "45m",
        "comment": "edge swap",
    }
    made = responder.post(PAGE + "/create", data=form, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == PAGE
    [silence] = db.scalars(select(Silence)).all()
    assert silence.source == "console" and silence.matchers[1] == {
        "name": "instance",
        "op": "=~",
        "value": "edge-.*",
    }
    assert (silence.ends_at - silence.starts_at).total_seconds() == 45 * 60
    listed = responder.get(PAGE + "?lang=en").text
    assert 'instance=~"edge-.*"' in listed and "edge swap" in listed and "Expire" in listed

    viewer = sign_in("viewer")
    seen = viewer.get(PAGE + "?lang=en").text
    assert "edge swap" in seen and "New silence" not in seen and "Expire" not in seen
    refused = viewer.post(PAGE + "/create", data={**form, "csrf_token": csrf_of(seen)})
    assert refused.status_code == 403
    db.commit()  # end the read snapshot (SQLite WAL) to see what the app committed
    assert len(db.scalars(select(Silence)).all()) == 1

    token = csrf_of(responder.get(PAGE).text)
    gone = responder.post(f"{PAGE}/{silence.id}/expire", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    db.commit()  # end the read snapshot (SQLite WAL) to see what the app committed
    assert db.scalar(select(Silence.expired_at).where(Silence.id == silence.id)) is not None


def test_bad_input_is_answered_on_the_page_and_a_missing_form_token_is_refused(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    responder = sign_in("responder")
    token = csrf_of(responder.get(PAGE).text)
    bad = responder.post(
        PAGE + "/create?lang=en",
        data={"csrf_token": token, "matchers": 'instance=~".*"', "duration": "1h", "comment": "x"},
    )
    assert bad.status_code == 422 and "must not match the empty value" in bad.text
    late = responder.post(
        PAGE + "/create?lang=en",
        data={"csrf_token": token, "matchers": "a=b", "duration": "soon", "comment": "x"},
    )
    assert late.status_code == 422 and "Bad duration soon" in late.text
    forged = responder.post(PAGE + "/create", data={"matchers": "a=b", "duration": "1h", "comment": "x"})
    assert forged.status_code == 403
    assert db.scalars(select(Silence)).all() == []
    assert responder.get("/events/no-such-event/silences").status_code == 404


def test_a_commander_adds_and_deletes_a_window_next_to_the_plans_own(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    commander = sign_in("commander")
    page = commander.get(WINDOWS + "?lang=en")
    assert "Nightly restart of the backup encoder" in page.text and "the plan" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "name": "CDN switch-over",
        "matchers": "component=cdn",
        "starts": "2026-05-21T01:00",  # read in the event's time zone
        "duration": "2h",
        "repeat": "weekly",
    }
    assert commander.post(WINDOWS + "/create", data=form, follow_redirects=False).status_code == 303
    [window] = db.scalars(select(MaintenanceWindow)).all()
    assert window.starts_at.isoformat() == "2026-05-20T17:00:00+00:00" and window.repeat == "weekly"
    listed = commander.get(WINDOWS + "?lang=zh-CN").text
    assert "CDN switch-over" in listed and "每周" in listed and "维护窗口" in listed
    db.commit()  # end the read snapshot before this session writes (a new user)
    responder = sign_in("responder")
    seen = responder.get(WINDOWS + "?lang=en").text
    assert "New maintenance window" not in seen
    token = csrf_of(commander.get(WINDOWS).text)
    assert (
        commander.post(
            f"{WINDOWS}/{window.id}/delete", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    index = commander.get("/noise?lang=en")
    assert index.status_code == 200 and "/events/cloud-summit-2026/silences" in index.text


def test_the_incident_room_explains_a_held_page(
    sign_in: SignIn, db: Session, event: Event, clock: object
) -> None:
    from datetime import timedelta

    from eventguard.alerts import service as alerts
    from eventguard.audit.service import Actor
    from eventguard.noise import silencing
    from eventguard.plugins import alert_formats
    from tests.alerts.builders import am_alert, am_payload

    now = clock.now()  # type: ignore[attr-defined]
    silencing.create_silence(
        db=db,
        event_id=event.id,
        matchers=[{"name": "alertname", "op": "=", "value": "PaymentErrorRate"}],
        starts_at=None,
        ends_at=now + timedelta(hours=1),
        comment="gateway swap",
        actor=Actor.cli("ops"),
        source="cli",
        clock=clock,  # type: ignore[arg-type]
    )
    batch = alert_formats()["alertmanager"].parse(am_payload(am_alert("PaymentErrorRate")), received_at=now)
    [incident_id] = alerts.ingest(
        db=db, event=event, batch=batch, source="alertmanager", clock=clock
    ).incident_ids  # type: ignore[arg-type]
    db.commit()
    room = sign_in("viewer").get(f"/incidents/{incident_id}?lang=en").text
    assert "Paging is held" in room and "gateway swap" in room and 'data-rule="silence:' in room


def test_the_incident_room_shows_a_flapping_alerts_history(
    sign_in: SignIn, db: Session, event: Event, clock: object
) -> None:
    from datetime import UTC, datetime, timedelta

    from eventguard.alerts import service as alerts
    from eventguard.plugins import alert_formats
    from tests.alerts.builders import am_alert, am_payload

    clock.set(datetime(2026, 6, 16, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    alert = am_alert("PaymentSingleOrderFailed", instance="pay-9:443")
    incident_ids: list[int] = []
    for number in range(9):  # fired, then resolved and fired again four times: flapping
        report = alert if number % 2 == 0 else {**alert, "status": "resolved"}
        batch = alert_formats()["alertmanager"].parse(am_payload(report), received_at=clock.now())  # type: ignore[attr-defined]
        found = alerts.ingest(db=db, event=event, batch=batch, source="alertmanager", clock=clock)  # type: ignore[arg-type]
        incident_ids += found.incident_ids
        db.commit()
        clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    room = sign_in("viewer").get(f"/incidents/{incident_ids[0]}?lang=en").text
    assert 'id="noise-flapping"' in room and f'data-fingerprint="{alert["fingerprint"]}" open' in room
    assert room.count('class="flap-resolved"') == 4 and room.count('class="flap-firing"') == 5
    assert "flapping" in room and "is flapping: it fired and resolved 4 times within 30m" in room
    chinese = sign_in("viewer").get(f"/incidents/{incident_ids[0]}?lang=zh-CN").text
    assert "抖动与提醒" in chinese and "抖动中" in chinese


def test_a_window_posted_at_its_start_keeps_an_announce_time_of_zero(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    commander = sign_in("commander")
    form = {
        "csrf_token": csrf_of(commander.get(WINDOWS).text),
        "name": "Encoder swap",
        "matchers": "component=encoder",
        "starts": "2026-05-21T01:00",
        "duration": "30m",
        "post": "1",
        "components": ["livestream"],
        "title_zh": "编码器切换",
        "announce_before": "0m",
    }
    assert commander.post(WINDOWS + "/create", data=form, follow_redirects=False).status_code == 303
    [window] = db.scalars(select(MaintenanceWindow)).all()
    assert window.status_page == {
        "components": ["livestream"],
        "title": {"zh-CN": "编码器切换", "en": "编码器切换"},
        "body": None,
        "announce_before_seconds": 0,  # posted when it starts, not the default day ahead
        "notify": False,  # the box was not ticked
    }
    token = csrf_of(commander.get(WINDOWS).text)
    unknown = commander.post(
        WINDOWS + "/create?lang=en", data={**form, "csrf_token": token, "components": ["teleport"]}
    )
    assert unknown.status_code == 422 and "The plan has no core function teleport." in unknown.text
