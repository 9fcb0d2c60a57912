"""TOTP codes: checked against real pyotp codes at explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp

from eventguard.auth import totp

AT = datetime(2026, 5, 20, 1, 0, 10, tzinfo=UTC)


def test_a_current_code_is_accepted_and_its_step_returned() -> None:
    secret = totp.new_secret()
    step = totp.accepted_step(secret, pyotp.TOTP(secret).at(AT), at=AT, last_step=None)
    assert step == pyotp.TOTP(secret).timecode(AT)


def test_codes_one_step_either_side_are_accepted_but_not_two() -> None:
    secret = totp.new_secret()
    for offset, accepted in [(-1, True), (1, True), (-2, False), (2, False)]:
        code = pyotp.TOTP(secret).at(AT, counter_offset=offset)
        assert (totp.accepted_step(secret, code, at=AT, last_step=None) is not None) is accepted, offset


def test_a_used_code_cannot_be_replayed() -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(AT)
    step = totp.accepted_step(secret, code, at=AT, last_step=None)
    assert totp.accepted_step(secret, code, at=AT + timedelta(seconds=5), last_step=step) is None


def test_an_older_code_is_refused_after_a_newer_one() -> None:
    secret = totp.new_secret()
    current = totp.accepted_step(secret, pyotp.TOTP(secret).at(AT), at=AT, last_step=None)
    previous = pyotp.TOTP(secret).at(AT, counter_offset=-1)
    assert totp.accepted_step(secret, previous, at=AT, last_step=current) is None


def test_a_next_code_is_accepted_after_the_current_one() -> None:
    secret = totp.new_secret()
    current = totp.accepted_step(secret, pyotp.TOTP(secret).at(AT), at=AT, last_step=None)
    later = AT + timedelta(seconds=30)
    assert totp.accepted_step(secret, pyotp.TOTP(secret).at(later), at=later, last_step=current) is not None


def test_malformed_codes_are_refused() -> None:
    secret = totp.new_secret()
    for code in ["", "12345", "1234567", "abcdef", "12 34 5x"]:
        assert totp.accepted_step(secret, code, at=AT, last_step=None) is None


def test_spaces_inside_a_code_are_ignored() -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(AT)
    assert totp.accepted_step(secret, f"{code[:3]} {code[3:]}", at=AT, last_step=None) is not None


def test_the_provisioning_uri_names_eventguard_as_issuer() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, account="alice")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert parse_qs(parts.query)["issuer"] == ["EventGuard"]
    assert parse_qs(parts.query)["secret"] == [secret]


def test_the_qr_code_is_a_png() -> None:
    png = totp.qr_png(totp.provisioning_uri(totp.new_secret(), account="alice"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
