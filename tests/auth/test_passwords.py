"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from eventguard.auth import passwords
from eventguard.errors import InvalidInput


def test_it_hashes_with_argon2id_and_a_fresh_salt() -> None:
    first, second = passwords.hash_password("a long passphrase"), passwords.hash_password("a long passphrase")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "a long passphrase" not in first


def test_it_verifies_the_right_password_only() -> None:
    stored = passwords.hash_password("a long passphrase")
    assert passwords.verify_password(stored, "a long passphrase")
    assert not passwords.verify_password(stored, "a long passphrasE")
    assert not passwords.verify_password("not-a-hash", "a long passphrase")


def test_it_asks_for_a_rehash_when_the_parameters_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    weak = passwords.hash_password("a long passphrase")
    assert not passwords.needs_rehash(weak)
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert passwords.needs_rehash(weak)
    assert passwords.verify_password(weak, "a long passphrase")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "password_too_short"),
        ("123456789", "password_too_short"),
        ("x" * 257, "password_too_long"),
        ("Alice.Example", "password_equals_username"),
    ],
)
def test_it_refuses_weak_passwords_with_a_clear_code(password: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_policy(password, username="alice.example")
    assert caught.value.code == code


def test_the_policy_error_speaks_both_languages() -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_policy("short", username="alice")
    assert caught.value.render("en") == "The password must be at least 10 characters long."
    assert caught.value.render("zh-CN") == "密码长度至少为 10 个字符。"


def test_it_accepts_a_ten_character_password() -> None:
    passwords.check_policy("0123456789", username="alice")


def test_an_unknown_user_costs_a_verification_too() -> None:
    passwords.spend_verification_time("anything at all")  # runs without a stored hash
