"""The times in a notification say their date and zone: a responder reading "ETA 23:10" at 00:30 on a
phone in another zone cannot tell whether it passed (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime

from eventguard.config import Settings
from eventguard.incidents.models import Incident
from eventguard.notify.messages import Facts, variables
from eventguard.plans.service import validate_source
from tests.conftest import EXAMPLE_PLAN


def test_started_at_and_eta_carry_the_date_and_the_events_utc_offset() -> None:
    result = validate_source(source=EXAMPLE_PLAN.read_text(encoding="utf-8"), filename="plan.yaml")
    assert result.spec is not None and result.spec.event.timezone == "Asia/Shanghai"
    incident = Incident(
        event_id=1,
        title="直播中断",
        level=1,
        opened_at=datetime(2026, 6, 16, 14, 50, tzinfo=UTC),
        eta=datetime(2026, 6, 16, 16, 10, tzinfo=UTC),
        core_functions=[],
    )
    facts = Facts(
        incident=incident,
        spec=result.spec,
        topic="incident.opened",
        settings=Settings(),
        now=incident.opened_at,
    )
    found = variables(facts, "en", None)
    assert found["started_at"] == "2026-06-16 22:50 UTC+08:00"
    assert found["eta"] == "2026-06-17 00:10 UTC+08:00"  # past midnight in the event's zone: the date moves
