"""Console sign-in (with CSRF and the plan's two-factor rule) and the overview, over HTTP."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.events.models import Event

PASSWORD = "correct horse battery"


def _user(db: Session, clock: FrozenClock, name: str, role: Role) -> None:
    auth.create_user(db=db, username=name, password=PASSWORD, role=role, actor=Actor.cli("test"), clock=clock)
    db.commit()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _sign_in(client: TestClient, name: str, password: str = PASSWORD) -> object:
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}, follow_redirects=False
    )


def test_the_console_asks_to_sign_in_first(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = client.get("/login?lang=en")
    assert "<title>Sign in · EventGuard</title>" in page.text
    client.cookies.clear()
    assert "登录" in client.get("/login").text  # zh-CN by default


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _user(db, clock, "ops", Role.responder)
    client.get("/login")
    response = client.post("/login", data={"username": "ops", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


def test_a_wrong_password_shows_an_error_on_the_page(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _user(db, clock, "ops", Role.responder)
    response = _sign_in(client, "ops", "wrong password!")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert 'role="alert"' in response.text  # type: ignore[attr-defined]


def test_a_responder_signs_in_and_sees_the_event_and_its_open_incidents(
    client: TestClient, db: Session, clock: FrozenClock, event: Event
) -> None:
    _user(db, clock, "ops", Role.responder)
    response = _sign_in(client, "ops")
    assert response.status_code == 303  # type: ignore[attr-defined]
    overview = client.get("/?lang=en")
    assert overview.status_code == 200
    assert "Cloud Summit 2026" in overview.text and "Phase" in overview.text
    assert "No open incidents." in overview.text


def test_an_admin_must_enrol_two_factor_as_the_plan_requires(
    client: TestClient, db: Session, clock: FrozenClock, event: Event
) -> None:
    _user(db, clock, "boss", Role.admin)
    assert _sign_in(client, "boss").status_code == 303  # type: ignore[attr-defined]
    redirected = client.get("/", follow_redirects=False)
    assert redirected.headers["location"] == "/account/two-factor"
    page = client.get("/account/two-factor?lang=en")
    assert 'src="data:image/png;base64,' in page.text
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page.text)
    assert secret is not None
    bad = client.post("/account/two-factor", data={"code": "000000", "csrf_token": _csrf(page.text)})
    assert bad.status_code == 400
    code = pyotp.TOTP(secret.group(1)).at(clock.now())
    good = client.post(
        "/account/two-factor", data={"code": code, "csrf_token": _csrf(bad.text)}, follow_redirects=False
    )
    assert good.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def test_the_language_choice_is_remembered(client: TestClient) -> None:
    assert "Sign in" in client.get("/login?lang=en").text
    assert "<title>Sign in · EventGuard</title>" in client.get("/login").text
    assert "<title>登录 · EventGuard</title>" in client.get("/login?lang=zh-CN").text


def test_signing_out_needs_the_pages_form_token(client: TestClient, db: Session, clock: FrozenClock) -> None:
    _user(db, clock, "ops", Role.responder)
    _sign_in(client, "ops")
    overview = client.get("/?lang=en")
    assert overview.headers["cache-control"] == "no-store"  # a signed-in page is never cached
    forged = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and 'role="alert"' in forged.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in
    token = _csrf(overview.text)  # the sign-out form's
    signed_out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_locked_sign_in_says_when_to_try_again(client: TestClient, db: Session, clock: FrozenClock) -> None:
    from eventguard.auth import sessions

    _user(db, clock, "ops", Role.responder)
    for _ in range(sessions.MAX_FAILURES):
        _sign_in(client, "ops", "wrong password!")
    locked = _sign_in(client, "ops")
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert locked.headers["retry-after"] == "60"  # type: ignore[attr-defined]
