"""What a public update says: the plan's announcement template filled with public facts only.

Defaults never come from internal data: ``summary`` is the scenario's name (not the incident's
title, which often is an alert's summary), ``impact`` names the affected core functions (not the
internal impact note), and the console and acknowledgement links are always empty. Comms gives
``summary``, ``impact``, ``eta``, ``backup_link`` and ``compensation`` explicitly, in one text or
per language; the active backup plans' links fill ``backup_link`` until then."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import TemplateError

from eventguard.clock import local_time
from eventguard.errors import InvalidInput
from eventguard.i18n import LANGUAGES, Message, t
from eventguard.incidents.models import Incident
from eventguard.plans.schemas import MessageTemplate, PlanSpec
from eventguard.plans.templates import TEMPLATE_VARIABLES, render

EXPLICIT_VARIABLES = ("summary", "impact", "eta", "backup_link", "compensation")
VariableValue = str | dict[str, str]

# Used when the plan has no announcement template that fits (and for every "resolved" update).
_BUILT_IN = {
    "problem": (
        "{event_name}: {scenario}",
        "We are aware of a problem affecting {core_functions} and are working on it.",
    ),
    "resolved": (
        "{event_name}: resolved",
        "The problem affecting {core_functions} has been resolved. Thank you for your patience.",
    ),
    "pause": (
        "{event_name} is paused",
        "We have paused the event while we deal with a problem. We will tell you here as soon as it resumes.",
    ),
}


@dataclass(frozen=True)
class Wording:
    """The text of one update in both languages."""

    title: dict[str, str]
    body: dict[str, str]


def status_url(base_url: str, slug: str) -> str:
    """The public status page of the event."""
    return f"{base_url}/status/{slug}"


def check_variables(values: Mapping[str, Any]) -> dict[str, VariableValue]:
    """Only the explicit variables, each a text or a text per language; 422 otherwise."""
    unknown = sorted(set(values) - set(EXPLICIT_VARIABLES))
    if unknown:
        raise InvalidInput(
            Message("Unknown announcement variable {names}.", {"names": ", ".join(unknown)}),
            code="unknown_variable",
            details={"allowed": list(EXPLICIT_VARIABLES)},
        )
    checked: dict[str, VariableValue] = {}
    for name, value in values.items():
        if (
            isinstance(value, dict)
            and set(value) <= set(LANGUAGES)
            and all(isinstance(v, str) for v in value.values())
        ):
            checked[name] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, str):
            checked[name] = value
        else:
            raise InvalidInput(
                Message("Variable {name} must be a text or a text per language.", {"name": name}),
                code="invalid_variable",
            )
    return checked


def _function_names(spec: PlanSpec, functions: Sequence[str], language: str) -> str:
    order = {f.id: (f.restore_priority, f.name.get(language)) for f in spec.core_functions}
    known = sorted((order[f] for f in functions if f in order), key=lambda item: item[0])
    return ", ".join(name for _priority, name in known)


def variables(
    *,
    incident: Incident,
    spec: PlanSpec,
    language: str,
    explicit: Mapping[str, VariableValue],
    components: Sequence[str],
    backup_links: Sequence[str],
    base_url: str,
) -> dict[str, Any]:
    """Every template variable in ``language``: public defaults, then what comms gave."""
    zone = ZoneInfo(spec.event.timezone)
    level = spec.level(incident.level)
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    scenario_name = scenario.name.get(language) if scenario else t("Service problem", language)
    functions = _function_names(spec, components, language) or t("some services", language)
    values: dict[str, Any] = {
        "event_name": spec.event.name.get(language),
        "event_slug": spec.event.slug,
        "level": incident.level,
        "level_name": level.name.get(language) if level else str(incident.level),
        "scenario": scenario_name,
        "summary": scenario_name,
        "impact": t("{functions} affected", language, functions=functions),
        "core_functions": functions,
        "started_at": incident.opened_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "eta": local_time(incident.eta, spec.event.timezone) if incident.eta else "",
        "backup_link": " ".join(backup_links),
        "compensation": "",
        "incident_url": "",  # the console is not public
        "ack_url": "",
        "status_url": status_url(base_url, spec.event.slug),
    }
    for name, value in explicit.items():
        values[name] = (
            value.get(language, next(iter(value.values()), "")) if isinstance(value, dict) else value
        )
    return values


def announcement_template(
    spec: PlanSpec, incident: Incident, template_id: str | None
) -> MessageTemplate | None:
    """``template_id`` (422 unless it is an announcement or pause template of the plan), else the
    scenario's first announcement template, else the plan's first one, else None (built-in text)."""
    announcements = {tpl.id: tpl for tpl in spec.templates if tpl.purpose == "announcement"}
    if template_id is not None:
        chosen = {tpl.id: tpl for tpl in spec.templates if tpl.purpose in ("announcement", "pause")}
        if template_id not in chosen:
            raise InvalidInput(
                Message("The plan has no announcement template {template}.", {"template": template_id}),
                code="unknown_template",
                details={"known": sorted(chosen)},
            )
        return chosen[template_id]
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    for candidate in scenario.templates if scenario else []:
        if candidate in announcements:
            return announcements[candidate]
    return next(iter(announcements.values()), None)


def compose(
    template: MessageTemplate | None, kind: str, values_by_language: Mapping[str, dict[str, Any]]
) -> Wording:
    """The title and body in both languages, from ``template`` or the built-in ``kind`` text."""
    title: dict[str, str] = {}
    body: dict[str, str] = {}
    for language in LANGUAGES:
        values = values_by_language[language]
        if template is None:
            title_id, body_id = _BUILT_IN[kind]
            title[language], body[language] = t(title_id, language, **values), t(body_id, language, **values)
            continue
        try:
            rendered = render(template, language, values)
        except TemplateError as exc:
            raise InvalidInput(
                Message(
                    "The template {template} cannot be filled: {problem}",
                    {"template": template.id, "problem": str(exc)},
                ),
                code="template_failed",
            ) from exc
        title[language], body[language] = rendered.title.strip(), rendered.body.strip()
    return Wording(title=title, body=body)


def pause_template(spec: PlanSpec) -> MessageTemplate | None:
    """The plan's first template with purpose ``pause`` (the paused event's notice), if any."""
    return next((tpl for tpl in spec.templates if tpl.purpose == "pause"), None)


def pause_wording(*, spec: PlanSpec, incident: Incident | None, since: datetime, base_url: str) -> Wording:
    """The paused event's notice in both languages: the plan's pause template filled with the
    public variables of the incident that paused it (or the built-in text when it has none)."""
    values: dict[str, dict[str, Any]] = {}
    for language in LANGUAGES:
        if incident is not None:
            found = variables(
                incident=incident,
                spec=spec,
                language=language,
                explicit={},
                components=list(incident.core_functions),
                backup_links=(),
                base_url=base_url,
            )
        else:
            found = {name: "" for name in TEMPLATE_VARIABLES}
            found.update(
                event_name=spec.event.name.get(language),
                event_slug=spec.event.slug,
                scenario=t("Service problem", language),
                core_functions=t("some services", language),
                status_url=status_url(base_url, spec.event.slug),
            )
        found["started_at"] = local_time(since, spec.event.timezone)
        values[language] = found
    return compose(pause_template(spec), "pause", values)
