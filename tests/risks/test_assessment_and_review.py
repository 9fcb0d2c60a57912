"""The quantitative proposals on seeded history equal hand-computed values; accepting and overriding
keep both values. A review round stays incomplete until the last required team signs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.plans import service as plans
from eventguard.risks import service
from tests.conftest import EXAMPLE_PLAN, AuthHeaders

SLUG = "cloud-summit-2026"
LIVE = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)  # the past event was live 08:00-18:00 UTC: 10 event-hours


def _past_event(db: Session, clock: FrozenClock) -> int:
    source = EXAMPLE_PLAN.read_text(encoding="utf-8").replace("slug: cloud-summit-2026", "slug: summit-2025")
    start = source.index("  phases:\n")
    end = source.index("\n", source.index("      end: 2026-07-17T00:00:00+08:00")) + 1
    source = (
        source[:start]
        + "  phases:\n"
        + "    - {name: prep, start: 2025-05-01T00:00:00Z, end: 2025-06-01T08:00:00Z}\n"
        + "    - {name: live, start: 2025-06-01T08:00:00Z, end: 2025-06-01T18:00:00Z}\n"
        + "    - {name: post, start: 2025-06-01T18:00:00Z, end: 2025-07-01T00:00:00Z}\n"
        + source[end:]
    )
    version = plans.apply_plan(
        db=db, source=source, filename="past.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return version.event_id


def _incident(
    db: Session,
    event_id: int,
    opened: int,
    ack: int | None,
    monitoring: int | None,
    resolved: int | None,
    level: int,
    drill: bool = False,
    scenario: str = "livestream-interruption",
) -> Incident:
    """Minutes after the past event went live."""
    at = lambda minutes: None if minutes is None else LIVE + timedelta(minutes=minutes)  # noqa: E731
    row = Incident(
        event_id=event_id,
        title=f"stream down at {opened}",
        status=IncidentStatus.resolved,
        level=level,
        scenario_id=scenario,
        kind="technical",
        core_functions=[],
        group_key=f"g{opened}",
        source="manual",
        is_drill=drill,
        phase="live",
        opened_at=at(opened),
        acknowledged_at=at(ack),
        monitoring_at=at(monitoring),
        resolved_at=at(resolved),
        evidence={},
        updated_at=at(opened),
    )
    db.add(row)
    return row


def test_the_proposals_on_seeded_history_equal_hand_computed_values(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    past = _past_event(db, clock)
    _incident(db, past, opened=60, ack=63, monitoring=80, resolved=100, level=2)  # 40 min, ack 3, restored 20
    _incident(
        db, past, opened=240, ack=245, monitoring=None, resolved=250, level=1
    )  # 10 min, ack 5, restored 10
    _incident(
        db, past, opened=420, ack=421, monitoring=426, resolved=450, level=2, drill=True
    )  # ack 1, restored 6
    _incident(
        db, event.id, opened=0, ack=None, monitoring=None, resolved=None, level=1
    )  # this event: not history
    db.commit()
    answer = client.get(f"/api/v1/events/{SLUG}/risk-assessment", headers=auth_headers("viewer"))
    assert answer.status_code == 200, answer.text
    found = {item["subject"]: item for item in answer.json()}
    stream = found["scenario:livestream-interruption"]
    assert stream["metrics"] == {
        "incidents": 2,
        "drills": 1,
        "event_hours": 10.0,
        "frequency_per_event_hour": 0.2,  # 2 real incidents / 10 h
        "mean_duration_minutes": 25.0,  # (40 + 10) / 2, real incidents only
        "mtta_minutes": 3.0,  # (3 + 5 + 1) / 3, drills included
        "mttr_minutes": 12.0,  # (20 + 10 + 6) / 3
        "worst_level": 1,
        "events": ["summit-2025"],
    }
    assert (stream["likelihood"], stream["impact"]) == (4, 5)  # 0.2/h is in [0.2, 0.5); level 1 -> 5
    assert [e["is_drill"] for e in stream["evidence"]] == [False, False, True]
    assert {e["event"] for e in stream["evidence"]} == {"summit-2025"}
    assert set(stream["risks"]) == {"server-crash", "av-interruption", "cdn-vendor-capacity"}
    assert found["category:technical"]["metrics"]["incidents"] == 2
    leak = found["scenario:data-leak"]
    spec = plans.get_active_plan(db=db, event_id=event.id)
    default = next(s.default_level for s in spec.scenarios if s.id == "data-leak")
    assert leak["metrics"]["incidents"] == 0 and leak["metrics"]["mtta_minutes"] is None
    assert (leak["likelihood"], leak["impact"]) == (1, 6 - default)

    commander = auth_headers("commander")
    accepted = client.post(
        f"/api/v1/events/{SLUG}/risk-assessment/decisions",
        json={"subject": "scenario:livestream-interruption", "risk": "av-interruption", "decision": "accept"},
        headers=commander,
    )
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["likelihood"], accepted.json()["impact"], accepted.json()["decision"]) == (
        4,
        5,
        "accepted",
    )
    no_reason = client.post(
        f"/api/v1/events/{SLUG}/risk-assessment/decisions",
        json={
            "subject": "scenario:livestream-interruption",
            "risk": "server-crash",
            "decision": "override",
            "likelihood": 2,
            "impact": 5,
        },
        headers=commander,
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["code"] == "override_incomplete"
    overridden = client.post(
        f"/api/v1/events/{SLUG}/risk-assessment/decisions",
        json={
            "subject": "scenario:livestream-interruption",
            "risk": "server-crash",
            "decision": "override",
            "likelihood": 2,
            "impact": 5,
            "reason": "the 2025 crashes were the old CDN, replaced since",
        },
        headers=commander,
    )
    assert overridden.status_code == 201
    body = overridden.json()
    assert (body["proposed_likelihood"], body["proposed_impact"], body["likelihood"], body["impact"]) == (
        4,
        5,
        2,
        5,
    )
    db.expire_all()
    av = service.get_risk(db=db, event_id=event.id, key="av-interruption")
    assert (av.likelihood, av.impact) == (4, 5)
    assert service.history(db=db, risk_id=av.id)[-1].kind == "assessment"
    decisions = client.get(f"/api/v1/events/{SLUG}/risk-assessment/decisions", headers=commander).json()
    assert [d["decision"] for d in decisions] == ["accepted", "overridden"]
    viewer = client.post(
        f"/api/v1/events/{SLUG}/risk-assessment/decisions",
        json={"subject": "scenario:data-leak", "risk": "data-breach", "decision": "accept"},
        headers=auth_headers("responder"),
    )
    assert viewer.status_code == 403


def test_a_review_round_is_incomplete_until_the_last_required_team_signs(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    opened = client.post(
        f"/api/v1/events/{SLUG}/risk-reviews",
        json={"title": "Pre-launch review"},
        headers=auth_headers("commander"),
    )
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["id"]
    assert opened.json()["required_teams"] == ["tech", "ops", "legal"]  # the plan's readiness.review_teams
    people = {}
    for username in ("zhang-wei", "wang-qiang", "wu-hao"):  # the leads of tech, ops and legal in the plan
        user = auth.create_user(
            db=db,
            username=username,
            password="a long test password",
            role=Role.responder,
            actor=Actor.cli("test"),
            clock=clock,
        )
        _token, secret = auth.create_token(
            db=db, user=user, name="t", scopes=["admin"], actor=Actor.cli("test"), clock=clock
        )
        people[username] = {"Authorization": f"Bearer {secret}"}
    db.commit()
    url = f"/api/v1/events/{SLUG}/risk-reviews/{round_id}/entries"
    comment = client.post(
        url,
        json={"kind": "comment", "team": "tech", "risk": "ddos", "text": "Add rate limiting"},
        headers=people["zhang-wei"],
    )
    assert comment.status_code == 201, comment.text
    proposal = client.post(
        url,
        json={"kind": "proposal", "team": "ops", "risk": "ddos", "proposed": {"impact": 5}},
        headers=people["wang-qiang"],
    )
    assert proposal.status_code == 201
    wrong_team = client.post(url, json={"kind": "signoff", "team": "legal"}, headers=people["zhang-wei"])
    assert wrong_team.status_code == 403 and wrong_team.json()["error"]["code"] == "not_team_member"
    for username, team in (("zhang-wei", "tech"), ("wang-qiang", "ops")):
        signed = client.post(url, json={"kind": "signoff", "team": team}, headers=people[username])
        assert signed.status_code == 201
        assert signed.json()["status"] == "open"
    assert signed.json()["missing_teams"] == ["legal"]
    twice = client.post(url, json={"kind": "signoff", "team": "ops"}, headers=people["wang-qiang"])
    assert twice.status_code == 409
    last = client.post(url, json={"kind": "signoff", "team": "legal"}, headers=people["wu-hao"])
    assert last.status_code == 201
    assert (last.json()["status"], last.json()["missing_teams"]) == ("complete", [])
    assert last.json()["completed_at"] is not None
    kinds = [(e["kind"], e["team"], e["risk"]) for e in last.json()["entries"]]
    assert kinds == [
        ("comment", "tech", "ddos"),
        ("proposal", "ops", "ddos"),
        ("signoff", "tech", None),
        ("signoff", "ops", None),
        ("signoff", "legal", None),
    ]
    closed = client.post(
        url,
        json={"kind": "comment", "team": "tech", "risk": "ddos", "text": "late"},
        headers=people["zhang-wei"],
    )
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "review_round_complete"
    from sqlalchemy import select

    from eventguard.audit.models import AuditEntry

    actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("risk_review.%"))))
    assert actions.count("risk_review.signoff") == 3 and "risk_review.complete" in actions
