"""The incident room as a command post, over HTTP on both databases: the timeline folds a notification
wave and says who/what/to whom, PR's public-update forms, operations' backup switches, the
commander's merge, task owners as team names, the header's per-role countdown, the dashboard's new
columns, and bad input answered with the room and an error (never a 500)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.comms.models import BackupActivation, PublicUpdate, UpdateState
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.notify import service as notify
from eventguard.plans import service as plans
from eventguard.web.room_timeline import rows
from tests.web.conftest import SignIn, csrf_of

NOTIFIER = Actor(type="system", name="notifier")


def _post(sign_in: SignIn, who: str, incident: Incident, path: str, **form: str) -> object:
    client = sign_in(who)
    token = csrf_of(client.get(f"/incidents/{incident.id}?lang=en").text)
    return client.post(f"{path}?lang=en", data={"csrf_token": token, **form}, follow_redirects=False)


def _wave(db: Session, clock: FrozenClock, incident: Incident) -> None:
    for number, (channel, role, recipient, outcome) in enumerate(
        (
            ("wecom", "team:tech:lead#zhang-wei", "zhang-wei", "delivered"),
            ("email", "team:legal:lead#wu-hao", "wu-hao", "delivered"),
            ("sms", "team:ops:lead#wang-qiang", "wang-qiang", "failed"),
        )
    ):
        clock.advance(timedelta(milliseconds=300))
        timeline.add(
            db=db,
            incident=incident,
            kind="notification",
            actor=NOTIFIER,
            clock=clock,
            text="gateway said no" if outcome == "failed" else None,
            data={
                "delivery_id": number + 1,
                "outcome": outcome,
                "channel": channel,
                "channel_id": None,
                "recipient": recipient,
                "role": role,
                "purpose": "notify",
                "attempts": 1,
            },
        )
    db.commit()


def test_a_notification_wave_is_one_expandable_row_saying_channel_recipient_and_outcome(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    _wave(db, clock, incident)
    incidents.add_note(db=db, incident=incident, text="vendor called", actor=Actor.cli("ops"), clock=clock)
    _wave(db, clock, incident)  # a note between: a second wave
    db.commit()
    folded = rows(timeline.entries(db=db, incident_id=incident.id))
    assert [len(row.entries) for row in folded if row.is_wave] == [3, 3]
    page = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    assert page.count('class="entry entry-notification wave"') == 2
    assert "WeCom → Technical team lead (张伟 (Zhang Wei))" in page
    assert "e-mail → Legal team lead (吴昊 (Wu Hao))" in page
    assert '<span class="n-ok">2</span>' in page and '<span class="n-bad">1</span>' in page
    assert "<q>gateway said no</q>" in page and "+0.3 s" in page
    assert page.index("vendor called") > page.index('class="entry entry-notification wave"')  # newest first
    zh = sign_in("viewer").get(f"/incidents/{incident.id}?lang=zh-CN").text
    assert "技术团队 负责人 (张伟 (Zhang Wei))" in zh and "3 条消息" in zh


def test_timeline_rows_carry_their_filter_and_say_what_happened(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    actor = Actor.cli("boss")
    incidents.add_note(db=db, incident=incident, text="vendor called", actor=actor, clock=clock)
    incidents.relevel(db=db, incident=incident, level=1, reason="all payments fail", actor=actor, clock=clock)
    db.commit()
    page = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    filters = re.findall(r'data-filter="(\w+)"', page)
    assert {"notes", "status"} <= set(filters)
    within_a_row = r"(?:(?!</li>).)*"
    assert re.search(f'data-filter="status">{within_a_row}L2 → L1{within_a_row}all payments fail', page, re.S)
    for button in ("all", "notes", "notifications", "status", "public"):
        assert f'data-filter-button="{button}"' in page
    assert '<label for="timeline-search"' in page and 'id="timeline-order"' in page


def test_pr_drafts_previews_edits_and_publishes_an_update_in_the_room(
    sign_in: SignIn, db: Session, incident: Incident
) -> None:
    path = f"/incidents/{incident.id}/updates"
    preview = _post(sign_in, "responder", incident, f"{path}/preview", status="investigating", template_id="")
    assert preview.status_code == 200  # type: ignore[attr-defined]
    assert 'id="preview"' in preview.text and 'lang="zh-CN"' in preview.text  # type: ignore[attr-defined]
    assert db.scalar(select(PublicUpdate.id)) is None  # a preview saves nothing
    made = _post(sign_in, "responder", incident, path, status="identified", template_id="")
    assert made.status_code == 303  # type: ignore[attr-defined]
    db.commit()
    update = db.scalars(select(PublicUpdate)).one()
    assert update.state is UpdateState.draft and update.status.value == "identified"
    room = sign_in("responder").get(f"/incidents/{incident.id}?lang=en").text
    assert f'id="update-{update.id}"' in room
    assert "Submit for approval" not in room and ">Publish<" not in room  # a responder does not publish
    edited = _post(
        sign_in,
        "responder",
        incident,
        f"/public-updates/{update.id}/edit",
        status="identified",
        title_zh="支付已恢复",
        title_en="Payments are back",
        body_zh="正文",
        body_en="Body",
    )
    assert edited.status_code == 303  # type: ignore[attr-defined]
    db.commit()  # a fresh read: the server committed in its own session
    db.expire_all()
    assert update.title == {"zh-CN": "支付已恢复", "en": "Payments are back"} and update.edited
    refused = _post(sign_in, "responder", incident, f"/public-updates/{update.id}/publish")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    published = _post(sign_in, "commander", incident, f"/public-updates/{update.id}/publish")
    assert published.status_code == 303  # type: ignore[attr-defined]
    db.commit()  # a fresh read: the server committed in its own session
    db.expire_all()
    assert update.state is UpdateState.published  # level 2: no second approver needed
    zh = sign_in("viewer").get(f"/incidents/{incident.id}?lang=zh-CN").text
    assert "支付已恢复" in zh and "Payments are back" not in zh.split('id="timeline"')[1].split("</ol>")[0]


def test_a_level_1_update_waits_for_a_second_commander(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    boss = Actor.cli("boss")
    incidents.relevel(db=db, incident=incident, level=1, reason="everything", actor=boss, clock=clock)
    db.commit()
    assert _post(sign_in, "commander", incident, f"/incidents/{incident.id}/updates", status="investigating")
    db.commit()
    update = db.scalars(select(PublicUpdate)).one()
    submitted = _post(sign_in, "commander", incident, f"/public-updates/{update.id}/publish")
    assert submitted.status_code == 303  # type: ignore[attr-defined]
    db.commit()  # a fresh read: the server committed in its own session
    db.expire_all()
    assert update.state is UpdateState.pending_approval
    room = sign_in("commander").get(f"/incidents/{incident.id}?lang=en").text
    assert "Another commander must approve it." in room and "Approve and publish" not in room
    same = _post(sign_in, "commander", incident, f"/public-updates/{update.id}/approve")
    assert same.status_code == 403  # type: ignore[attr-defined]
    db.commit()  # a fresh read: the server committed in its own session
    db.expire_all()
    assert update.state is UpdateState.pending_approval


def test_operations_switch_a_backup_plan_on_and_off_and_the_header_says_so(
    sign_in: SignIn, db: Session, incident: Incident
) -> None:
    base = f"/incidents/{incident.id}/backups/backup-links"
    assert _post(sign_in, "responder", incident, f"{base}/activate").status_code == 303  # type: ignore[attr-defined]
    room = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    assert '<dd id="active-backups">Backup links</dd>' in room
    assert 'href="/status/cloud-summit-2026?lang=en">What participants see' in room
    assert _post(sign_in, "responder", incident, f"{base}/deactivate").status_code == 303  # type: ignore[attr-defined]
    db.commit()
    rows_ = db.scalars(select(BackupActivation)).all()
    assert len(rows_) == 1 and rows_[0].deactivated_at is not None
    for path, status in (
        (f"/incidents/{incident.id}/backups/no-such-plan/activate", 422),
        (f"{base}/deactivate", 409),
        (f"{base}/explode", 404),
    ):
        answer = _post(sign_in, "responder", incident, path)
        assert answer.status_code == status, path  # type: ignore[attr-defined]
    refused = _post(sign_in, "viewer", incident, f"{base}/activate")
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_bad_update_forms_answer_the_room_with_an_error(sign_in: SignIn, incident: Incident) -> None:
    for path, form, status in (
        (f"/incidents/{incident.id}/updates", {"status": "exploded"}, 422),
        (f"/incidents/{incident.id}/updates/preview", {"status": "identified", "template_id": "nope"}, 422),
        ("/public-updates/99999/edit", {"status": "investigating"}, 404),
        ("/public-updates/abc/publish", {}, 404),
    ):
        answer = _post(sign_in, "commander", incident, path, **form)
        assert answer.status_code == status, (path, form)  # type: ignore[attr-defined]
        assert "Traceback" not in answer.text  # type: ignore[attr-defined]


def test_the_commander_merges_a_duplicate_from_its_room(
    sign_in: SignIn, db: Session, clock: FrozenClock, event: Event, incident: Incident
) -> None:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    other = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payments failing again",
        level=2,
        scenario_id="payment-failure",
        core_functions=None,
        impact=None,
        phase="prep",
        actor=Actor.cli("test"),
        clock=clock,
    )
    db.commit()
    room = sign_in("commander").get(f"/incidents/{other.id}?lang=en").text
    assert f'<option value="{incident.id}">#{incident.id} L2' in room
    merge = f"/incidents/{other.id}/actions/merge"
    refused = _post(sign_in, "responder", other, merge, into=str(incident.id))
    assert refused.status_code == 403  # type: ignore[attr-defined]
    done = _post(sign_in, "commander", other, merge, into=str(incident.id))
    assert done.status_code == 303  # type: ignore[attr-defined]
    db.commit()  # a fresh read: the server committed in its own session
    db.expire_all()
    assert other.merged_into_id == incident.id and other.status is IncidentStatus.resolved
    again = _post(sign_in, "commander", other, f"/incidents/{other.id}/actions/merge", into=str(other.id))
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_task_owners_are_team_names_with_who_is_on_call(sign_in: SignIn, incident: Incident) -> None:
    page = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    owners = re.findall(r'<span class="owner">([^<]+)</span>', page)
    assert owners and "Technical team" in owners and "tech" not in owners
    assert "on call" in page


def test_the_header_counts_down_notify_within_per_required_role(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    page = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    countdown = page.split('id="sla-countdown"')[1].split("</ul>")[0]
    for role in ("Technical team lead", "Operations team lead", "PR team lead"):  # level 2's targets
        assert role in countdown
    assert countdown.count('data-state="pending"') >= 3 and "5 min left" in countdown
    assert 'data-deadline="' in countdown
    assert notify.sla_rows(db=db, incident_id=incident.id) == []  # from the plan until notify opens rows
    clock.advance(timedelta(minutes=6))
    later = sign_in("viewer").get(f"/incidents/{incident.id}?lang=en").text
    assert 'data-state="breached"' in later.split('id="sla-countdown"')[1].split("</ul>")[0]


def test_the_dashboard_shows_eta_backups_channel_health_and_intake(
    sign_in: SignIn, db: Session, clock: FrozenClock, incident: Incident
) -> None:
    incidents.add_progress(
        db=db,
        incident=incident,
        text="failover",
        eta=clock.now() + timedelta(hours=2),
        team=None,
        actor=Actor.cli("t"),
        clock=clock,
    )
    db.commit()
    assert _post(sign_in, "responder", incident, f"/incidents/{incident.id}/backups/backup-links/activate")
    page = sign_in("viewer").get("/?lang=en").text
    row = page.split(f'href="/incidents/{incident.id}">#{incident.id}')[1].split("</tr>")[0]
    assert "Backup links" in row and "CST" in row  # the ETA in the event's time zone
    assert "Channel health" in page and "tech-wecom" in page
    assert 'id="intake-status"' in page and "up to date" in page
