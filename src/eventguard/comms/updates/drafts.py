"""Public updates are deliberate: drafted from the plan's announcement templates (responder+),
previewed in both languages and changed until they read right. Publishing them is
``comms.updates.approval``. A draft's text is filled from the template again when a backup plan of its
incident goes on or off, unless comms wrote it by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.backups import plans as backups
from eventguard.comms.models import PublicStatus, PublicUpdate, UpdateState
from eventguard.comms.statuspage.components import INDICATORS, LEVEL_IMPACT
from eventguard.comms.updates import wording
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.i18n import LANGUAGES, Message
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.plans.schemas import PlanSpec

OPEN_STATES = (UpdateState.draft, UpdateState.pending_approval)


@dataclass(frozen=True)
class DraftInput:
    """What comms chooses; everything left None takes its default from the incident and the plan."""

    status: PublicStatus | None = None
    template_id: str | None = None
    variables: Mapping[str, Any] | None = None
    title: Mapping[str, str] | None = None  # both languages: written by hand instead of the template
    body: Mapping[str, str] | None = None
    components: Sequence[str] | None = None
    impact: str | None = None


def get(*, db: Session, update_id: int, for_update: bool = False) -> PublicUpdate:
    """The public update (draft or published); 404 otherwise."""
    found = db.get(PublicUpdate, update_id, with_for_update=for_update or None)
    if found is None:
        raise NotFound(Message("No public update {id}.", {"id": update_id}), code="public_update_not_found")
    return found


def list_for_incident(*, db: Session, incident_id: int) -> Sequence[PublicUpdate]:
    """Every draft and update of the incident, oldest first."""
    query = select(PublicUpdate).where(PublicUpdate.incident_id == incident_id).order_by(PublicUpdate.id)
    return db.scalars(query).all()


def published_for_event(*, db: Session, event_id: int, since: datetime) -> Sequence[PublicUpdate]:
    """Updates published since ``since`` for the event's incidents, newest first."""
    query = (
        select(PublicUpdate)
        .where(
            PublicUpdate.event_id == event_id,
            PublicUpdate.state == UpdateState.published,
            PublicUpdate.published_at >= since,
        )
        .order_by(PublicUpdate.published_at.desc(), PublicUpdate.id.desc())
    )
    return db.scalars(query).all()


def _backup_links(db: Session, incident: Incident, spec: PlanSpec) -> list[str]:
    plans = {plan.id: plan for plan in spec.backup_plans}
    links = []
    for activation in backups.list_for_incident(db=db, incident_id=incident.id, active_only=True):
        plan = plans.get(activation.backup_id)
        link = backups.primary_link(plan) if plan else None
        if link:
            links.append(link)
    return links


def _compose(
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    *,
    status: PublicStatus,
    template_id: str | None,
    explicit: Mapping[str, wording.VariableValue],
    components: Sequence[str],
    base_url: str,
) -> wording.Wording:
    resolved = status is PublicStatus.resolved
    template = (
        None
        if resolved and template_id is None
        else wording.announcement_template(spec, incident, template_id)
    )
    links = _backup_links(db, incident, spec)
    values: dict[str, dict[str, Any]] = {
        language: wording.variables(
            incident=incident,
            spec=spec,
            language=language,
            explicit=explicit,
            components=components,
            backup_links=links,
            base_url=base_url,
        )
        for language in LANGUAGES
    }
    return wording.compose(template, "resolved" if resolved else "problem", values)


def _localized(value: Mapping[str, str], field: str, limit: int) -> dict[str, str]:
    texts: dict[str, str] = {language: str(value.get(language, "")).strip() for language in LANGUAGES}
    if not all(texts.values()) or any(len(text) > limit for text in texts.values()):
        raise InvalidInput(
            Message(
                "The {field} needs a text in both languages (up to {limit} characters).",
                {"field": field, "limit": limit},
            ),
            code="text_required",
        )
    return texts


def _check_components(spec: PlanSpec, components: Sequence[str]) -> list[str]:
    unknown = sorted(set(components) - {f.id for f in spec.core_functions})
    if unknown:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": ", ".join(unknown)}),
            code="unknown_core_function",
        )
    return list(dict.fromkeys(components))


def _check_impact(impact: str) -> str:
    if impact not in INDICATORS:
        raise InvalidInput(
            Message("Unknown impact {impact}.", {"impact": impact}),
            code="invalid_impact",
            details={"allowed": list(INDICATORS)},
        )
    return impact


