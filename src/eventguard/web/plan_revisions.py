"""Which plan versions came from which incidents and drills: the versions accepted action items
made (the plan page lists them, each with a link to its diff)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from eventguard.alerts.classify import DRILL_LABEL
from eventguard.errors import NotFound
from eventguard.incidents import service as incidents
from eventguard.reviews import service
from eventguard.reviews.models import ActionItem


def drill_run_of(db: Session, incident_id: int | None) -> int | None:
    """The drill run whose injection opened the incident (its group key starts with the run's label)."""
    if incident_id is None:
        return None
    try:
        incident = incidents.get(db=db, incident_id=incident_id)
    except NotFound:
        return None
    found = re.match(rf"{re.escape(DRILL_LABEL)}=(\d+)\|", incident.group_key or "")
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Revision:
    """A plan version an accepted action item made, and where the item came from."""

    number: int
    base: int | None
    item: ActionItem
    incident_id: int | None
    drill_run_id: int | None
    postmortem_id: int | None


def plan_revisions(db: Session, event_id: int) -> list[Revision]:
    """Newest version first."""
    return [
        Revision(
            number=item.plan_version_number or 0,
            base=item.base_version_number,
            item=item,
            incident_id=item.incident_id,
            drill_run_id=item.drill_run_id or drill_run_of(db, item.incident_id),
            postmortem_id=item.postmortem_id,
        )
        for item in service.revisions(db=db, event_id=event_id)
    ]
