"""The register: risks from the plan and added by hand, their history, filters and CSV export.
Keyword-only functions that take the session; they flush, callers commit.

How a plan apply reconciles with what people changed (``sync_from_plan``, docs/plan-format.md#risks):
each risk of the plan is matched by its id (the register's ``key``); a field the plan changed since the
last applied plan takes the plan's new value, a field the plan left alone keeps what was edited by API,
CLI or console meanwhile. A new plan risk is added; one with the key of a risk added by hand adopts
it (the plan's values win). A risk dropped from the plan stays in the register, no longer ``in_plan``,
with its history. Risks added by hand or from surveys are never touched by a plan.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.domains import hook_functions
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.i18n import Message, t
from eventguard.plans.schemas import RISK_CATEGORIES, PlanSpec, Risk
from eventguard.risks.models import RiskChange, RiskEntry
from eventguard.risks.schemas import RiskCreate, RiskUpdate

FIELDS = (
    "category",
    "title",
    "description",
    "likelihood",
    "impact",
    "owner_team",
    "mitigation",
    "scenario_id",
    "backup_id",
    "drill_scenario_id",
    "status",
)
SORTS = ("score", "likelihood", "impact", "category", "status", "key", "owner_team", "updated_at")
STATUSES = ("open", "mitigating", "mitigated", "accepted", "closed")


def _text(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        dumped: dict[str, str] = value.model_dump(by_alias=True)
        return dumped
    return dict(value)


def plan_values(risk: Risk) -> dict[str, Any]:
    """The register's fields as the plan gives them."""
    return {
        "category": risk.category,
        "title": _text(risk.title),
        "description": _text(risk.description),
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "owner_team": risk.owner,
        "mitigation": _text(risk.mitigation),
        "scenario_id": risk.scenario,
        "backup_id": risk.backup_plan,
        "drill_scenario_id": risk.drill_scenario,
        "status": risk.status,
    }


