"""Drafting public updates from the plan's announcement templates, with public facts only."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.models import PublicStatus, PublicUpdate, UpdateState
from eventguard.comms.updates import approval as publishing
from eventguard.comms.updates import drafts as public
from eventguard.errors import Conflict, InvalidInput
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans
from tests.comms.conftest import BASE_URL, TESTER, declare


def _draft(db: Session, event: Event, clock: FrozenClock, **choices: object) -> PublicUpdate:
    incident = declare(db, event, clock, title="HLSPlaylistStale on edge-7", impact="edge-7 dead, ask Bob")
    spec = plans.get_active_plan(db=db, event_id=event.id)
    draft = public.DraftInput(**choices)
    update = public.create_draft(
        db=db, incident=incident, spec=spec, draft=draft, base_url=BASE_URL, actor=TESTER, clock=clock
    )
    db.commit()
    return update


def test_a_draft_is_written_from_the_scenarios_announcement_template_in_both_languages(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    update = _draft(
        db, event, clock, variables={"eta": "13:30", "compensation": {"zh-CN": "优惠券", "en": "a voucher"}}
    )
    assert update.state is UpdateState.draft and update.template_id is None
    assert update.title == {"zh-CN": "直播暂时中断的说明", "en": "The livestream is interrupted"}
    assert "预计 13:30 恢复" in update.body["zh-CN"] and "补偿方案:优惠券" in update.body["zh-CN"]
    assert (
        "we expect it back by 13:30" in update.body["en"] and "Compensation: a voucher" in update.body["en"]
    )
    assert f"{BASE_URL}/status/{event.slug}" in update.body["en"]
    assert update.impact == "major" and update.components == ["livestream"]


def test_defaults_never_take_the_internal_title_impact_or_console_links(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    update = _draft(db, event, clock, template_id="general-announcement")
    text = " ".join([*update.title.values(), *update.body.values()])
    assert "edge-7" not in text and "Bob" not in text and "HLSPlaylistStale" not in text
    assert "/incidents/" not in text and "/ack/" not in text
    assert "Livestream affected" in update.body["en"] and "直播流受到影响" in update.body["zh-CN"]


def test_hand_written_text_replaces_the_template_and_needs_both_languages(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    update = _draft(
        db,
        event,
        clock,
        title={"zh-CN": "直播恢复中", "en": "Restoring"},
        body={"zh-CN": "稍候", "en": "Hold on"},
    )
    assert update.edited and update.body == {"zh-CN": "稍候", "en": "Hold on"}
    with pytest.raises(InvalidInput):
        _draft(db, event, clock, title={"en": "Only English"}, body={"en": "x"})


def test_unknown_templates_variables_components_and_impacts_are_refused(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    for choices in (
        {"template_id": "incident-notification"},  # a notification template, not an announcement
        {"variables": {"ack_url": "x"}},
        {"variables": {"eta": 5}},
        {"components": ["teleport"]},
        {"impact": "apocalyptic"},
    ):
        with pytest.raises(InvalidInput):
            _draft(db, event, clock, **choices)
        db.rollback()


def test_a_resolved_update_uses_the_built_in_text(db: Session, event: Event, clock: FrozenClock) -> None:
    update = _draft(db, event, clock, status=PublicStatus.resolved)
    assert update.title["en"] == "Cloud Summit 2026: resolved"
    assert "The problem affecting Livestream has been resolved" in update.body["en"]
    assert update.body["zh-CN"].startswith("影响直播流的问题已经解决")


def test_editing_a_draft_fills_it_again_voids_its_approval_request_and_a_published_one_is_final(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    update = _draft(db, event, clock)
    incident = incidents.get(db=db, incident_id=update.incident_id)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    update.state = UpdateState.pending_approval
    public.edit(
        db=db,
        update=update,
        incident=incident,
        spec=spec,
        draft=public.DraftInput(variables={"eta": "14:00"}),
        base_url=BASE_URL,
        actor=TESTER,
        clock=clock,
    )
    assert update.state is UpdateState.draft and "14:00" in update.body["en"]
    publishing.publish(db=db, update=update, incident=incident, actor=TESTER, clock=clock)
    with pytest.raises(Conflict):
        public.edit(
            db=db,
            update=update,
            incident=incident,
            spec=spec,
            draft=public.DraftInput(),
            base_url=BASE_URL,
            actor=TESTER,
            clock=clock,
        )
