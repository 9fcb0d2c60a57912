"""Password hashing (argon2id) and the minimum password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eventguard.errors import InvalidInput
from eventguard.i18n import Message

MIN_LENGTH = 10
# Long enough for any pass phrase; stops a megabyte "password" from costing a megabyte of hashing.
MAX_LENGTH = 256

# argon2-cffi's defaults are the RFC 9106 "low memory" profile (argon2id, 64 MiB, t=3). A module
# attribute so a stronger profile can be configured, and so tests can use a cheap one: hashes made
# with other parameters still verify, and ``needs_rehash`` upgrades them at the next login.
HASHER = PasswordHasher()

# Verified against when the user does not exist, so an unknown name costs as long as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


def check_policy(password: str, *, username: str) -> None:
    """Refuse passwords that are too short, too long, or the username itself (InvalidInput)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            Message(
                "The password must be at least {min_length} characters long.", {"min_length": MIN_LENGTH}
            ),
            code="password_too_short",
            details={"min_length": MIN_LENGTH},
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            Message("The password must be at most {max_length} characters long.", {"max_length": MAX_LENGTH}),
            code="password_too_long",
            details={"max_length": MAX_LENGTH},
        )
    if password.strip().casefold() == username.strip().casefold():
        raise InvalidInput(Message("The password must not be the username."), code="password_equals_username")


def hash_password(password: str) -> str:
    """An argon2id hash with a fresh random salt."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed stored hash counts as no match."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def spend_verification_time(password: str) -> None:
    """Do the work of one verification without a user, so timing does not tell whether a name exists."""
    key = repr((HASHER.time_cost, HASHER.memory_cost, HASHER.parallelism))
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = HASHER.hash("eventguard-no-such-user")
    verify_password(_DUMMY_HASH[key], password)