def values(entry: RiskEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


def _change(
    db: Session,
    entry: RiskEntry,
    kind: str,
    actor: str,
    changes: dict[str, Any],
    at: datetime,
    reason: str | None = None,
) -> None:
    db.add(RiskChange(risk_id=entry.id, at=at, kind=kind, actor=actor, changes=changes, reason=reason))


def sync_from_plan(
    db: Session, *, event_id: int, before: PlanSpec | None, after: PlanSpec, actor: Actor, clock: Clock
) -> None:
    """The ``plan_applied`` hook: bring the register in line with the newly applied plan (see above)."""
    now = clock.now()
    existing = {
        entry.key: entry for entry in db.scalars(select(RiskEntry).where(RiskEntry.event_id == event_id))
    }
    seen: set[str] = set()
    for risk in after.risks:
        seen.add(risk.id)
        new = plan_values(risk)
        entry = existing.get(risk.id)
        if entry is None:
            entry = RiskEntry(
                event_id=event_id,
                key=risk.id,
                source="plan",
                evidence={},
                plan_values=new,
                in_plan=True,
                created_by=actor.name,
                created_at=now,
                updated_at=now,
                **new,
            )
            db.add(entry)
            db.flush()
            _change(
                db, entry, "created", actor.name, {k: [None, v] for k, v in new.items() if v is not None}, now
            )
            continue
        base = entry.plan_values if entry.in_plan and entry.plan_values is not None else {}
        changes: dict[str, Any] = {}
        for name, value in new.items():
            if (name not in base or base[name] != value) and getattr(entry, name) != value:
                changes[name] = [getattr(entry, name), value]
                setattr(entry, name, value)
        adopted = not entry.in_plan
        entry.plan_values, entry.in_plan = new, True
        if changes or adopted:
            entry.updated_at = now
            _change(db, entry, "plan", actor.name, changes, now, "adopted by the plan" if adopted else None)
    for key, entry in existing.items():
        if entry.in_plan and key not in seen:
            entry.in_plan, entry.updated_at = False, now
            _change(db, entry, "plan", actor.name, {"in_plan": [True, False]}, now, "removed from the plan")
    db.flush()


def categories(spec: PlanSpec) -> list[str]:
    return [*RISK_CATEGORIES, *(item.id for item in spec.risk_categories)]


def category_label(spec: PlanSpec, category: str, lang: str) -> str:
    custom = next((item for item in spec.risk_categories if item.id == category), None)
    return custom.name.get(lang) if custom else t(category, lang)


def _check_refs(spec: PlanSpec, data: dict[str, Any]) -> None:
    known = {
        "category": categories(spec),
        "owner_team": [team.id for team in spec.teams],
        "scenario_id": [scenario.id for scenario in spec.scenarios],
        "drill_scenario_id": [scenario.id for scenario in spec.scenarios],
        "backup_id": [plan.id for plan in spec.backup_plans],
    }
    for name, allowed in known.items():
        value = data.get(name)
        if value is not None and value not in allowed:
            raise InvalidInput(
                Message("{field} {value} is not in the plan.", {"field": name, "value": value}),
                code="unknown_reference",
                details={"field": name, "value": value, "known": allowed},
            )


def _new_key(db: Session, event_id: int, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48] or "risk"
    taken = set(
        db.scalars(
            select(RiskEntry.key).where(RiskEntry.event_id == event_id, RiskEntry.key.like(f"{base}%"))
        )
    )
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def create_risk(
    *,
    db: Session,
    event_id: int,
    spec: PlanSpec,
    data: RiskCreate,
    actor: Actor,
    clock: Clock,
    source: str = "manual",
    evidence: dict[str, Any] | None = None,
) -> RiskEntry:
    """Add a risk by hand (or from a survey complaint); 409 when its key is taken."""
    fields = data.model_dump(by_alias=True, exclude={"key"})
    _check_refs(spec, fields)
    key = data.key or _new_key(db, event_id, data.title.en)
    if db.scalar(select(RiskEntry.id).where(RiskEntry.event_id == event_id, RiskEntry.key == key)):
        raise Conflict(Message("Risk {key} exists already.", {"key": key}), code="risk_exists")
    now = clock.now()
    entry = RiskEntry(
        event_id=event_id,
        key=key,
        source=source,
        evidence=evidence or {},
        plan_values=None,
        in_plan=False,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
        **fields,
    )
    db.add(entry)
    db.flush()
    _change(db, entry, "created", actor.name, {k: [None, v] for k, v in fields.items() if v is not None}, now)
    record(
        db=db,
        actor=actor,
        action="risk.create",
        target_type="risk",
        target_id=f"{event_id}/{key}",
        after=fields,
        clock=clock,
    )
    return entry


def update_risk(
    *,
    db: Session,
    entry: RiskEntry,
    spec: PlanSpec,
    data: RiskUpdate,
    actor: Actor,
    clock: Clock,
    kind: str = "edited",
) -> dict[str, Any]:
    """Change the given fields (history and audit); the changes made (field -> [before, after])."""
    given = data.model_dump(by_alias=True, exclude_unset=True, exclude={"reason"})
    _check_refs(spec, given)
    changes = {
        name: [getattr(entry, name), value] for name, value in given.items() if getattr(entry, name) != value
    }
    if not changes:
        return {}
    now = clock.now()
    for name, (_before, value) in changes.items():
        setattr(entry, name, value)
    entry.updated_at = now
    _change(db, entry, kind, actor.name, changes, now, data.reason)
    record(
        db=db,
        actor=actor,
        action="risk.update",
        target_type="risk",
        target_id=f"{entry.event_id}/{entry.key}",
        before={k: v[0] for k, v in changes.items()},
        after={k: v[1] for k, v in changes.items()},
        clock=clock,
    )
    db.flush()
    return changes


def get_risk(*, db: Session, event_id: int, key: str) -> RiskEntry:
    entry = db.scalar(select(RiskEntry).where(RiskEntry.event_id == event_id, RiskEntry.key == key))
    if entry is None:
        raise NotFound(Message("No risk {key}.", {"key": key}), code="risk_not_found", details={"key": key})
    return entry


def list_risks(
    *,
    db: Session,
    event_id: int,
    status: str | None = None,
    category: str | None = None,
    owner: str | None = None,
    min_score: int | None = None,
    likelihood: int | None = None,
    impact: int | None = None,
    sort: str = "score",
    descending: bool = True,
) -> list[RiskEntry]:
    """The register, filtered and sorted (ties by key)."""
    if sort not in SORTS:
        raise InvalidInput(
            Message("Cannot sort by {sort}.", {"sort": sort}), code="bad_sort", details={"known": SORTS}
        )
    query = select(RiskEntry).where(RiskEntry.event_id == event_id)
    if status:
        query = query.where(RiskEntry.status == status)
    if category:
        query = query.where(RiskEntry.category == category)
    if owner:
        query = query.where(RiskEntry.owner_team == owner)
    if likelihood:
        query = query.where(RiskEntry.likelihood == likelihood)
    if impact:
        query = query.where(RiskEntry.impact == impact)
    rows = [row for row in db.scalars(query) if min_score is None or row.score >= min_score]
    numeric = sort in ("score", "likelihood", "impact")

    def order(row: RiskEntry) -> tuple[int, Any]:
        value = getattr(row, sort)
        return (0, value) if numeric else (0 if value is not None else 1, str(value or ""))

    rows.sort(key=lambda row: row.key)
    rows.sort(key=order, reverse=descending)
    return rows


def history(*, db: Session, risk_id: int) -> Sequence[RiskChange]:
    return db.scalars(select(RiskChange).where(RiskChange.risk_id == risk_id).order_by(RiskChange.id)).all()


def last_drilled(*, db: Session, event_id: int, scenario_id: str | None) -> datetime | None:
    """When the scenario was last drilled, by whoever implements ``scenario_last_drilled``; None: never
    (or nobody knows)."""
    if scenario_id is None:
        return None
    found = [
        fn(db, event_id=event_id, scenario_id=scenario_id) for fn in hook_functions("scenario_last_drilled")
    ]
    moments = [moment for moment in found if moment is not None]
    return max(moments) if moments else None


def drill_scenario(entry: RiskEntry) -> str | None:
    return entry.drill_scenario_id or entry.scenario_id


CSV_COLUMNS = (
    "key",
    "category",
    "title",
    "likelihood",
    "impact",
    "score",
    "status",
    "owner_team",
    "mitigation",
    "scenario_id",
    "backup_id",
    "last_drilled",
    "source",
    "in_plan",
    "updated_at",
)


def to_csv(*, db: Session, rows: Sequence[RiskEntry], lang: str) -> str:
    """The rows as CSV (UTF-8 with a BOM so spreadsheet programs read the Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(column, lang) for column in CSV_COLUMNS])
    language = "en" if lang == "en" else "zh-CN"
    for row in rows:
        drilled = last_drilled(db=db, event_id=row.event_id, scenario_id=drill_scenario(row))
        writer.writerow(
            [
                row.key,
                row.category,
                row.title.get(language, ""),
                row.likelihood,
                row.impact,
                row.score,
                row.status,
                row.owner_team or "",
                (row.mitigation or {}).get(language, ""),
                row.scenario_id or "",
                row.backup_id or "",
                drilled.isoformat() if drilled else "",
                row.source,
                row.in_plan,
                row.updated_at.isoformat(),
            ]
        )
    return "\ufeff" + out.getvalue()


def open_without_mitigation(*, db: Session, event_id: int, threshold: int) -> list[RiskEntry]:
    """Open risks of score ``threshold`` or more with no mitigation written (the readiness rule)."""
    rows = db.scalars(select(RiskEntry).where(RiskEntry.event_id == event_id, RiskEntry.status == "open"))
    return sorted(
        (row for row in rows if row.score >= threshold and not any((row.mitigation or {}).values())),
        key=lambda row: (-row.score, row.key),
    )
