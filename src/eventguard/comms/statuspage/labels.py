"""How the Statuspage vocabulary reads to people, in both languages (msgids in i18n/zh_CN/comms.po)."""

from __future__ import annotations

from eventguard.i18n import t

COMPONENT_LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}
INCIDENT_LABELS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
MAINTENANCE_LABELS = {
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}
IMPACT_LABELS = {
    "none": "No impact",
    "minor": "Minor impact",
    "major": "Major impact",
    "critical": "Critical impact",
}
ALL_LABELS = (COMPONENT_LABELS, INCIDENT_LABELS, MAINTENANCE_LABELS, IMPACT_LABELS)


def component_label(value: str, lang: str) -> str:
    """``partial_outage`` -> "Partial outage" / "部分中断"."""
    return t(COMPONENT_LABELS.get(value, value), lang)


def incident_label(value: str, lang: str) -> str:
    """``identified`` -> "Identified" / "已定位"."""
    return t(INCIDENT_LABELS.get(value, value), lang)


def maintenance_label(value: str, lang: str) -> str:
    """``in_progress`` -> "In progress" / "进行中"."""
    return t(MAINTENANCE_LABELS.get(value, value), lang)


def impact_label(value: str, lang: str) -> str:
    """``major`` -> "Major impact" / "重大影响"."""
    return t(IMPACT_LABELS.get(value, value), lang)
