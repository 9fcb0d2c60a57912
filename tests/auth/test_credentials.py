"""API tokens at rest: only a hash is stored; revocation and expiry take effect at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import service, tokens, usage
from eventguard.auth.models import ApiToken, Role
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from tests.auth.factories import make_user


def _create(db: Session, clock: FrozenClock, role: Role = Role.admin, *scopes: str) -> tuple[ApiToken, str]:
    user = make_user(db, clock, "alice", role=role)
    token, secret = service.create_token(
        db=db, user=user, name="grafana", scopes=scopes or ("write",), actor=Actor.cli(), clock=clock
    )
    db.commit()
    return token, secret


def test_it_stores_only_a_hash_of_the_token(db: Session, clock: FrozenClock) -> None:
    token, secret = _create(db, clock)
    assert token.token_hash == tokens.hash_secret(secret)
    assert secret.startswith(f"eg_{token.prefix}_")
    rows = db.execute(text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert all(secret not in str(value) for value in rows[0])
    secret_part = secret.split("_", 2)[2]
    assert all(secret_part not in str(value) for value in rows[0])


def test_the_audit_log_never_holds_the_secret_or_its_hash(db: Session, clock: FrozenClock) -> None:
    token, secret = _create(db, clock)
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "token.create"))
    assert entry.after is not None
    assert entry.after["scopes"] == ["write"]
    assert entry.after["prefix"] == token.prefix
    assert secret not in str(entry.after)
    assert token.token_hash not in str(entry.after)


def test_a_token_authenticates_its_user_with_a_capped_role(db: Session, clock: FrozenClock) -> None:
    token, secret = _create(db, clock, Role.admin, "write")
    principal = service.authenticate_token(db=db, secret=secret, clock=clock, request_id="req-1")
    assert principal.user.username == "alice"
    assert principal.role == Role.commander
    assert principal.token_id == token.id
    assert principal.actor.type == "token"
    assert principal.actor.id == principal.user.id
    assert principal.actor.request_id == "req-1"
    assert principal.language == "zh-CN"


def test_a_read_token_of_an_admin_acts_as_a_viewer(db: Session, clock: FrozenClock) -> None:
    _token, secret = _create(db, clock, Role.admin, "read")
    assert service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None).role == Role.viewer


def test_an_admin_scope_does_not_lift_a_viewer(db: Session, clock: FrozenClock) -> None:
    _token, secret = _create(db, clock, Role.viewer, "admin")
    assert service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None).role == Role.viewer


@pytest.mark.parametrize("presented", ["", "nonsense", "eg_00000000_" + "a" * 43])
def test_an_unknown_token_is_401(db: Session, clock: FrozenClock, presented: str) -> None:
    _create(db, clock)
    with pytest.raises(Unauthorized) as caught:
        service.authenticate_token(db=db, secret=presented, clock=clock, request_id=None)
    assert caught.value.code == "invalid_token"


def test_a_token_with_the_right_prefix_but_wrong_secret_is_401(db: Session, clock: FrozenClock) -> None:
    token, _secret = _create(db, clock)
    forged = f"eg_{token.prefix}_" + "b" * 43
    with pytest.raises(Unauthorized):
        service.authenticate_token(db=db, secret=forged, clock=clock, request_id=None)


def test_a_revoked_token_stops_working_at_once(db: Session, clock: FrozenClock) -> None:
    token, secret = _create(db, clock)
    service.revoke_token(db=db, token=token, actor=Actor.cli(), clock=clock)
    db.commit()
    assert token.revoked_at == clock.now()
    with pytest.raises(Unauthorized) as caught:
        service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)
    assert caught.value.code == "invalid_token"
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke"))
    assert entry.before is not None and entry.after is not None
    assert entry.before["revoked_at"] is None
    assert entry.after["revoked_at"] == clock.now().isoformat()


def test_revoking_twice_changes_nothing(db: Session, clock: FrozenClock) -> None:
    token, _secret = _create(db, clock)
    service.revoke_token(db=db, token=token, actor=Actor.cli(), clock=clock)
    first = token.revoked_at
    clock.advance(timedelta(hours=1))
    service.revoke_token(db=db, token=token, actor=Actor.cli(), clock=clock)
    assert token.revoked_at == first
    assert len(list(db.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke")))) == 1


def test_a_token_expires_at_its_expiry(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.responder)
    _token, secret = service.create_token(
        db=db,
        user=user,
        name="ci",
        scopes=["read"],
        actor=Actor.cli(),
        clock=clock,
        expires_at=clock.now() + timedelta(days=1),
    )
    db.commit()
    clock.advance(timedelta(hours=23, minutes=59))
    service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(Unauthorized) as caught:
        service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)
    assert caught.value.code == "token_expired"


def test_an_expiry_in_the_past_is_refused(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    with pytest.raises(InvalidInput) as caught:
        service.create_token(
            db=db,
            user=user,
            name="ci",
            scopes=["read"],
            actor=Actor.cli(),
            clock=clock,
            expires_at=clock.now(),
        )
    assert caught.value.code == "expiry_in_past"


def test_last_used_is_written_at_most_once_a_minute(
    database: Database, db: Session, clock: FrozenClock
) -> None:
    token, secret = _create(db, clock)
    uses = usage.TokenUses(database)

    def use() -> object:
        with database.session() as request:  # as a GET: a read session, left with nothing to write
            service.authenticate_token(db=request, secret=secret, clock=clock, request_id=None, uses=uses)
            assert not request.dirty and not request.new
        uses.flush()
        with database.session() as reader:
            return reader.get_one(ApiToken, token.id).last_used_at

    start = clock.now()
    assert use() == start
    clock.advance(timedelta(seconds=59))
    assert use() == start
    clock.advance(timedelta(seconds=1))
    assert use() == clock.now()


def test_a_disabled_users_tokens_stop_working(db: Session, clock: FrozenClock) -> None:
    token, secret = _create(db, clock, Role.responder)
    user = service.get_user(db=db, user_id=token.user_id)
    service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, is_active=False)
    with pytest.raises(Unauthorized):
        service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)


def test_a_grantor_cannot_give_more_than_their_role(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    with pytest.raises(Forbidden) as caught:
        service.create_token(
            db=db,
            user=user,
            name="x",
            scopes=["admin"],
            actor=Actor.cli(),
            clock=clock,
            grantor_role=Role.commander,
        )
    assert caught.value.code == "scope_exceeds_role"
    service.create_token(
        db=db,
        user=user,
        name="x",
        scopes=["write"],
        actor=Actor.cli(),
        clock=clock,
        grantor_role=Role.commander,
    )


def test_it_lists_live_api_tokens_newest_first(db: Session, clock: FrozenClock) -> None:
    first, _ = _create(db, clock)
    user = service.get_user(db=db, user_id=first.user_id)
    second, _ = service.create_token(
        db=db, user=user, name="b", scopes=["read"], actor=Actor.cli(), clock=clock
    )
    revoked, _ = service.create_token(
        db=db, user=user, name="c", scopes=["read"], actor=Actor.cli(), clock=clock
    )
    service.revoke_token(db=db, token=revoked, actor=Actor.cli(), clock=clock)
    assert [t.id for t in service.list_tokens(db=db, user=user)] == [second.id, first.id]
    assert len(service.list_tokens(db=db, user=user, include_revoked=True)) == 3
    with pytest.raises(NotFound):
        service.get_token(db=db, token_id=revoked.id + 100)
