"""GET /api/v1/audit: admins read the log; everyone else is refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from tests.auth.factories import bearer, make_token, make_user


def _admin(db: Session, clock: FrozenClock) -> dict[str, str]:
    return bearer(make_token(db, clock, make_user(db, clock, "root", role=Role.admin), "admin"))


def test_without_credentials_the_audit_log_answers_401(client: TestClient) -> None:
    assert client.get("/api/v1/audit").status_code == 401


def test_a_commander_gets_403_on_the_audit_log(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = bearer(make_token(db, clock, make_user(db, clock, "cmd", role=Role.commander), "write"))
    response = client.get("/api/v1/audit", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"


def test_an_admin_reads_changes_made_through_the_api(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    headers = _admin(db, clock)
    created = client.post(
        "/api/v1/users",
        json={"username": "bob", "password": "bob's long password", "role": "viewer"},
        headers=headers,
        params={},
    ).json()
    client.patch(f"/api/v1/users/{created['id']}", json={"role": "responder"}, headers=headers)
    page = client.get(
        "/api/v1/audit", params={"target_type": "user", "target_id": created["id"]}, headers=headers
    )
    assert page.status_code == 200
    entries = page.json()["entries"]
    assert [e["action"] for e in entries] == ["user.update", "user.create"]
    update = entries[0]
    assert update["actor_type"] == "token"
    assert update["actor_name"] == "root/test"
    assert (update["before"]["role"], update["after"]["role"]) == ("viewer", "responder")
    assert update["request_id"]
    assert "password_hash" not in str(entries)


def test_the_audit_log_pages_backwards(client: TestClient, db: Session, clock: FrozenClock) -> None:
    headers = _admin(db, clock)
    for name in ("u1", "u2", "u3"):
        client.post(
            "/api/v1/users",
            json={"username": name, "password": "a long password", "role": "viewer"},
            headers=headers,
        )
    first = client.get("/api/v1/audit", params={"action": "user.create", "limit": 2}, headers=headers).json()
    assert [e["after"]["username"] for e in first["entries"]] == ["u3", "u2"]
    rest = client.get(
        "/api/v1/audit",
        params={"action": "user.create", "limit": 2, "before_id": first["next_before_id"]},
        headers=headers,
    ).json()
    assert [e["after"]["username"] for e in rest["entries"]] == ["u1", "root"]
    assert client.get("/api/v1/audit", params={"limit": 0}, headers=headers).status_code == 422
