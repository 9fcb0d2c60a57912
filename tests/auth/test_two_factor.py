"""TOTP enrolment: pending until confirmed with a real code; replay refused; removal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import service
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.errors import Conflict, Unauthorized
from tests.auth.factories import code_at, enrol, make_user, wrong_code


def test_enrolment_stores_a_secret_that_is_not_in_force_yet(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.commander)
    enrolment = service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    assert user.totp_secret == enrolment.secret
    assert not user.totp_enabled
    assert enrolment.uri.startswith("otpauth://totp/EventGuard:alice?")
    assert service.pending_uri(user=user) == enrolment.uri
    assert service.totp_qr_png(user=user).startswith(b"\x89PNG")


def test_a_valid_code_confirms_the_enrolment(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    enrolment = service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    service.totp_confirm(
        db=db, user=user, code=code_at(enrolment.secret, clock.now()), actor=Actor.cli(), clock=clock
    )
    assert user.totp_enabled
    with pytest.raises(Conflict) as again:
        service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    assert again.value.code == "totp_already_enabled"
    with pytest.raises(Conflict):
        service.totp_qr_png(user=user)  # an enabled secret is never shown again


def test_a_wrong_code_does_not_confirm(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    enrolment = service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    with pytest.raises(Unauthorized) as caught:
        service.totp_confirm(
            db=db, user=user, code=wrong_code(enrolment.secret, clock.now()), actor=Actor.cli(), clock=clock
        )
    assert caught.value.code == "totp_invalid"
    assert not user.totp_enabled


def test_a_code_from_the_previous_step_is_still_accepted(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    enrolment = service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    earlier = code_at(enrolment.secret, clock.now() - timedelta(seconds=30))
    service.totp_confirm(db=db, user=user, code=earlier, actor=Actor.cli(), clock=clock)
    assert user.totp_enabled


def test_the_confirming_code_cannot_be_replayed(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    enrolment = service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    code = code_at(enrolment.secret, clock.now())
    service.totp_confirm(db=db, user=user, code=code, actor=Actor.cli(), clock=clock)
    with pytest.raises(Unauthorized):
        service.totp_disable(db=db, user=user, code=code, actor=Actor.cli(), clock=clock)
    clock.advance(timedelta(seconds=30))
    service.totp_disable(
        db=db, user=user, code=code_at(enrolment.secret, clock.now()), actor=Actor.cli(), clock=clock
    )
    assert not user.totp_enabled
    assert user.totp_secret is None


def test_confirming_needs_an_enrolment_in_progress(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    with pytest.raises(Conflict) as caught:
        service.totp_confirm(db=db, user=user, code="123456", actor=Actor.cli(), clock=clock)
    assert caught.value.code == "totp_not_pending"


def test_an_admin_may_turn_it_off_without_a_code(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    enrol(db, clock, user)
    service.totp_disable(db=db, user=user, code=None, actor=Actor.cli(), clock=clock)
    assert not user.totp_enabled
    with pytest.raises(Conflict) as caught:
        service.totp_disable(db=db, user=user, code=None, actor=Actor.cli(), clock=clock)
    assert caught.value.code == "totp_not_enabled"


def test_the_audit_log_records_two_factor_changes_without_the_secret(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    secret = enrol(db, clock, user)
    entries = list(
        db.scalars(select(AuditEntry).where(AuditEntry.action.like("user.totp%")).order_by(AuditEntry.id))
    )
    assert [e.action for e in entries] == ["user.totp_enrol", "user.totp_enable"]
    assert entries[1].before == {"totp_enabled": False, "totp_pending": True}
    assert entries[1].after == {"totp_enabled": True, "totp_pending": True}
    assert all(secret not in f"{e.before}{e.after}" for e in entries)