def preview(
    *, db: Session, incident: Incident, spec: PlanSpec, draft: DraftInput, base_url: str
) -> wording.Wording:
    """What a draft with these choices would say, in both languages, without saving anything."""
    if draft.title is not None and draft.body is not None:
        return wording.Wording(
            title=_localized(draft.title, "title", 300), body=_localized(draft.body, "body", 10000)
        )
    return _compose(
        db,
        incident,
        spec,
        status=draft.status or PublicStatus.investigating,
        template_id=draft.template_id,
        explicit=wording.check_variables(draft.variables or {}),
        components=_check_components(
            spec, draft.components if draft.components is not None else incident.core_functions
        ),
        base_url=base_url,
    )


def create_draft(
    *,
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    draft: DraftInput,
    base_url: str,
    actor: Actor,
    clock: Clock,
    auto: bool = False,
    required: bool = False,
) -> PublicUpdate:
    """Save a draft (timelined); it reaches nobody until it is published."""
    now = clock.now()
    update = PublicUpdate(
        event_id=incident.event_id,
        incident_id=incident.id,
        state=UpdateState.draft,
        status=draft.status or PublicStatus.investigating,
        impact=_check_impact(draft.impact or LEVEL_IMPACT.get(incident.level, "minor")),
        components=_check_components(
            spec, draft.components if draft.components is not None else incident.core_functions
        ),
        template_id=draft.template_id,
        variables=wording.check_variables(draft.variables or {}),
        title={},
        body={},
        auto=auto,
        required=required,
        is_drill=incident.is_drill,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
    )
    _fill_text(db, update, incident, spec, draft, base_url)
    db.add(update)
    db.flush()
    data = {"public_update": update.id, "state": "draft", "auto": auto, "required": required}
    timeline.add(
        db=db, incident=incident, kind="update", actor=actor, clock=clock, text=update.title["en"], data=data
    )
    return update


def _fill_text(
    db: Session, update: PublicUpdate, incident: Incident, spec: PlanSpec, draft: DraftInput, base_url: str
) -> None:
    if draft.title is not None or draft.body is not None:
        update.title = _localized(draft.title or update.title, "title", 300)
        update.body = _localized(draft.body or update.body, "body", 10000)
        update.edited = True
        return
    text = _compose(
        db,
        incident,
        spec,
        status=update.status,
        template_id=update.template_id,
        explicit=update.variables,
        components=update.components,
        base_url=base_url,
    )
    update.title, update.body, update.edited = text.title, text.body, False


def check_open(update: PublicUpdate) -> None:
    """409 unless the update is still a draft (or waiting for approval)."""
    if update.state not in OPEN_STATES:
        raise Conflict(
            Message("This update is {state}; it cannot be changed.", {"state": update.state.value}),
            code="public_update_closed",
        )


def edit(
    *,
    db: Session,
    update: PublicUpdate,
    incident: Incident,
    spec: PlanSpec,
    draft: DraftInput,
    base_url: str,
    actor: Actor,
    clock: Clock,
) -> PublicUpdate:
    """Change a draft; a draft waiting for approval goes back to draft (the text changed)."""
    check_open(update)
    if draft.status is not None:
        update.status = draft.status
    if draft.impact is not None:
        update.impact = _check_impact(draft.impact)
    if draft.components is not None:
        update.components = _check_components(spec, draft.components)
    if draft.template_id is not None:
        update.template_id = draft.template_id
    if draft.variables is not None:
        update.variables = {**update.variables, **wording.check_variables(draft.variables)}
    if draft.title is None and draft.body is None and update.edited and draft.template_id is None:
        draft = DraftInput(title=update.title, body=update.body)  # keep the hand-written text
    _fill_text(db, update, incident, spec, draft, base_url)
    back_to_draft(update)
    update.updated_at = clock.now()
    return update


def back_to_draft(update: PublicUpdate) -> None:
    """The text changed: any request for approval is void."""
    update.state = UpdateState.draft
    update.requested_by = update.requested_by_id = None


def refresh_drafts(*, db: Session, incident: Incident, spec: PlanSpec, base_url: str, clock: Clock) -> int:
    """Fill the incident's template drafts again (a backup plan went on or off); returns how many.
    Hand-written drafts are left alone. A draft whose text changes needs its approval again."""
    changed = 0
    for update in list_for_incident(db=db, incident_id=incident.id):
        if update.state not in OPEN_STATES or update.edited:
            continue
        before = (dict(update.title), dict(update.body))
        _fill_text(db, update, incident, spec, DraftInput(), base_url)
        if (update.title, update.body) != before:
            back_to_draft(update)
            update.updated_at = clock.now()
            changed += 1
    return changed
