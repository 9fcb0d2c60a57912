"""A postmortem's first draft, written from the incident: its facts, alerts and timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventguard.i18n import t
from eventguard.incidents.models import Incident, TimelineEntry
from eventguard.plans.schemas import PlanSpec

# The document's sections (Google SRE / PagerDuty postmortem fields), in order.
SECTIONS = (
    "summary",
    "impact",
    "root_causes",
    "contributing_factors",
    "trigger",
    "detection",
    "response",
    "resolution",
    "went_well",
    "went_badly",
    "lucky",
    "lessons",
)


def _minutes(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else round((end - start).total_seconds() / 60)


def frozen_timeline(entries: Sequence[TimelineEntry]) -> list[dict[str, Any]]:
    """The incident's timeline as the postmortem keeps it (a later change does not rewrite it)."""
    return [
        {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor_name, "text": e.text, "data": e.data}
        for e in entries
    ]


def _first_alert(incident: Incident) -> str | None:
    alerts = incident.evidence.get("alerts") or []
    if alerts:
        labels = alerts[0].get("labels", {})
        return str(labels.get("alertname") or incident.title)
    return None


def document(
    incident: Incident, entries: Sequence[TimelineEntry], spec: PlanSpec, language: str
) -> dict[str, Any]:
    """Sections pre-filled from what the incident recorded, and its facts."""
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    scenario_name = scenario.name.get(language) if scenario else "—"
    duration = _minutes(incident.opened_at, incident.resolved_at)
    ack = _minutes(incident.opened_at, incident.acknowledged_at)
    functions = ", ".join(incident.core_functions) or "—"
    acknowledger = next(
        (e.actor_name for e in entries if e.kind == "status" and e.data.get("status") == "acknowledged"), None
    )
    progress = [e.text for e in entries if e.kind in ("progress", "note") and e.text]
    resolved_note = next(
        (e.text for e in reversed(entries) if e.kind == "status" and e.data.get("status") == "resolved"), None
    )
    alert = _first_alert(incident)
    sections = {name: "" for name in SECTIONS}
    sections["summary"] = t(
        "{title} (level {level}, scenario {scenario}).",
        language,
        title=incident.title,
        level=incident.level,
        scenario=scenario_name,
    )
    sections["impact"] = t(
        "Lasted {minutes} min; core functions affected: {functions}.",
        language,
        minutes=duration if duration is not None else "—",
        functions=functions,
    ) + (f" {incident.impact}" if incident.impact else "")
    sections["trigger"] = (
        t("Alert {alert} from {source}.", language, alert=alert, source=incident.source)
        if alert
        else t("Declared by hand by {name}.", language, name=incident.declared_by or "—")
    )
    sections["detection"] = t(
        "Opened at {at}; acknowledged after {minutes} min by {name}.",
        language,
        at=incident.opened_at.isoformat(),
        minutes=ack if ack is not None else "—",
        name=acknowledger or "—",
    )
    sections["response"] = "\n".join(f"- {text}" for text in progress)
    sections["resolution"] = t(
        "Resolved at {at}.", language, at=incident.resolved_at.isoformat() if incident.resolved_at else "—"
    ) + (f" {resolved_note}" if resolved_note else "")
    return {
        "sections": sections,
        "facts": {
            "level": incident.level,
            "scenario_id": incident.scenario_id,
            "core_functions": list(incident.core_functions),
            "duration_minutes": duration,
            "time_to_acknowledge_minutes": ack,
            "participants_affected": None,
            "is_drill": incident.is_drill,
        },
    }
