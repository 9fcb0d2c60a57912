"""The example plan with its ``monitoring`` (and ``content_watch``) replaced by the test's own, applied
(without the example's drills, whose steps name the example's probes)."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.plans import service as plans
from tests.conftest import EXAMPLE_PLAN


def apply_with(
    db: Session,
    clock: FrozenClock,
    monitoring: list[dict[str, Any]],
    content_watch: dict[str, Any] | None = None,
) -> Event:
    document = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    document["monitoring"] = monitoring
    document.pop("drills", None)  # the example's drills name the example's probes
    if content_watch is not None:
        document["content_watch"] = content_watch
    source = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    checked = plans.validate_source(source=source, filename="test-plan.yaml")
    assert not checked.errors, [issue.format("en") for issue in checked.errors]
    version = plans.apply_plan(
        db=db, source=source, filename="test-plan.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    event = events.get(db=db, event_id=version.event_id)
    db.commit()
    return event
