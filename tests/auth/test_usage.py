"""Token uses written off the read path (auth/usage.py): noted by authentication, written by a
write of their own once the request is answered, counted before they are written, never moved
backwards."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.auth import service, tokens, usage
from eventguard.auth.models import ApiToken, Role
from eventguard.clock import FrozenClock
from eventguard.db import Database
from tests.auth.factories import PASSWORD, make_token, make_user


def _stored(database: Database, token_id: int) -> ApiToken:
    with database.session() as reader:
        return reader.get_one(ApiToken, token_id)


def _authenticate(database: Database, uses: usage.TokenUses, secret: str, clock: FrozenClock) -> int:
    with database.session() as request:
        principal = service.authenticate_token(
            db=request, secret=secret, clock=clock, request_id=None, uses=uses
        )
        assert not request.dirty  # the request's own session only read
    assert principal.token_id is not None
    return principal.token_id


def test_a_read_notes_the_use_and_writes_it_after_answering(
    database: Database, db: Session, clock: FrozenClock, client: TestClient
) -> None:
    secret = make_token(db, clock, make_user(db, clock, "alice"), "read")
    (token_id,) = db.scalars(select(ApiToken.id)).all()
    db.commit()
    answer = client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert _stored(database, token_id).last_used_at == clock.now()
    assert usage.for_database(database).latest(token_id) is None  # written, no longer pending


def test_an_error_answer_still_writes_the_use(
    database: Database, db: Session, clock: FrozenClock, client: TestClient
) -> None:
    secret = make_token(db, clock, make_user(db, clock, "alice"), "read")
    (token_id,) = db.scalars(select(ApiToken.id)).all()
    db.commit()
    answer = client.get("/api/v1/events/no-such-event", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 404
    assert _stored(database, token_id).last_used_at == clock.now()


def test_a_use_not_written_yet_keeps_a_session_alive(
    database: Database, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice", role=Role.responder)
    _user, secret = service.login(db=db, username="alice", password=PASSWORD, totp_code=None, clock=clock)
    db.commit()
    uses = usage.TokenUses(database)
    clock.advance(tokens.SESSION_IDLE_TIMEOUT - timedelta(seconds=1))
    token_id = _authenticate(database, uses, secret, clock)
    noted = uses.latest(token_id)
    assert noted is not None and noted.expires_at == clock.now() + tokens.SESSION_IDLE_TIMEOUT
    clock.advance(timedelta(seconds=2))  # past the stored expiry, within the noted one
    stored = _stored(database, token_id)
    assert stored.expires_at is not None and stored.expires_at < clock.now()
    assert _authenticate(database, uses, secret, clock) == token_id
    uses.flush()
    assert _stored(database, token_id).expires_at == noted.expires_at


def test_a_stamp_never_moves_backwards(database: Database, db: Session, clock: FrozenClock) -> None:
    secret = make_token(db, clock, make_user(db, clock, "alice"), "read")
    token_id = _authenticate(database, usage.TokenUses(database), secret, clock)
    later = clock.now() + timedelta(minutes=5)
    with database.session(write=True) as writer:  # another process wrote a later use first
        usage.write_uses(db=writer, uses=[usage.TokenUse(token_id=token_id, at=later)])
        usage.write_uses(db=writer, uses=[usage.TokenUse(token_id=token_id, at=clock.now())])
        writer.commit()
    assert _stored(database, token_id).last_used_at == later


def test_one_database_has_one_set_of_uses(database: Database) -> None:
    assert usage.for_database(database) is usage.for_database(database)
