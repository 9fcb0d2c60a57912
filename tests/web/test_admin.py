"""Administration pages (admin only): users, API tokens, integrations, channels, on-call calendar."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.events.models import Event
from eventguard.notify.models import Delivery
from tests.web.conftest import SignIn, csrf_of

PAGES = ["/admin/users", "/admin/tokens", "/admin/integrations", "/admin/channels", "/admin/oncall"]


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_page_answers_an_admin_and_refuses_a_commander(
    sign_in: SignIn, event: Event, path: str
) -> None:
    page = sign_in("admin").get(path + "?lang=en")
    assert page.status_code == 200 and "<title>" in page.text and 'aria-label="Breadcrumb"' in page.text
    assert sign_in("commander").get(path).status_code == 403


def test_an_admin_adds_a_user_and_changes_a_role(sign_in: SignIn, db: Session, event: Event) -> None:
    client = sign_in("admin")
    token = csrf_of(client.get("/admin/users").text)
    form = {"csrf_token": token, "username": "newbie", "password": "a long enough password", "role": "viewer"}
    assert client.post("/admin/users/create", data=form, follow_redirects=False).status_code == 303
    user = auth.get_user_by_username(db=db, username="newbie")
    assert user is not None and user.role is Role.viewer
    changed = client.post(
        f"/admin/users/{user.id}/role",
        data={"csrf_token": token, "role": "responder"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    db.commit()
    db.expire_all()
    assert auth.get_user(db=db, user_id=user.id).role is Role.responder
    bad = client.post(f"/admin/users/{user.id}/role?lang=en", data={"csrf_token": token, "role": "emperor"})
    assert bad.status_code == 422 and "Unknown role emperor." in bad.text


def test_a_token_secret_is_shown_once_and_the_token_can_be_revoked(sign_in: SignIn, db: Session) -> None:
    client = sign_in("admin")
    token = csrf_of(client.get("/admin/tokens").text)
    form = {"csrf_token": token, "username": "admin-web", "name": "ci", "scope": "read"}
    created = client.post("/admin/tokens/create?lang=en", data=form)
    assert created.status_code == 200 and "shown only once" in created.text
    secret = re.search(r'id="new-secret" readonly value="([^"]+)"', created.text)
    assert secret is not None
    assert secret.group(1) not in client.get("/admin/tokens").text
    made = auth.list_tokens(db=db)[0]
    revoked = client.post(
        f"/admin/tokens/{made.id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    db.commit()
    db.expire_all()
    assert auth.get_token(db=db, token_id=made.id).revoked_at is not None


def test_an_integration_shows_its_endpoint_and_curl_and_can_be_revoked(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    client = sign_in("admin")
    token = csrf_of(client.get("/admin/integrations").text)
    form = {"csrf_token": token, "event": event.slug, "name": "probes", "kind": "generic"}
    created = client.post("/admin/integrations/create?lang=en", data=form)
    assert created.status_code == 200 and 'id="new-token"' in created.text
    assert "http://testserver/api/v1/integrations/generic" in created.text and "curl -X POST" in created.text
    made = integrations.list_for_event(db=db, event_id=event.id)[0]
    answer = client.post(
        f"/admin/integrations/{made.id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    bad = client.post("/admin/integrations/create", data={**form, "kind": "carrier-pigeon"})
    assert bad.status_code == 422


def test_a_test_message_is_queued_for_a_channel(sign_in: SignIn, db: Session, event: Event) -> None:
    client = sign_in("admin")
    page = client.get("/admin/channels?lang=en")
    assert "tech-wecom" in page.text and "Send a test message" in page.text
    answer = client.post(
        "/admin/channels/cloud-summit-2026/tech-wecom/test",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    queued = db.scalars(
        select(Delivery).where(Delivery.purpose == "test", Delivery.channel_id == "tech-wecom")
    )
    assert len(queued.all()) == 1
    unknown = client.post(
        "/admin/channels/cloud-summit-2026/nope/test", data={"csrf_token": csrf_of(page.text)}
    )
    assert unknown.status_code == 404


def test_the_on_call_calendar_lists_the_shifts_of_each_schedule(sign_in: SignIn, event: Event) -> None:
    page = sign_in("admin").get("/admin/oncall?lang=en").text
    assert "Operations on-call" in page and "Wang Qiang" in page
