"""What a notification says: the plan's template for the purpose, filled with the incident's facts
in the recipient's language (a built-in text when the plan has no template for it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventguard.clock import local_time
from eventguard.config import Settings
from eventguard.i18n import t
from eventguard.incidents.models import Incident
from eventguard.notify import ack
from eventguard.notify.channels.base import Notification
from eventguard.plans.schemas import MessageTemplate, PlanSpec
from eventguard.plans.templates import render

PURPOSE_OF_TOPIC = {
    "incident.opened": "notification",
    "incident.reopened": "notification",
    "incident.releveled": "notification",
    "incident.resolved": "notification",
    "escalation": "escalation",
}


@dataclass(frozen=True)
class Facts:
    """The incident facts every message of one domain event shares."""

    incident: Incident
    spec: PlanSpec
    topic: str
    settings: Settings
    now: datetime


def variables(facts: Facts, language: str, person_id: str | None) -> dict[str, Any]:
    incident, spec = facts.incident, facts.spec
    level = spec.level(incident.level)
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    names = {f.id: f.name.get(language) for f in spec.core_functions}
    order = {f.id: f.restore_priority for f in spec.core_functions}
    return {
        "event_name": spec.event.name.get(language),
        "event_slug": spec.event.slug,
        "level": incident.level,
        "level_name": level.name.get(language) if level else f"L{incident.level}",
        "scenario": scenario.name.get(language) if scenario else t("Unclassified", language),
        "summary": incident.title,
        "impact": incident.impact or t("Being assessed", language),
        "core_functions": ", ".join(
            names.get(f, f) for f in sorted(incident.core_functions, key=lambda f: order.get(f, 99))
        ),
        "started_at": local_time(incident.opened_at, spec.event.timezone),
        "eta": local_time(incident.eta, spec.event.timezone) if incident.eta else "",
        "incident_url": ack.incident_url(facts.settings, incident.id),
        "ack_url": ack.ack_url(facts.settings, incident.id, person_id, facts.now),
        "status_url": f"{facts.settings.base_url}/status/{spec.event.slug}",
    }


def _template(spec: PlanSpec, scenario_id: str | None, purpose: str) -> MessageTemplate | None:
    scenario = spec.scenario(scenario_id) if scenario_id else None
    preferred = list(scenario.templates) if scenario else []
    candidates = [tpl for tpl in spec.templates if tpl.purpose == purpose]
    return next((tpl for tpl in candidates if tpl.id in preferred), candidates[0] if candidates else None)


def _topic_line(topic: str, language: str) -> str:
    lines = {
        "incident.reopened": "The incident has come back.",
        "incident.releveled": "The incident's level has changed.",
        "incident.resolved": "The incident is resolved.",
        "incident.reminder": "Reminder: this incident is still open.",  # eventguard.noise.reminders
    }
    return t(lines[topic], language) if topic in lines else ""


def build(facts: Facts, *, language: str, person_id: str | None, key: str, purpose: str) -> Notification:
    """The notification for one recipient."""
    values = variables(facts, language, person_id)
    template = _template(facts.spec, facts.incident.scenario_id, purpose)
    if template is not None:
        rendered = render(template, language, values)
        title, body = rendered.title, rendered.body.strip()
    else:
        title = f"[L{values['level']}] {values['scenario']}: {values['summary']}"
        body = t("Impact: {impact}\nStarted: {started_at}\nAcknowledge: {ack_url}", language, **values)
    extra = _topic_line(facts.topic, language)
    if extra:
        title, body = f"{extra} {title}", f"{extra}\n{body}"
    return Notification(
        idempotency_key=key,
        topic=facts.topic,
        title=title,
        text=body,
        markdown=body,
        language=language,
        level=facts.incident.level,
        is_drill=facts.incident.is_drill,
        incident_url=values["incident_url"],
        ack_url=values["ack_url"],
        occurred_at=facts.incident.updated_at,
        data={
            "incident_id": facts.incident.id,
            "summary": facts.incident.title,
            "event": facts.spec.event.slug,
            "level": facts.incident.level,
            "status": facts.incident.status.value,
            "scenario_id": facts.incident.scenario_id,
        },
    )
