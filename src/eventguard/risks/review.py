"""Expert review rounds (专家评估法): reviewers of named teams comment per risk, propose changes and sign
off; a round is complete once every required team has signed. Entries are kept and audited. A
commander accepts a proposal: its changes are made to the risk (its history names the proposal),
and the proposal keeps who accepted it and when."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.errors import Conflict, Forbidden, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.plans.schemas import PlanSpec
from eventguard.risks import service
from eventguard.risks.models import ReviewEntry, ReviewRound, RiskEntry
from eventguard.risks.schemas import ReviewEntryCreate, RiskUpdate, RoundCreate


def _known_team(spec: PlanSpec, team: str) -> None:
    if spec.team(team) is None:
        raise InvalidInput(
            Message("The plan has no team {team}.", {"team": team}),
            code="unknown_team",
            details={"known": [item.id for item in spec.teams]},
        )


def teams_of(spec: PlanSpec, username: str, email: str | None) -> set[str]:
    """The plan's teams of the person an account is: the person whose id is the username, or whose
    e-mail address is the account's."""
    people = {
        person.id
        for person in spec.people
        if person.id == username or (email and person.email and person.email.lower() == email.lower())
    }
    return {team.id for team in spec.teams if team.lead in people or people & set(team.members)}


def open_round(
    *, db: Session, event_id: int, spec: PlanSpec, data: RoundCreate, actor: Actor, clock: Clock
) -> ReviewRound:
    """A new round; its required teams are the given ones, else the plan's ``readiness.review_teams``,
    else every team of the plan."""
    teams = data.required_teams or spec.readiness.review_teams or [team.id for team in spec.teams]
    for team in teams:
        _known_team(spec, team)
    row = ReviewRound(
        event_id=event_id,
        title=data.title,
        required_teams=list(dict.fromkeys(teams)),
        status="open",
        created_by=actor.name,
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    record(
        db=db,
        actor=actor,
        action="risk_review.open",
        target_type="risk_review",
        target_id=row.id,
        after={"title": row.title, "required_teams": row.required_teams},
        clock=clock,
    )
    return row


def get_round(*, db: Session, event_id: int, round_id: int) -> ReviewRound:
    row = db.get(ReviewRound, round_id)
    if row is None or row.event_id != event_id:
        raise NotFound(Message("No review round {id}.", {"id": round_id}), code="review_round_not_found")
    return row


def list_rounds(*, db: Session, event_id: int) -> Sequence[ReviewRound]:
    return db.scalars(
        select(ReviewRound).where(ReviewRound.event_id == event_id).order_by(ReviewRound.id.desc())
    ).all()


def entries(*, db: Session, round_id: int) -> Sequence[ReviewEntry]:
    return db.scalars(
        select(ReviewEntry).where(ReviewEntry.round_id == round_id).order_by(ReviewEntry.id)
    ).all()


def signed_teams(*, db: Session, round_id: int) -> list[str]:
    found = [entry.team for entry in entries(db=db, round_id=round_id) if entry.kind == "signoff"]
    return list(dict.fromkeys(found))


def missing_teams(*, db: Session, row: ReviewRound) -> list[str]:
    signed = set(signed_teams(db=db, round_id=row.id))
    return [team for team in row.required_teams if team not in signed]


def add_entry(
    *,
    db: Session,
    row: ReviewRound,
    spec: PlanSpec,
    data: ReviewEntryCreate,
    actor: Actor,
    clock: Clock,
    member_of: set[str] | None = None,
) -> ReviewEntry:
    """A comment or proposal on a risk, or a team's sign-off; the last required sign-off completes
    the round. A complete round takes no more entries (409). ``member_of``: the reviewer's teams
    (None: not checked — an admin, or the command line)."""
    if row.status == "complete":
        raise Conflict(Message("The review round is complete."), code="review_round_complete")
    _known_team(spec, data.team)
    if member_of is not None and data.team not in member_of:
        raise Forbidden(
            Message(
                "You review for your own teams only: {teams}.", {"teams": ", ".join(sorted(member_of)) or "-"}
            ),
            code="not_team_member",
        )
    risk_id = None
    if data.kind in ("comment", "proposal"):
        if data.risk is None:
            raise InvalidInput(Message("A comment or proposal names a risk."), code="risk_required")
        risk_id = service.get_risk(db=db, event_id=row.event_id, key=data.risk).id
        if data.kind == "comment" and not (data.text or "").strip():
            raise InvalidInput(Message("A comment needs a text."), code="text_required")
        if data.kind == "proposal" and (
            data.proposed is None or not data.proposed.model_fields_set - {"reason"}
        ):
            raise InvalidInput(Message("A proposal names the changes it proposes."), code="proposal_empty")
    if data.kind == "signoff" and data.team in signed_teams(db=db, round_id=row.id):
        raise Conflict(Message("Team {team} has signed already.", {"team": data.team}), code="already_signed")
    now = clock.now()
    entry = ReviewEntry(
        round_id=row.id,
        risk_id=risk_id,
        kind=data.kind,
        team=data.team,
        reviewer=actor.name,
        text=data.text,
        proposed=data.proposed.model_dump(by_alias=True, exclude_unset=True) if data.proposed else None,
        at=now,
    )
    db.add(entry)
    db.flush()
    record(
        db=db,
        actor=actor,
        action=f"risk_review.{data.kind}",
        target_type="risk_review",
        target_id=row.id,
        after={"team": data.team, "risk": data.risk, "text": data.text, "proposed": entry.proposed},
        clock=clock,
    )
    if data.kind == "signoff" and not missing_teams(db=db, row=row):
        row.status, row.completed_at = "complete", now
        record(
            db=db,
            actor=actor,
            action="risk_review.complete",
            target_type="risk_review",
            target_id=row.id,
            after={"signed": signed_teams(db=db, round_id=row.id)},
            clock=clock,
        )
        db.flush()
    return entry


def accept_proposal(
    *, db: Session, row: ReviewRound, entry_id: int, spec: PlanSpec, actor: Actor, clock: Clock
) -> ReviewEntry:
    """Make a proposal's changes to its risk (history kind ``review``, the reason naming the round,
    team and reviewer) and mark it accepted; 404 for no such proposal in the round, 409 when it was
    accepted already. The round may be open or complete (a sign-off does not end the work on it)."""
    entry = db.get(ReviewEntry, entry_id)
    if entry is None or entry.round_id != row.id or entry.kind != "proposal" or entry.risk_id is None:
        raise NotFound(
            Message("Review round {round} has no proposal {id}.", {"round": row.id, "id": entry_id}),
            code="proposal_not_found",
        )
    if entry.accepted_at is not None:
        raise Conflict(
            Message("Proposal {id} was accepted already.", {"id": entry_id}), code="proposal_accepted"
        )
    risk = db.get(RiskEntry, entry.risk_id)
    assert risk is not None  # the foreign key cascades
    proposed = dict(entry.proposed or {})
    why = f"review {row.id} ({row.title}): {entry.team} / {entry.reviewer}"
    reason = proposed.pop("reason", None)
    data = RiskUpdate.model_validate({**proposed, "reason": f"{why}: {reason}" if reason else why})
    changes = service.update_risk(
        db=db, entry=risk, spec=spec, data=data, actor=actor, clock=clock, kind="review"
    )
    entry.accepted_by, entry.accepted_at = actor.name, clock.now()
    record(
        db=db,
        actor=actor,
        action="risk_review.accept",
        target_type="risk_review",
        target_id=row.id,
        after={"entry": entry.id, "risk": risk.key, "changes": changes},
        clock=clock,
    )
    db.flush()
    return entry
