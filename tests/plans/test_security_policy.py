"""A plan's security policy (``security``: who must use two-factor authentication …) changes only by
an admin, whatever the path: the API, the console upload, the command line. Below admin the whole
plan is refused with 403 naming the fields; an admin's change is audited with before and after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.errors import Forbidden
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.plans.cli import register
from tests.conftest import AuthHeaders
from tests.plans.helpers import edit
from tests.web.conftest import SignIn, csrf_of, sign_in

__all__ = ["sign_in"]

SLUG = "cloud-summit-2026"
YAML = {"Content-Type": "application/yaml"}
TWO_FACTOR = "require_2fa_for: [commander, admin]"


def _without_two_factor(source: str) -> str:
    return edit(source, TWO_FACTOR, "require_2fa_for: []")


def _versions(db: Session) -> list[int]:
    db.commit()  # a fresh snapshot
    numbers = [version.number for version in plans.list_versions(db=db, slug=SLUG)]
    db.commit()  # and none kept: the test's session writes next (SQLite snapshots)
    return numbers


def _security_entries(db: Session) -> list[AuditEntry]:
    """Security changes after the ``event`` fixture's (its first plan sets the policy, by the CLI)."""
    db.commit()
    query = select(AuditEntry).where(
        AuditEntry.action == "plan.security_change", AuditEntry.actor_name != "test"
    )
    entries = list(db.scalars(query))
    db.commit()
    return entries


def _post(client: TestClient, headers: dict[str, str], source: str, lang: str = "en") -> dict[str, object]:
    answer = client.post(
        "/api/v1/plans", content=source.encode(), headers={**headers, **YAML, "Accept-Language": lang}
    )
    body: dict[str, object] = {"status": answer.status_code, **answer.json()}
    return body


def test_a_commander_cannot_switch_two_factor_off(
    client: TestClient, auth_headers: AuthHeaders, event: Event, example_source: str, db: Session
) -> None:
    # Also a change elsewhere in the plan: nothing of it may be applied.
    source = edit(_without_two_factor(example_source), "default_level: 3", "default_level: 2")
    body = _post(client, auth_headers("commander"), source)
    assert body["status"] == 403
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "security_policy_admin_only"
    assert error["details"] == {"fields": ["security.require_2fa_for"], "role": "commander"}
    assert "security.require_2fa_for" in error["message"] and "admin" in error["message"]
    chinese = _post(client, auth_headers("commander"), source, lang="zh-CN")["error"]
    assert isinstance(chinese, dict)
    assert "security.require_2fa_for" in chinese["message"] and "管理员" in chinese["message"]
    assert _versions(db) == [1]
    assert plans.two_factor_roles(db=db) == {"commander", "admin"}
    assert _security_entries(db) == []
    # The fixture's first plan, by the command line, was audited as setting the policy.
    (first,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "plan.security_change"))
    assert first.before == {"version": None, "require_2fa_for": []}


def test_a_commander_may_change_the_rest_of_the_plan(
    client: TestClient, auth_headers: AuthHeaders, event: Event, example_source: str, db: Session
) -> None:
    # The same roles in another order are the same policy.
    source = edit(example_source, TWO_FACTOR, "require_2fa_for: [admin, commander]")
    source = edit(source, "default_level: 3", "default_level: 2")
    assert _post(client, auth_headers("commander"), source)["status"] == 201
    assert _versions(db) == [2, 1]
    assert _security_entries(db) == []


def test_an_admin_s_change_is_applied_and_audited(
    client: TestClient, auth_headers: AuthHeaders, event: Event, example_source: str, db: Session
) -> None:
    source = edit(example_source, TWO_FACTOR, "require_2fa_for: [responder, commander, admin]")
    assert _post(client, auth_headers("admin"), source)["status"] == 201
    assert plans.two_factor_roles(db=db) == {"responder", "commander", "admin"}
    (entry,) = _security_entries(db)
    assert (entry.actor_type, entry.actor_name, entry.target_id) == ("token", "admin-user/test", SLUG)
    assert entry.before == {"version": 1, "require_2fa_for": ["admin", "commander"]}
    assert entry.after == {
        "version": 2,
        "fields": ["security.require_2fa_for"],
        "require_2fa_for": ["admin", "commander", "responder"],
    }


