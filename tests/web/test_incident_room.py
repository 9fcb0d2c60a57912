"""The incident room over HTTP: what each role sees and may do, and how bad input is answered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.clock import FrozenClock
from eventguard.incidents import runbook, timeline
from eventguard.incidents.models import Incident, IncidentStatus, TaskStatus
from eventguard.notify.models import Delivery, DeliveryStatus
from tests.web.conftest import SignIn, csrf_of


def _post(sign_in: SignIn, who: str, url: str, **form: str) -> object:
    client = sign_in(who)
    room = client.get(url.split("/actions/")[0].split("/tasks/")[0] + "?lang=en")
    token = csrf_of(room.text) if 'name="csrf_token"' in room.text else csrf_of(client.get("/login").text)
    return client.post(url + "?lang=en", data={"csrf_token": token, **form}, follow_redirects=False)


def _fresh(db: Session, incident: Incident) -> Incident:
    db.commit()
    db.refresh(incident)
    return incident


def test_the_room_shows_header_timeline_runbook_roles_and_evidence(
    sign_in: SignIn, incident: Incident
) -> None:
    page = sign_in("responder").get(f"/incidents/{incident.id}?lang=en")
    assert page.status_code == 200
    assert f"<title>#{incident.id} Payment gateway down · EventGuard</title>" in page.text
    for text in ("Timeline", "Runbook", "Roles", "Notifications", "<details>", 'id="timeline"', "room.js"):
        assert text in page.text
    assert 'aria-label="Breadcrumb"' in page.text and "Acknowledge</button>" in page.text


def test_a_responder_acknowledges_and_is_sent_back_to_the_room(
    sign_in: SignIn, db: Session, incident: Incident
) -> None:
    answer = _post(sign_in, "responder", f"/incidents/{incident.id}/actions/acknowledge")
    assert answer.status_code == 303 and answer.headers["location"] == f"/incidents/{incident.id}"  # type: ignore[attr-defined]
    assert _fresh(db, incident).status is IncidentStatus.acknowledged
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(incident.id))).all()
    assert "incident.acknowledged" in actions


def test_a_viewer_sees_no_write_buttons_and_a_post_is_forbidden(
    sign_in: SignIn, db: Session, incident: Incident
) -> None:
    page = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en")
    assert page.status_code == 200 and 'method="post" action="/incidents' not in page.text
    answer = _post(sign_in, "viewer", f"/incidents/{incident.id}/actions/acknowledge")
    assert answer.status_code == 403  # type: ignore[attr-defined]
    assert _fresh(db, incident).status is IncidentStatus.triggered


def test_only_a_commander_assigns_roles(sign_in: SignIn, db: Session, incident: Incident) -> None:
    assert (
        f'action="/incidents/{incident.id}/actions/role"'
        not in sign_in("responder").get(f"/incidents/{incident.id}").text
    )
    refused = _post(
        sign_in, "responder", f"/incidents/{incident.id}/actions/role", role="scribe", person_id="li-na"
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    done = _post(
        sign_in, "commander", f"/incidents/{incident.id}/actions/role", role="scribe", person_id="li-na"
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert timeline.entries(db=db, incident_id=incident.id)[-1].data["person_id"] == "li-na"


def test_status_level_note_and_progress_go_on_the_timeline(
    sign_in: SignIn, db: Session, incident: Incident
) -> None:
    base = f"/incidents/{incident.id}/actions"
    assert _post(sign_in, "responder", f"{base}/status", status="mitigating").status_code == 303  # type: ignore[attr-defined]
    assert (
        _post(sign_in, "responder", f"{base}/level", level="1", reason="all payments fail").status_code == 303
    )  # type: ignore[attr-defined]
    assert _post(sign_in, "responder", f"{base}/note", text="vendor called").status_code == 303  # type: ignore[attr-defined]
    progress = _post(
        sign_in, "responder", f"{base}/progress", text="failover started", eta="2026-05-20T10:30"
    )
    assert progress.status_code == 303  # type: ignore[attr-defined]
    fresh = _fresh(db, incident)
    assert fresh.status is IncidentStatus.mitigating and fresh.level == 1
    assert fresh.eta is not None and fresh.eta.hour == 2  # 10:30 in Shanghai
    kinds = [entry.kind for entry in timeline.entries(db=db, incident_id=incident.id)]
    # (level 1 pauses the event: its "pause" entry follows the level's)
    assert [kind for kind in kinds if kind != "pause"][-4:] == ["status", "level", "note", "progress"]
    audited = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(incident.id))).all()
    for action in ("incident.mitigating", "incident.relevel", "incident.note", "incident.progress"):
        assert action in audited


def test_bad_form_values_re_render_the_room_with_an_error(sign_in: SignIn, incident: Incident) -> None:
    base = f"/incidents/{incident.id}/actions"
    for path, form, status in (
        ("level", {"level": "9", "reason": "x"}, 422),
        ("level", {"level": "1", "reason": " "}, 422),
        ("status", {"status": "exploded"}, 422),
        ("progress", {"text": "x", "eta": "tomorrow-ish"}, 422),
        ("note", {"text": ""}, 422),
        ("status", {"status": "reviewed"}, 409),
        ("teleport", {}, 422),
    ):
        answer = _post(sign_in, "responder", f"{base}/{path}", **form)
        assert answer.status_code == status, (path, form)  # type: ignore[attr-defined]
        assert 'class="error" role="alert"' in answer.text and "Timeline" in answer.text  # type: ignore[attr-defined]


def test_an_unknown_incident_is_a_404_page_not_a_crash(sign_in: SignIn, event: object) -> None:
    client = sign_in("viewer")
    for path in ("/incidents/999999", "/incidents/abc", "/incidents/999999/events"):
        answer = client.get(path + "?lang=en")
        assert answer.status_code == 404 and "<title>Error 404 · EventGuard</title>" in answer.text


def test_tasks_are_ticked_in_restore_order_and_a_skip_needs_a_reason(
    sign_in: SignIn, db: Session, incident: Incident
) -> None:
    tasks = runbook.list_tasks(db=db, incident_id=incident.id)
    assert [task.position for task in tasks] == sorted(task.position for task in tasks)
    first, second = tasks[0], tasks[1]
    assert _post(sign_in, "responder", f"/incidents/{incident.id}/tasks/{first.id}/done").status_code == 303  # type: ignore[attr-defined]
    refused = _post(sign_in, "responder", f"/incidents/{incident.id}/tasks/{second.id}/skip", reason="")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    skipped = _post(sign_in, "responder", f"/incidents/{incident.id}/tasks/{second.id}/skip", reason="n/a")
    assert skipped.status_code == 303  # type: ignore[attr-defined]
    db.commit()
    db.expire_all()
    statuses = [task.status for task in runbook.list_tasks(db=db, incident_id=incident.id)][:2]
    assert statuses == [TaskStatus.done, TaskStatus.skipped]
    audited = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(incident.id))).all()
    assert "incident.task.done" in audited and "incident.task.skip" in audited


def test_deliveries_show_their_status_retries_and_escalations(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    now = clock.now()
    for number, (purpose, status, attempts) in enumerate(
        (("notify", DeliveryStatus.delivered, 1), ("escalation", DeliveryStatus.failed, 3))
    ):
        db.add(
            Delivery(
                incident_id=incident.id,
                purpose=purpose,
                channel_kind="sms",
                recipient="li-na",
                role="team:tech:lead",
                address="+8613800000000",
                notification={},
                idempotency_key=f"k{number}",
                status=status,
                created_at=now,
                available_at=now + timedelta(seconds=1),
                attempts=attempts,
                last_error="gateway said no" if status is DeliveryStatus.failed else None,
            )
        )
    db.commit()
    page = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    assert "delivered" in page and "failed" in page and "retried" in page and "escalated" in page
    assert "gateway said no" in page


def test_odd_ids_in_the_address_answer_404_pages(sign_in: SignIn, incident: Incident) -> None:
    client = sign_in("responder")
    for path in (
        "/incidents/99999999999999",
        "/incidents/²",
        "/incidents/-1",
        "/incidents/99999999999999/events",
    ):
        assert client.get(path).status_code == 404, path
    token = csrf_of(client.get(f"/incidents/{incident.id}").text)
    answer = client.post(f"/incidents/{incident.id}/tasks/99999999999999/done", data={"csrf_token": token})
    assert answer.status_code == 404
