"""Schemathesis against our own OpenAPI document (issue 9, 3.1): every operation, called with data
generated from its schema, as an admin and as a viewer, on a SQLite database with the example plan
applied. Checks: no server error, no status code the document does not declare, no response that
does not match its declared schema (and the declared media type).

Bounded for ``make test`` (``EVENTGUARD_FUZZ_EXAMPLES`` cases per operation and caller, default 3);
``make fuzz`` runs the same with 60."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from eventguard.app import create_app
from eventguard.audit.service import Actor
from eventguard.auth import passwords
from eventguard.auth import service as auth
from eventguard.auth.models import Role, User
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database, migrate
from tests.auth.factories import CHEAP_HASHER
from tests.conftest import EXAMPLE_PLAN, LIVE_MOMENT

EXAMPLES = int(os.environ.get("EVENTGUARD_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
ROLES = ("admin", "viewer")


class Fuzzed:
    """The app under fuzzing, its database, and a fresh token per case for each role's user."""

    def __init__(self, tmp: Path) -> None:
        url = f"sqlite:///{tmp / 'fuzz.db'}"
        migrate.upgrade(url)
        self.database = Database(url)
        self.clock = FrozenClock(LIVE_MOMENT)
        self.app: FastAPI = create_app(
            Settings(database_url=url, secret_key="fuzz-secret-key", base_url="http://testserver"),
            database=self.database,
            clock=self.clock,
        )
        from eventguard.plans import service as plans

        with self.database.session(write=True) as db:
            plans.apply_plan(
                db=db,
                source=EXAMPLE_PLAN.read_text(encoding="utf-8"),
                filename=str(EXAMPLE_PLAN),
                actor=Actor.cli("fuzz"),
                clock=self.clock,
            )
            self.users = {
                role: auth.create_user(
                    db=db,
                    username=f"fuzz-{role}",
                    password="a long fuzz password",
                    role=Role(role),
                    actor=Actor.cli("fuzz"),
                    clock=self.clock,
                ).id
                for role in ROLES
            }
            db.commit()

    def headers(self, role: str) -> dict[str, str]:
        """A new token of the role's user, put back as it was made (the fuzzer may have changed its
        role, disabled it or revoked its tokens with the admin's calls)."""
        with self.database.session(write=True) as db:
            db.execute(
                update(User)
                .where(User.id == self.users[role])
                .values(role=Role(role), is_active=True, totp_enabled=False, totp_secret=None)
            )
            user = db.get_one(User, self.users[role])
            _token, secret = auth.create_token(
                db=db, user=user, name="fuzz", scopes=["admin"], actor=Actor.cli("fuzz"), clock=self.clock
            )
            db.commit()
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    hasher = passwords.HASHER
    passwords.HASHER = CHEAP_HASHER
    try:
        target = Fuzzed(tmp_path_factory.mktemp("fuzz"))
        yield target
        target.database.dispose()
    finally:
        passwords.HASHER = hasher


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)


def _operations() -> list[str]:
    document = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    return [
        f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations
    ]


OPERATIONS = _operations()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_answers_as_documented(
    operation: str, role: str, fuzzed: Fuzzed, api_schema: Any
) -> None:
    method, path = operation.split(" ", 1)
    strategy = api_schema[path][method].as_strategy()

    @FUZZ
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=fuzzed.headers(role), checks=CHECKS)

    fuzz()
