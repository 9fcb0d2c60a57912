"""Token secrets, their hash, and how scopes cap a token's role."""

from __future__ import annotations

import hashlib

import pytest

from eventguard.auth import tokens
from eventguard.auth.models import Role
from eventguard.auth.tokens import Scope
from eventguard.errors import Forbidden, InvalidInput


def test_a_secret_carries_its_lookup_prefix() -> None:
    prefix, secret = tokens.generate_secret()
    assert secret.startswith(f"eg_{prefix}_")
    assert len(prefix) == 8
    assert tokens.prefix_of(secret) == prefix


def test_every_secret_is_new() -> None:
    assert len({tokens.generate_secret()[1] for _ in range(100)}) == 100


def test_the_stored_hash_is_sha256_of_the_secret() -> None:
    _prefix, secret = tokens.generate_secret()
    stored = tokens.hash_secret(secret)
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert tokens.hash_matches(stored, secret)
    assert not tokens.hash_matches(stored, secret[:-1] + ("A" if secret[-1] != "A" else "B"))


@pytest.mark.parametrize("secret", ["", "eg_", "eg_zzzzzzzz_" + "a" * 43, "Bearer x", "eg_0123abcd_short"])
def test_a_malformed_secret_has_no_prefix(secret: str) -> None:
    assert tokens.prefix_of(secret) is None


@pytest.mark.parametrize(
    ("user_role", "scopes", "expected"),
    [
        (Role.admin, ["read"], Role.viewer),
        (Role.admin, ["write"], Role.commander),
        (Role.admin, ["admin"], Role.admin),
        (Role.admin, ["read", "write"], Role.commander),
        (Role.responder, ["write"], Role.responder),
        (Role.viewer, ["admin"], Role.viewer),
        (Role.commander, ["admin"], Role.commander),
    ],
)
def test_a_token_acts_with_the_lower_of_its_users_role_and_its_scope(
    user_role: Role, scopes: list[str], expected: Role
) -> None:
    assert tokens.effective_role(user_role, "api", scopes) == expected


def test_a_session_is_not_capped() -> None:
    assert tokens.effective_role(Role.admin, "session", []) == Role.admin


def test_it_refuses_unknown_and_missing_scopes() -> None:
    with pytest.raises(InvalidInput) as unknown:
        tokens.parse_scopes(["read", "root"])
    assert unknown.value.code == "unknown_scope"
    with pytest.raises(InvalidInput) as missing:
        tokens.parse_scopes([])
    assert missing.value.code == "no_scope"
    assert tokens.parse_scopes(["admin", "read", "read"]) == [Scope.read, Scope.admin]


def test_nobody_grants_more_than_their_role() -> None:
    tokens.check_grantable([Scope.read], Role.viewer)
    tokens.check_grantable([Scope.write], Role.responder)
    with pytest.raises(Forbidden) as caught:
        tokens.check_grantable([Scope.read, Scope.write], Role.viewer)
    assert caught.value.code == "scope_exceeds_role"
    with pytest.raises(Forbidden):
        tokens.check_grantable([Scope.admin], Role.commander)
