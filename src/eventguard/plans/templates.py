"""Message templates: the fixed set of variables they may use, checking them, and rendering them.

Templates are Jinja2 (``{{ event_name }}``), rendered in a sandbox with undefined variables as
errors, so a template that validated cannot leak internals or silently print nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from eventguard.plans import rules
from eventguard.plans.rules import Rule
from eventguard.plans.schemas import MessageTemplate

# Every variable a template may use, with what it holds (docs/plan-format.md lists the same).
TEMPLATE_VARIABLES: dict[str, str] = {
    "event_name": "Name of the event, in the message's language.",
    "event_slug": "URL name of the event.",
    "level": "Response level number: 1, 2 or 3.",
    "level_name": "Name of the response level, in the message's language.",
    "scenario": "Name of the incident's scenario, in the message's language.",
    "summary": "One-line summary of the incident.",
    "impact": "Initial impact: who and what is affected.",
    "core_functions": "Affected core functions, comma-separated, in restore order.",
    "started_at": "When the incident started, in the event's time zone.",
    "eta": "Estimated time of recovery given by the technical team.",
    "backup_link": "Link to the activated backup plan (backup stream, backup page).",
    "compensation": "Compensation offered to participants.",
    "incident_url": "Link to the incident in the EventGuard console.",
    "ack_url": "Signed link that acknowledges the notification.",
    "status_url": "Public status page of the event.",
}

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class TemplateProblem:
    """A problem in one template text; ``text_line`` is the 1-based line inside that text."""

    rule: Rule
    text_line: int
    params: dict[str, Any]


def template_problems(source: str) -> list[TemplateProblem]:
    """Syntax errors and variables outside ``TEMPLATE_VARIABLES`` in one template text."""
    try:
        tree = _ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        return [TemplateProblem(rules.TEMPLATE_SYNTAX, exc.lineno or 1, {"problem": exc.message or "?"})]
    allowed = ", ".join(TEMPLATE_VARIABLES)
    problems = []
    for name in sorted(meta.find_undeclared_variables(tree) - TEMPLATE_VARIABLES.keys()):
        line = min(
            (node.lineno for node in tree.find_all(nodes.Name) if node.name == name),
            default=1,
        )
        problems.append(
            TemplateProblem(rules.TEMPLATE_UNKNOWN_VARIABLE, line, {"name": name, "allowed": allowed})
        )
    return problems


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


def render(template: MessageTemplate, language: str, variables: dict[str, Any]) -> RenderedMessage:
    """Fill ``template`` in ``language`` (falling back to the other language if it lacks one).

    Variables missing from ``variables`` render as empty text; unknown ones are ignored.
    """
    text = template.text(language) or template.zh_cn or template.en
    if text is None:
        raise ValueError(f"template {template.id!r} has no text")
    values = {name: variables.get(name, "") for name in TEMPLATE_VARIABLES}
    return RenderedMessage(
        title=_ENVIRONMENT.from_string(text.title).render(values),
        body=_ENVIRONMENT.from_string(text.body).render(values),
    )
