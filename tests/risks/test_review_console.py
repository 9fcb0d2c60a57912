"""Expert review in the console: a reviewer proposes a change to a risk on the review page, a
commander accepts it there, the risk takes the proposed values with a history entry naming the
proposal; accepting twice is refused (console and API)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.risks import service
from eventguard.risks.models import ReviewEntry
from tests.conftest import AuthHeaders
from tests.web.conftest import PASSWORD, SignIn, csrf_of

SLUG = "cloud-summit-2026"


def _console_user(app: FastAPI, db: Session, clock: FrozenClock, username: str) -> TestClient:
    """A responder named like a person of the plan (so the review knows their team), signed in."""
    auth.create_user(
        db=db, username=username, password=PASSWORD, role=Role.responder, actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    client = TestClient(app)
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(client.get("/login").text)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return client


def test_a_proposal_is_made_and_accepted_in_the_console(
    app: FastAPI,
    client: TestClient,
    db: Session,
    event: Event,
    clock: FrozenClock,
    sign_in: SignIn,
    auth_headers: AuthHeaders,
) -> None:
    commander = sign_in("commander")
    page = commander.get(f"/events/{SLUG}/risk-reviews?lang=en")
    token = csrf_of(page.text)
    opened = commander.post(
        f"/events/{SLUG}/risk-reviews",
        data={"csrf_token": token, "title": "Pre-launch review"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    [round_row] = client.get(f"/api/v1/events/{SLUG}/risk-reviews", headers=auth_headers("viewer")).json()

    reviewer = _console_user(app, db, clock, "wang-qiang")  # the ops lead in the example plan
    page = reviewer.get(f"/events/{SLUG}/risk-reviews?lang=en")
    assert 'value="proposal"' in page.text and 'name="likelihood"' in page.text
    before = service.get_risk(db=db, event_id=event.id, key="ddos")
    assert (before.likelihood, before.impact) == (3, 4)
    answer = reviewer.post(
        f"/events/{SLUG}/risk-reviews/{round_row['id']}",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "proposal",
            "team": "ops",
            "risk": "ddos",
            "text": "Last year's attack lasted two hours",
            "impact": "5",
            "status": "mitigating",
            "mitigation_zh": "接入高防 IP 与 WAF。",
            "mitigation_en": "Anti-DDoS IP and a WAF.",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "error=" not in answer.headers["location"]
    # An empty proposal is refused with the reason on the page.
    empty = reviewer.post(
        f"/events/{SLUG}/risk-reviews/{round_row['id']}",
        data={"csrf_token": csrf_of(page.text), "kind": "proposal", "team": "ops", "risk": "ddos"},
        follow_redirects=False,
    )
    assert empty.status_code == 303 and "error=" in empty.headers["location"]
    db.commit()
    db.expire_all()
    proposal = db.scalar(select(ReviewEntry).where(ReviewEntry.kind == "proposal"))
    assert proposal is not None and proposal.proposed == {
        "impact": 5,
        "status": "mitigating",
        "mitigation": {"zh-CN": "接入高防 IP 与 WAF。", "en": "Anti-DDoS IP and a WAF."},
        "reason": "Last year's attack lasted two hours",
    }
    # A reviewer cannot accept; the page offers the button to the commander only.
    assert "Accept proposal" not in reviewer.get(f"/events/{SLUG}/risk-reviews?lang=en").text
    accept_url = f"/events/{SLUG}/risk-reviews/{round_row['id']}/entries/{proposal.id}/accept"
    refused = reviewer.post(accept_url, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert refused.status_code == 403
    page = commander.get(f"/events/{SLUG}/risk-reviews?lang=en")
    assert "Accept proposal" in page.text and "impact → 5" in page.text
    accepted = commander.post(accept_url, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert accepted.status_code == 303 and "error=" not in accepted.headers["location"]

    db.commit()
    db.expire_all()
    after = service.get_risk(db=db, event_id=event.id, key="ddos")
    assert (after.likelihood, after.impact, after.status) == (3, 5, "mitigating")
    assert after.mitigation == {"zh-CN": "接入高防 IP 与 WAF。", "en": "Anti-DDoS IP and a WAF."}
    [change] = [c for c in service.history(db=db, risk_id=after.id) if c.kind == "review"]
    assert change.changes["impact"] == [4, 5]
    assert change.reason is not None and "ops / wang-qiang" in change.reason and "two hours" in change.reason
    page = commander.get(f"/events/{SLUG}/risk-reviews?lang=en").text
    assert "Accept proposal" not in page and "accepted by commander-web" in page
    assert "已由 commander-web 采纳" in commander.get(f"/events/{SLUG}/risk-reviews?lang=zh-CN").text
    db.commit()
    twice = client.post(
        f"/api/v1/events/{SLUG}/risk-reviews/{round_row['id']}/entries/{proposal.id}/accept",
        headers=auth_headers("commander"),
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "proposal_accepted"
    missing = client.post(
        f"/api/v1/events/{SLUG}/risk-reviews/{round_row['id']}/entries/99999/accept",
        headers=auth_headers("commander"),
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "proposal_not_found"
    read = client.get(
        f"/api/v1/events/{SLUG}/risk-reviews/{round_row['id']}", headers=auth_headers("viewer")
    ).json()
    [entry] = [e for e in read["entries"] if e["kind"] == "proposal"]
    assert entry["accepted_by"] == "commander-web" and entry["accepted_at"] is not None
    db.commit()
    actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("risk_review.%"))))
    assert actions.count("risk_review.accept") == 1
