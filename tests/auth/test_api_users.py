"""The users API: admin only, except reading and adjusting yourself."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from tests.auth.factories import PASSWORD, bearer, make_token, make_user

NEW_USER = {
    "username": "bob",
    "password": "bob's long password",
    "role": "responder",
    "email": "bob@example.com",
}


def _as(
    db: Session, clock: FrozenClock, role: Role, *scopes: str, username: str | None = None
) -> dict[str, str]:
    user = make_user(db, clock, username or role.value, role=role)
    return bearer(make_token(db, clock, user, *(scopes or ("admin",))))


def test_a_viewer_gets_403_on_a_write(client: TestClient, db: Session, clock: FrozenClock) -> None:
    response = client.post("/api/v1/users", json=NEW_USER, headers=_as(db, clock, Role.viewer))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"
    assert response.json()["error"]["details"] == {"required": "admin", "role": "viewer"}


def test_a_commander_may_not_manage_users(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = _as(db, clock, Role.commander)
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post("/api/v1/users", json=NEW_USER, headers=headers).status_code == 403


def test_without_credentials_the_users_api_answers_401(client: TestClient) -> None:
    assert client.get("/api/v1/users").status_code == 401
    assert client.post("/api/v1/users", json=NEW_USER).status_code == 401
    assert client.patch("/api/v1/users/1", json={"language": "en"}).status_code == 401


def test_an_admin_creates_and_lists_users(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = _as(db, clock, Role.admin)
    created = client.post("/api/v1/users", json=NEW_USER, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert (body["username"], body["role"], body["email"]) == ("bob", "responder", "bob@example.com")
    assert "password" not in body and "password_hash" not in body
    assert [u["username"] for u in client.get("/api/v1/users", headers=headers).json()] == ["admin", "bob"]
    again = client.post("/api/v1/users", json=NEW_USER, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "username_taken"


def test_an_admin_token_with_a_write_scope_is_not_an_admin(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    response = client.post("/api/v1/users", json=NEW_USER, headers=_as(db, clock, Role.admin, "write"))
    assert response.status_code == 403


def test_bad_user_input_is_422(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = _as(db, clock, Role.admin)
    weak = client.post("/api/v1/users", json={**NEW_USER, "password": "short"}, headers=headers)
    assert weak.status_code == 422
    assert weak.json()["error"]["code"] == "password_too_short"
    unknown_role = client.post("/api/v1/users", json={**NEW_USER, "role": "god"}, headers=headers)
    assert unknown_role.status_code == 422
    assert client.patch("/api/v1/users/999", json={"language": "fr"}, headers=headers).status_code == 422
    assert client.get("/api/v1/users/not-a-number", headers=headers).status_code == 422


def test_an_admin_changes_role_and_activity(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = _as(db, clock, Role.admin)
    bob = make_user(db, clock, "bob", role=Role.viewer)
    response = client.patch(
        f"/api/v1/users/{bob.id}", json={"role": "commander", "is_active": False}, headers=headers
    )
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["is_active"]) == ("commander", False)
    assert client.patch("/api/v1/users/999", json={"role": "viewer"}, headers=headers).status_code == 404


def test_anyone_may_change_their_own_language(client: TestClient, db: Session, clock: FrozenClock) -> None:
    viewer = make_user(db, clock, "vera", role=Role.viewer)
    client.post("/api/v1/auth/login", json={"username": "vera", "password": PASSWORD})
    response = client.patch(f"/api/v1/users/{viewer.id}", json={"language": "en", "display_name": "Vera"})
    assert response.status_code == 200
    assert (response.json()["language"], response.json()["display_name"]) == ("en", "Vera")


def test_you_may_not_raise_your_own_role(client: TestClient, db: Session, clock: FrozenClock) -> None:
    viewer = make_user(db, clock, "vera", role=Role.viewer)
    client.post("/api/v1/auth/login", json={"username": "vera", "password": PASSWORD})
    response = client.patch(f"/api/v1/users/{viewer.id}", json={"role": "admin"})
    assert response.status_code == 403


def test_you_may_not_change_someone_else(client: TestClient, db: Session, clock: FrozenClock) -> None:
    bob = make_user(db, clock, "bob")
    headers = _as(db, clock, Role.commander)
    assert (
        client.patch(f"/api/v1/users/{bob.id}", json={"language": "en"}, headers=headers).status_code == 403
    )
    assert client.get(f"/api/v1/users/{bob.id}", headers=headers).status_code == 403


def test_a_read_only_token_changes_nothing_even_its_owner(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    headers = bearer(make_token(db, clock, user, "read"))
    assert client.get(f"/api/v1/users/{user.id}", headers=headers).status_code == 200
    response = client.patch(f"/api/v1/users/{user.id}", json={"language": "en"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "read_only_token"


def test_an_admin_resets_a_password(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = _as(db, clock, Role.admin)
    bob = make_user(db, clock, "bob")
    response = client.post(
        f"/api/v1/users/{bob.id}/password", json={"password": "brand new password"}, headers=headers
    )
    assert response.status_code == 204
    login = client.post("/api/v1/auth/login", json={"username": "bob", "password": "brand new password"})
    assert login.status_code == 200
