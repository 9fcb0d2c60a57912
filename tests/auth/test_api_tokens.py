"""The tokens API: your own tokens, scopes no wider than your role; admins manage anyone's."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from tests.auth.factories import PASSWORD, bearer, make_token, make_user


def _session(client: TestClient, db: Session, clock: FrozenClock, username: str, role: Role) -> int:
    user = make_user(db, clock, username, role=role)
    assert (
        client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).status_code
        == 200
    )
    return user.id


def test_you_create_a_token_and_see_its_secret_once(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _session(client, db, clock, "alice", Role.commander)
    created = client.post(
        "/api/v1/tokens", json={"name": "grafana", "scopes": ["write"], "expires_in_days": 30}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith(f"eg_{body['token']['prefix']}_")
    assert body["token"]["expires_at"] == (clock.now() + timedelta(days=30)).isoformat().replace(
        "+00:00", "Z"
    )
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["grafana"]
    assert "secret" not in listed[0] and "token_hash" not in listed[0]
    me = client.get("/api/v1/auth/me", headers=bearer(body["secret"])).json()
    assert (me["role"], me["token_kind"], me["scopes"]) == ("commander", "api", ["write"])


def test_a_token_may_not_carry_more_than_your_role(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _session(client, db, clock, "vera", Role.viewer)
    refused = client.post("/api/v1/tokens", json={"name": "x", "scopes": ["write"]})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "scope_exceeds_role"
    assert client.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]}).status_code == 201


def test_a_write_token_of_an_admin_cannot_mint_an_admin_token(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    admin = make_user(db, clock, "root", role=Role.admin)
    headers = bearer(make_token(db, clock, admin, "write"))
    response = client.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]}, headers=headers)
    assert response.status_code == 403


def test_a_read_only_token_cannot_mint_tokens(client: TestClient, db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    response = client.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["read"]},
        headers=bearer(make_token(db, clock, user, "read")),
    )
    assert response.status_code == 403


def test_an_unknown_scope_or_past_expiry_is_422(client: TestClient, db: Session, clock: FrozenClock) -> None:
    _session(client, db, clock, "alice", Role.admin)
    assert client.post("/api/v1/tokens", json={"name": "x", "scopes": ["root"]}).status_code == 422
    assert client.post("/api/v1/tokens", json={"name": "x", "scopes": []}).status_code == 422
    past = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"}
    )
    assert past.status_code == 422
    assert past.json()["error"]["code"] == "expiry_in_past"
    naive = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read"], "expires_at": "2030-01-01T00:00"}
    )
    assert naive.status_code == 422


def test_a_revoked_token_answers_401(client: TestClient, db: Session, clock: FrozenClock) -> None:
    _session(client, db, clock, "alice", Role.responder)
    created = client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["write"]}).json()
    headers = bearer(created["secret"])
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{created['token']['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.get("/api/v1/tokens").json() == []


def test_someone_elses_token_is_not_found(client: TestClient, db: Session, clock: FrozenClock) -> None:
    bob = make_user(db, clock, "bob", role=Role.commander)
    token, _secret = service.create_token(
        db=db, user=bob, name="bot", scopes=["write"], actor=Actor.cli(), clock=clock
    )
    db.commit()
    _session(client, db, clock, "alice", Role.commander)
    assert client.get("/api/v1/tokens", params={"user_id": bob.id}).status_code == 403
    response = client.delete(f"/api/v1/tokens/{token.id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "token_not_found"


def test_an_admin_manages_anyones_tokens(client: TestClient, db: Session, clock: FrozenClock) -> None:
    bob = make_user(db, clock, "bob", role=Role.responder)
    bobs_secret = make_token(db, clock, bob, "write")
    _session(client, db, clock, "root", Role.admin)
    listed = client.get("/api/v1/tokens", params={"user_id": bob.id}).json()
    assert [t["user_id"] for t in listed] == [bob.id]
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}").status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(bobs_secret)).status_code == 401
    made = client.post("/api/v1/tokens", json={"name": "bot", "scopes": ["admin"], "user_id": bob.id})
    assert made.status_code == 201
    me = client.get("/api/v1/auth/me", headers=bearer(made.json()["secret"])).json()
    assert (me["user"]["username"], me["role"]) == ("bob", "responder")  # capped by bob's own role


def test_sessions_are_listed_apart_from_api_tokens(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _session(client, db, clock, "alice", Role.viewer)
    assert client.get("/api/v1/tokens").json() == []
    sessions = client.get("/api/v1/tokens", params={"kind": "session"}).json()
    assert [s["kind"] for s in sessions] == ["session"]
