"""Users, tokens and sessions for tests, made through the auth service like real ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import passwords, service
from eventguard.auth.models import Role, User
from eventguard.clock import Clock

EXAMPLE_PLAN = Path(__file__).resolve().parents[2] / "examples" / "plans" / "online-conference.yaml"
PASSWORD = "correct horse battery"
# Argon2id still, with the smallest cost: the defaults spend ~0.1 s per hash, hundreds of times a run.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(passwords, "HASHER", CHEAP_HASHER)
    yield


def make_user(
    db: Session, clock: Clock, username: str = "alice", role: Role = Role.viewer, password: str = PASSWORD
) -> User:
    user = service.create_user(
        db=db, username=username, password=password, role=role, actor=Actor.cli(), clock=clock
    )
    db.commit()
    return user


def make_token(db: Session, clock: Clock, user: User, *scopes: str) -> str:
    _token, secret = service.create_token(
        db=db, user=user, name="test", scopes=scopes or ("admin",), actor=Actor.cli(), clock=clock
    )
    db.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def code_at(secret: str, moment: datetime, *, steps: int = 0) -> str:
    """The code an authenticator app shows at ``moment`` (shifted by whole 30-second steps)."""
    return pyotp.TOTP(secret).at(moment, counter_offset=steps)


def wrong_code(secret: str, moment: datetime) -> str:
    """A well-formed code that is valid at no step near ``moment``."""
    near = {code_at(secret, moment, steps=offset) for offset in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(10)) if code not in near)


def enrol(db: Session, clock: Clock, user: User) -> str:
    """Turn two-factor on for ``user``; returns the secret. Uses the code of the previous step, so
    the current step's code is still fresh for the test."""
    enrolment = service.totp_begin_enrolment(db=db, user=user, actor=Actor.cli(), clock=clock)
    service.totp_confirm(
        db=db,
        user=user,
        code=code_at(enrolment.secret, clock.now(), steps=-1),
        actor=Actor.cli(),
        clock=clock,
    )
    db.commit()
    return enrolment.secret


def apply_example_plan(db: Session, clock: Clock) -> None:
    """The shipped example plan, which requires two-factor for commanders and admins."""
    from eventguard.plans import service as plans

    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    plans.apply_plan(db=db, source=source, filename=str(EXAMPLE_PLAN), actor=Actor.cli(), clock=clock)
    db.commit()