def test_an_admin_s_token_without_the_admin_scope_acts_below_admin(
    client: TestClient, event: Event, example_source: str, db: Session, clock: FrozenClock
) -> None:
    user = auth.create_user(
        db=db,
        username="root",
        password="a long test password",
        role=Role.admin,
        actor=Actor.cli(),
        clock=clock,
    )
    _token, secret = auth.create_token(
        db=db, user=user, name="ci", scopes=["write"], actor=Actor.cli(), clock=clock
    )
    db.commit()
    body = _post(client, {"Authorization": f"Bearer {secret}"}, _without_two_factor(example_source))
    assert body["status"] == 403
    assert _versions(db) == [1]


def test_a_commander_s_new_event_may_not_bring_its_own_security_policy(
    client: TestClient, auth_headers: AuthHeaders, example_source: str, db: Session
) -> None:
    # An event's first plan changes its security settings from the defaults (no requirement).
    refused = _post(client, auth_headers("commander"), example_source)
    assert refused["status"] == 403
    assert _versions_of_any(db) == 0
    plain = edit(example_source, TWO_FACTOR, "require_2fa_for: []")
    assert _post(client, auth_headers("commander"), plain)["status"] == 201
    assert _post(client, auth_headers("admin"), example_source)["status"] == 201


def _versions_of_any(db: Session) -> int:
    from eventguard.plans.models import PlanVersion

    db.commit()
    count = len(db.scalars(select(PlanVersion)).all())
    db.commit()
    return count


def test_a_user_actor_without_a_role_is_refused_by_the_service(
    db: Session, clock: FrozenClock, event: Event, example_source: str
) -> None:
    # Callers that act for a user must say with which role; leaving it out never grants admin.
    with pytest.raises(Forbidden) as caught:
        plans.apply_plan(
            db=db,
            source=_without_two_factor(example_source),
            filename="plan.yaml",
            actor=Actor(type="user", name="mallory", id=1),
            clock=clock,
        )
    assert caught.value.code == "security_policy_admin_only"
    db.rollback()
    assert _versions(db) == [1]


def test_a_commander_s_console_upload_is_refused_with_the_fields(
    sign_in: SignIn, event: Event, example_source: str, db: Session
) -> None:
    client = sign_in("commander")
    token = csrf_of(client.get(f"/events/{SLUG}/plan").text)
    answer = client.post(
        f"/events/{SLUG}/plan?lang=en",
        data={"csrf_token": token, "source": _without_two_factor(example_source)},
    )
    assert answer.status_code == 403
    assert "The plan was not applied" in answer.text
    assert "security.require_2fa_for" in answer.text
    assert _versions(db) == [1]
    admin = sign_in("admin")
    token = csrf_of(admin.get(f"/events/{SLUG}/plan").text)
    done = admin.post(
        f"/events/{SLUG}/plan",
        data={"csrf_token": token, "source": _without_two_factor(example_source)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _versions(db) == [2, 1]
    (entry,) = _security_entries(db)
    assert (entry.actor_type, entry.actor_name) == ("user", "admin-web")


@pytest.fixture
def cli(database: Database, db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    yield app
    get_settings.cache_clear()


def test_the_command_line_acts_as_the_operator_and_is_audited(
    cli: typer.Typer, event: Event, example_source: str, db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(_without_two_factor(example_source), encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "apply", str(path), "--author", "ops"])
    assert result.exit_code == 0, result.output
    assert plans.two_factor_roles(db=db) == set()
    (entry,) = _security_entries(db)
    assert (entry.actor_type, entry.actor_name) == ("cli", "ops")
    assert entry.before is not None and entry.before["require_2fa_for"] == ["admin", "commander"]
    assert entry.after is not None and entry.after["require_2fa_for"] == []
