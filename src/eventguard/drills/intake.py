"""The alert format ``drill``: what a live drill writes to the intake journal.

A drill's injection is a generic alert (docs/integrations.md) whose labels name the run
(``eventguard_drill``) and the source the alert stands in for (``eventguard_drill_source``). It goes
through the very pipeline a real alert takes — journal, processor, classification, grouping,
incident, notifications — and comes out as an incident marked as a drill. The format is not an
integration anyone can post to: only the drills domain writes rows of this kind."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from eventguard.alerts.classify import DRILL_LABEL, DRILL_SOURCE
from eventguard.alerts.formats.base import AlertFormat, ParsedBatch
from eventguard.alerts.formats.checks import PayloadCheck
from eventguard.alerts.formats.generic import GenericFormat
from eventguard.i18n import Message
from eventguard.plugins import hookimpl

SENDER = "drill injection"


class DrillFormat:
    """A generic alert body whose every alert carries the drill run's label."""

    name = DRILL_SOURCE
    sender = SENDER

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        batch = GenericFormat().parse(payload, received_at=received_at)
        if any(DRILL_LABEL not in alert.labels for alert in batch.alerts):
            check = PayloadCheck(SENDER)
            raise check.fail(("labels",), Message("A drill alert must carry its drill run's label."))
        alerts = [dataclasses.replace(alert, source=DRILL_SOURCE) for alert in batch.alerts]
        return ParsedBatch(alerts=alerts, raw=batch.raw)


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the drill format."""
    return [DrillFormat()]
