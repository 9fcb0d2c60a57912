"""The login and own-account API: cookies, sessions, two-factor set-up, and 401 vs 403."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.auth import sessions
from eventguard.auth.deps import SESSION_COOKIE
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from tests.auth.factories import PASSWORD, apply_example_plan, bearer, code_at, enrol, make_token, make_user


def _login(client: TestClient, username: str = "alice", **extra: str) -> dict[str, object]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_login_answers_a_session_and_sets_an_httponly_lax_cookie(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice", role=Role.responder)
    response = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("eg_")
    assert body["user"]["role"] == "responder"
    assert body["totp_enrollment_required"] is False
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={body['token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # base_url is http://testserver


def test_the_cookie_is_secure_behind_https(
    app: FastAPI, client: TestClient, db: Session, clock: FrozenClock
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"base_url": "https://eg.example"})
    make_user(db, clock, "alice")
    response = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


def test_the_cookie_authenticates_later_requests(client: TestClient, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    _login(client)
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "alice"
    assert me.json()["token_kind"] == "session"


def test_a_bearer_session_token_works_too(client: TestClient, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    token = str(_login(client)["token"])
    client.cookies.clear()
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200


def test_no_credentials_answer_401_in_the_envelope(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_bad_token_answers_401(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me", headers=bearer("eg_deadbeef_" + "x" * 43))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_failed_login_answers_401_in_the_callers_language(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice")
    payload = {"username": "alice", "password": "wrong password"}
    english = client.post("/api/v1/auth/login", json=payload, headers={"Accept-Language": "en"})
    chinese = client.post("/api/v1/auth/login", json=payload, headers={"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 401
    assert english.json()["error"] == {
        "code": "invalid_credentials",
        "message": "The username or password is wrong.",
        "details": None,
    }
    assert chinese.json()["error"]["message"] == "用户名或密码错误。"


def test_a_locked_login_answers_429_and_the_failures_persist(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice")
    for _ in range(sessions.MAX_FAILURES):
        client.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong password"})
    response = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "login_locked"
    assert response.json()["error"]["details"] == {"retry_after": 60}
    assert response.headers["retry-after"] == "60"
    clock.advance(timedelta(minutes=1))
    assert (
        client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    )


def test_a_malformed_login_is_422_not_500(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "alice"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_logout_ends_the_session_and_clears_the_cookie(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice")
    token = str(_login(client)["token"])
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_a_cross_origin_write_with_the_cookie_is_refused(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice")
    _login(client)
    response = client.post("/api/v1/auth/logout", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross_origin_request"
    assert client.post("/api/v1/auth/logout", headers={"Origin": "http://testserver"}).status_code == 204


def test_you_change_your_password_with_the_current_one(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice")
    _login(client)
    wrong = client.post(
        "/api/v1/auth/password", json={"old_password": "nope nope nope", "new_password": "x" * 12}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "wrong_password"
    weak = client.post("/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 422
    assert weak.json()["error"]["code"] == "password_too_short"
    ok = client.post(
        "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "a new password"}
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 200  # this session survives


def test_two_factor_enrolment_over_the_api(client: TestClient, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice", role=Role.admin)
    _login(client)
    enrolment = client.post("/api/v1/auth/totp/enroll")
    assert enrolment.status_code == 200
    secret = enrolment.json()["secret"]
    assert enrolment.json()["otpauth_uri"].startswith("otpauth://totp/EventGuard:alice")
    qr = client.get("/api/v1/auth/totp/qr.png")
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG")
    confirm = client.post("/api/v1/auth/totp/confirm", json={"code": code_at(secret, clock.now())})
    assert confirm.status_code == 200
    assert confirm.json()["user"]["totp_enabled"] is True
    assert client.get("/api/v1/auth/totp/qr.png").status_code == 409
    client.cookies.clear()
    missing = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "totp_required"
    clock.advance(timedelta(seconds=30))
    _login(client, totp_code=code_at(secret, clock.now()))


def test_two_factor_set_up_needs_a_session_not_an_api_token(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    user = make_user(db, clock, "alice")
    token = make_token(db, clock, user, "admin")
    response = client.post("/api/v1/auth/totp/enroll", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "session_required"


def test_you_turn_two_factor_off_with_a_code(client: TestClient, db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    secret = enrol(db, clock, user)
    _login(client, totp_code=code_at(secret, clock.now()))
    assert client.post("/api/v1/auth/totp/disable", json={}).status_code == 422
    clock.advance(timedelta(seconds=30))
    response = client.post("/api/v1/auth/totp/disable", json={"code": code_at(secret, clock.now())})
    assert response.status_code == 204
    db.refresh(user)
    assert not user.totp_enabled


def test_only_an_admin_turns_off_another_users_two_factor(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    alice = make_user(db, clock, "alice", role=Role.commander)
    enrol(db, clock, alice)
    bob = make_user(db, clock, "bob", role=Role.commander)
    root = make_user(db, clock, "root", role=Role.admin)
    refused = client.post(
        "/api/v1/auth/totp/disable",
        json={"user_id": alice.id},
        headers=bearer(make_token(db, clock, bob, "write")),
    )
    assert refused.status_code == 403
    allowed = client.post(
        "/api/v1/auth/totp/disable", json={"user_id": alice.id}, headers=bearer(make_token(db, clock, root))
    )
    assert allowed.status_code == 204


def test_a_required_but_missing_enrolment_limits_the_session_to_enrolment(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    apply_example_plan(db, clock)  # require_2fa_for: [commander, admin]
    make_user(db, clock, "alice", role=Role.commander)
    body = _login(client)
    assert body["totp_enrollment_required"] is True
    blocked = client.get("/api/v1/tokens")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "totp_enrollment_required"
    assert client.get("/api/v1/auth/me").json()["totp_enrollment_required"] is True
    secret = client.post("/api/v1/auth/totp/enroll").json()["secret"]
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"code": code_at(secret, clock.now())})
    assert confirmed.json()["totp_enrollment_required"] is False
    assert client.get("/api/v1/tokens").status_code == 200


def test_roles_outside_the_two_factor_policy_log_in_fully(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    apply_example_plan(db, clock)
    make_user(db, clock, "alice", role=Role.responder)
    assert _login(client)["totp_enrollment_required"] is False
