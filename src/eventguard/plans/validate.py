"""What a plan means, checked: every reference resolves, every level notifies someone, every runbook
step has an owner, templates use only known variables, phases do not overlap … (docs/plan-format.md).

``validate_source`` is the whole pipeline: YAML -> shape (``plans.parse``) -> these checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from difflib import get_close_matches
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ValidationError

from eventguard.notify.channels import channel_facts
from eventguard.notify.channels.base import ChannelFacts
from eventguard.plans import rules
from eventguard.plans.issues import Locator, Path, PlanIssue, ValidationResult
from eventguard.plans.loader import load_plan
from eventguard.plans.parse import ParsedPlan, parse_plan
from eventguard.plans.rules import Rule
from eventguard.plans.schemas import (
    RISK_CATEGORIES,
    Channel,
    ClassificationRule,
    CustomRotation,
    Drill,
    HandlingCard,
    ImHandles,
    LabelMatcher,
    MetricProbe,
    NotifyTarget,
    ParticipationProbe,
    PersonTarget,
    Scenario,
    Schedule,
    ScheduleLayer,
    TeamTarget,
)
from eventguard.plans.templates import template_problems
from eventguard.plans.types import PHASE_ORDER, format_duration
from eventguard.plugins import alert_formats

FIVE_MINUTES = timedelta(minutes=5)
BUILT_IN_SOURCES = ("probe",)  # alerts of the plan's own monitoring probes; the rest are alert formats
# Query parameters that are secrets whatever the channel; each channel adds its own key parameter
# (key_join) and the texts that show a target carries its key (secret_markers).
_SECRET_QUERY_KEYS = {"key", "access_token", "token", "secret", "sign", "signature", "sig"}
_SECTION_RULES = {
    "people": rules.UNKNOWN_PERSON,
    "teams": rules.UNKNOWN_TEAM,
    "channels": rules.UNKNOWN_CHANNEL,
    "core_functions": rules.UNKNOWN_CORE_FUNCTION,
    "scenarios": rules.UNKNOWN_SCENARIO,
    "backup_plans": rules.UNKNOWN_BACKUP_PLAN,
    "templates": rules.UNKNOWN_TEMPLATE,
    "escalation_policies": rules.UNKNOWN_ESCALATION_POLICY,
}
_ID_SECTIONS = (*_SECTION_RULES, "risks", "monitoring", "schedules", "drills", "maintenance_windows")
_SHORTEST_TURN = timedelta(hours=1)
_SHORTEST_PROBE_INTERVAL = timedelta(seconds=1)
_SHORTEST_REMINDER = timedelta(minutes=1)


def validate_source(*, source: str, filename: str) -> ValidationResult:
    """Every error and warning in the plan ``source`` (read from ``filename``), never an exception."""
    loaded = load_plan(source, filename)
    if loaded.data is None:
        return ValidationResult.from_issues(loaded.issues, None)
    parsed = parse_plan(loaded.data, loaded.locator)
    issues = [*loaded.issues, *parsed.issues, *_Checker(parsed, loaded.locator).run()]
    return ValidationResult.from_issues(issues, parsed.spec)


class _Checker:
    def __init__(self, parsed: ParsedPlan, locator: Locator) -> None:
        self.parsed = parsed
        self.spec = parsed.spec
        self.locator = locator
        self.issues: list[PlanIssue] = []
        self.known: dict[str, set[str]] = {}

    def run(self) -> list[PlanIssue]:
        for section in _ID_SECTIONS:
            self._unique_ids(section)
        if "event" not in self.parsed.broken_sections:
            self._event()
        self._people_and_channels()
        self._teams()
        self._core_functions()
        self._levels()
        self._escalation_policies()
        for scenario in self.spec.scenarios:
            self._scenario(scenario)
        self._backup_plans()
        self._templates()
        self._risks_and_monitoring()
        self._probes_and_watch()
        self._schedules()
        for drill in self.spec.drills:
            self._drill(drill)
        self._maintenance_windows()
        self._noise()
        self._kit_and_compliance()
        return self.issues

    # -- helpers

    def at(self, model: BaseModel, *keys: str | int) -> Path:
        return (*self.parsed.path_of(model), *keys)

    def report(self, rule: Rule, path: Path, **params: Any) -> None:
        self.issues.append(self.locator.issue(rule, path, **params))

    def ref(self, section: str, value: str | None, path: Path) -> None:
        """Report ``value`` unless it names an item of ``section`` (or one that already failed)."""
        if value is None or value in self.known[section]:
            return
        if section in self.parsed.broken_sections or (section, value) in self.parsed.broken_ids:
            return
        known = ", ".join(sorted(self.known[section])) or "-"
        self.report(_SECTION_RULES[section], path, ref=value, known=known)

    def refs(self, section: str, values: Iterable[str], owner: BaseModel, key: str) -> None:
        for index, value in enumerate(values):
            self.ref(section, value, self.at(owner, key, index))

    def targets(self, targets: list[NotifyTarget]) -> None:
        for target in targets:
            if isinstance(target, TeamTarget):
                self.ref("teams", target.team, self.at(target, "team"))
            elif isinstance(target, PersonTarget):
                self.ref("people", target.person, self.at(target, "person"))
            else:
                self.ref("channels", target.channel, self.at(target, "channel"))

    def _unique_ids(self, section: str, items: Iterable[Any] | None = None) -> set[str]:
        first: dict[str, BaseModel] = {}
        for item in getattr(self.spec, section) if items is None else items:
            if item.id in first:
                line = self.locator.position(self.at(first[item.id], "id")).line
                self.report(
                    rules.DUPLICATE_ID, self.at(item, "id"), section=section, id=item.id, first_line=line
                )
            first.setdefault(item.id, item)
        if items is None:
            self.known[section] = set(first)
        return set(first)

    # -- sections

    def _event(self) -> None:
        event = self.spec.event
        self.ref("people", event.owner, self.at(event, "owner"))
        seen: set[str] = set()
        previous = None
        for phase in sorted(event.phases, key=lambda item: item.start):
            if phase.name in seen:
                self.report(rules.PHASE_DUPLICATE, self.at(phase, "name"), phase=phase.name)
            seen.add(phase.name)
            if phase.end <= phase.start:
                self.report(rules.PHASE_REVERSED, self.at(phase, "end"), phase=phase.name)
            if previous is not None and phase.start < previous.end:
                self.report(
                    rules.PHASE_OVERLAP, self.at(phase, "start"), phase=phase.name, other=previous.name
                )
            if previous is not None and PHASE_ORDER.index(phase.name) < PHASE_ORDER.index(previous.name):
                self.report(
                    rules.PHASE_ORDER, self.at(phase, "start"), phase=phase.name, previous=previous.name
                )
            previous = phase

    def installed(self, rule: Rule, suggesting: Rule, value: str, known: Iterable[str], path: Path) -> bool:
        """Report ``value`` unless it names one of ``known`` (installed channel kinds, alert
        sources), suggesting the closest one for a typo."""
        names = sorted(known)
        if value in names:
            return True
        close = get_close_matches(value, names, n=1, cutoff=0.6)
        listed = ", ".join(names) or "-"
        if close:
            self.report(suggesting, path, ref=value, suggestion=close[0], known=listed)
        else:
            self.report(rule, path, ref=value, known=listed)
        return False

    def _people_and_channels(self) -> None:
        kinds = channel_facts()
        handle_names = {*ImHandles.model_fields, *(f.im_handle for f in kinds.values() if f.im_handle)}
        for person in self.spec.people:
            if not (person.email or person.phone or any(person.im.model_dump().values())):
                self.report(rules.PERSON_NO_CONTACT, self.at(person, "id"), person=person.id)
            for name in person.im.model_extra or {}:  # a plugin channel's handle, or a typo
                unknown, suggesting = rules.UNKNOWN_IM_HANDLE, rules.UNKNOWN_IM_HANDLE_SUGGESTION
                self.installed(unknown, suggesting, name, handle_names, self.at(person, "im", name))
        for channel in self.spec.channels:
            type_path = self.at(channel, "type")
            if self.installed(
                rules.UNKNOWN_CHANNEL_TYPE,
                rules.UNKNOWN_CHANNEL_TYPE_SUGGESTION,
                channel.type,
                kinds,
                type_path,
            ):
                self._channel_config(channel, kinds[channel.type].config_schema)
            self.ref("people", channel.owner, self.at(channel, "owner"))
            if channel.secret is not None:
                self.report(rules.INLINE_SECRET, self.at(channel, "secret"), channel=channel.id)
            elif _has_inline_secret(channel, kinds.values()):
                self.report(rules.INLINE_SECRET, self.at(channel, "target"), channel=channel.id)

    def _channel_config(self, channel: Channel, schema: type[BaseModel]) -> None:
        try:
            schema.model_validate(channel.config)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "config"
                self.report(
                    rules.CHANNEL_CONFIG_INVALID,
                    self.at(channel, "config", *error["loc"]),
                    channel=channel.id,
                    kind=channel.type,
                    problem=f"{where}: {error['msg']}",
                )

    def _teams(self) -> None:
        people = {person.id: person for person in self.spec.people}
        for team in self.spec.teams:
            self.ref("people", team.lead, self.at(team, "lead"))
            self.refs("people", team.members, team, "members")
            self.refs("channels", team.channels, team, "channels")
            if team.lead is None:
                self.report(rules.TEAM_NO_LEAD, self.at(team, "id"), team=team.id)
            if team.kind == "vendor" and team.vendor is None:
                self.report(rules.VENDOR_DETAILS_MISSING, self.at(team, "kind"), team=team.id)
            reachable = [
                people[member]
                for member in {*team.members, *([team.lead] if team.lead else [])}
                if member in people and (people[member].email or people[member].phone)
            ]
            if not team.channels and not reachable and "people" not in self.parsed.broken_sections:
                self.report(rules.TEAM_UNREACHABLE, self.at(team, "id"), team=team.id)

    def _core_functions(self) -> None:
        by_priority: dict[int, str] = {}
        for function in self.spec.core_functions:
            first = by_priority.setdefault(function.restore_priority, function.id)
            if first != function.id:
                self.report(
                    rules.RESTORE_PRIORITY_DUPLICATE,
                    self.at(function, "restore_priority"),
                    priority=function.restore_priority,
                    first=first,
                    second=function.id,
                )

    def _levels(self) -> None:
        seen: set[int] = set()
        for level in self.spec.levels:
            if level.level in seen:
                self.report(rules.LEVEL_DUPLICATE, self.at(level, "level"), level=level.level)
            seen.add(level.level)
            if not level.notify:
                self.report(rules.LEVEL_NOBODY_NOTIFIED, self.at(level, "notify"), level=level.level)
            self.targets(level.notify)
            self.ref("escalation_policies", level.escalation_policy, self.at(level, "escalation_policy"))
            if level.pause_activity and not any(tpl.purpose == "pause" for tpl in self.spec.templates):
                self.report(
                    rules.LEVEL_PAUSE_NO_TEMPLATE, self.at(level, "pause_activity"), level=level.level
                )
            if level.level == 1 and level.notify_within > FIVE_MINUTES:
                value = format_duration(level.notify_within)
                self.report(rules.LEVEL1_SLOW_NOTIFY, self.at(level, "notify_within"), value=value)
        if "levels" not in self.parsed.broken_sections:
            for number in (1, 2, 3):
                if number not in seen:
                    self.report(rules.LEVEL_MISSING, ("levels",), level=number)

    def _escalation_policies(self) -> None:
        for policy in self.spec.escalation_policies:
            for step in policy.steps:
                if not step.notify:
                    self.report(rules.ESCALATION_STEP_EMPTY, self.at(step, "after"))
                self.targets(step.notify)

    def _scenario(self, scenario: Scenario) -> None:
        self.refs("core_functions", scenario.core_functions, scenario, "core_functions")
        self.refs("backup_plans", scenario.backup_plans, scenario, "backup_plans")
        self.refs("templates", scenario.templates, scenario, "templates")
        for rule in scenario.classification:
            self._classification(rule)
        if not scenario.runbook:
            self.report(rules.SCENARIO_NO_RUNBOOK, self.at(scenario, "id"), scenario=scenario.id)
        step_ids: dict[str, BaseModel] = {}
        for step in scenario.runbook:
            if step.id in step_ids:
                line = self.locator.position(self.at(step_ids[step.id], "id")).line
                self.report(
                    rules.DUPLICATE_ID, self.at(step, "id"), section="runbook", id=step.id, first_line=line
                )
            step_ids.setdefault(step.id, step)
            if step.owner is None:
                self.report(rules.RUNBOOK_STEP_NO_OWNER, self.at(step, "id"), step=step.id)
            self.ref("teams", step.owner, self.at(step, "owner"))
            self.ref("core_functions", step.core_function, self.at(step, "core_function"))

    def _classification(self, rule: ClassificationRule) -> None:
        self.refs("core_functions", rule.core_functions, rule, "core_functions")
        sources = {*alert_formats(), *BUILT_IN_SOURCES}
        for index, source in enumerate(rule.sources):
            self.installed(
                rules.UNKNOWN_ALERT_SOURCE,
                rules.UNKNOWN_ALERT_SOURCE_SUGGESTION,
                source,
                sources,
                self.at(rule, "sources", index),
            )
        for label, pattern in rule.match_re.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                self.report(
                    rules.INVALID_REGEX, self.at(rule, "match_re", label), pattern=pattern, problem=exc.msg
                )
        if not (rule.match or rule.match_re or rule.sources):
            self.report(rules.RULE_MATCHES_EVERYTHING, self.at(rule, "level"))

    def _backup_plans(self) -> None:
        needs = {"stream": "stream_url", "links": "links", "offline_pack": "offline_pack_url"}
        for plan in self.spec.backup_plans:
            key = needs[plan.kind]
            if not getattr(plan, key):
                self.report(
                    rules.BACKUP_PLAN_INCOMPLETE, self.at(plan, "kind"), plan=plan.id, kind=plan.kind, key=key
                )

    def _templates(self) -> None:
        for template in self.spec.templates:
            for language in ("zh-CN", "en"):
                text = template.text(language)
                if text is None:
                    self.report(
                        rules.TEMPLATE_MISSING_LANGUAGE,
                        self.at(template, "id"),
                        template=template.id,
                        language=language,
                    )
                    continue
                for field in ("title", "body"):
                    for problem in template_problems(getattr(text, field)):
                        issue = self.locator.issue(
                            problem.rule,
                            self.at(text, field),
                            text_line=problem.text_line,
                            find=problem.params.get("name"),
                            **problem.params,
                        )
                        self.issues.append(issue)

    def _risks_and_monitoring(self) -> None:
        for risk in self.spec.risks:
            for field in ("likelihood", "impact"):
                value = getattr(risk, field)
                if not 1 <= value <= 5:
                    self.report(rules.RISK_SCORE_OUT_OF_RANGE, self.at(risk, field), field=field, value=value)
            self.ref("teams", risk.owner, self.at(risk, "owner"))
            self.ref("scenarios", risk.scenario, self.at(risk, "scenario"))
            self.ref("scenarios", risk.drill_scenario, self.at(risk, "drill_scenario"))
            self.ref("backup_plans", risk.backup_plan, self.at(risk, "backup_plan"))
            self._risk_category(risk.category, self.at(risk, "category"))
        self._surveys_and_readiness()
        for probe in self.spec.monitoring:
            self.ref("scenarios", probe.scenario, self.at(probe, "scenario"))

    def _risk_category(self, category: str, path: Path) -> None:
        known = {*RISK_CATEGORIES, *(item.id for item in self.spec.risk_categories)}
        if category not in known:
            self.report(rules.UNKNOWN_RISK_CATEGORY, path, ref=category, known=", ".join(sorted(known)))

    def _surveys_and_readiness(self) -> None:
        seen: set[str] = set()
        for tag in self.spec.surveys.tags:
            if tag.id in seen:
                self.report(rules.DUPLICATE_SURVEY_TAG, self.at(tag, "id"), id=tag.id)
            seen.add(tag.id)
            if not tag.keywords_zh and not tag.keywords_en:
                self.report(rules.SURVEY_TAG_NO_KEYWORDS, self.at(tag, "id"), id=tag.id)
            self._risk_category(tag.category, self.at(tag, "category"))
            self.ref("scenarios", tag.scenario, self.at(tag, "scenario"))
        readiness = self.spec.readiness
        self.ref("teams", readiness.legal_team, self.at(readiness, "legal_team"))
        self.refs("teams", readiness.review_teams, readiness, "review_teams")
        items: set[str] = set()
        for item in readiness.legal_items:
            if item.id in items:
                self.report(rules.DUPLICATE_LEGAL_ITEM, self.at(item, "id"), id=item.id)
            items.add(item.id)

    def _probes_and_watch(self) -> None:
        for probe in self.spec.monitoring:
            if isinstance(probe, MetricProbe | ParticipationProbe) and (probe.target is None) != (
                probe.query is None
            ):
                self.report(rules.PROBE_QUERY_TARGET, self.at(probe, "id"), probe=probe.id)
            intervals = [
                ("interval", probe.interval),
                *((key, value) for key, value in probe.intervals.items()),
            ]
            for key, value in intervals:
                at = self.at(probe, "interval") if key == "interval" else self.at(probe, "intervals", key)
                if value < _SHORTEST_PROBE_INTERVAL:
                    self.report(
                        rules.PROBE_INTERVAL_TOO_SHORT, at, probe=probe.id, value=format_duration(value)
                    )
                elif probe.timeout > value:
                    self.report(
                        rules.PROBE_TIMEOUT_TOO_LONG,
                        at,
                        probe=probe.id,
                        timeout=format_duration(probe.timeout),
                        value=format_duration(value),
                    )
        watch = self.spec.content_watch
        if watch is not None:
            self._unique_ids("words", watch.words)
            if watch.content_alert is not None and not any(wl.words for wl in watch.words):
                self.report(rules.WATCH_NO_WORDS, self.at(watch, "content_alert"))

    def _schedules(self) -> None:
        serving: dict[str, Schedule] = {}
        for schedule in self.spec.schedules:
            self.ref("teams", schedule.team, self.at(schedule, "team"))
            first = serving.setdefault(schedule.team, schedule)
            if first is not schedule:
                line = self.locator.position(self.at(first, "id")).line
                self.report(
                    rules.SCHEDULE_TEAM_TAKEN,
                    self.at(schedule, "team"),
                    team=schedule.team,
                    first=first.id,
                    first_line=line,
                )
            if not schedule.layers:
                self.report(rules.SCHEDULE_NO_LAYERS, self.at(schedule, "id"), schedule=schedule.id)
            self._unique_ids("layers", schedule.layers)
            for layer in schedule.layers:
                self._layer(layer)

    def _kit_and_compliance(self) -> None:
        kit, compliance = self.spec.kit, self.spec.compliance
        self.refs("teams", kit.teams, kit, "teams")
        levels = {level.level for level in self.spec.levels}
        first: dict[tuple[str, int], HandlingCard] = {}
        for card in kit.handling_cards:
            self.ref("teams", card.team, self.at(card, "team"))
            if "levels" not in self.parsed.broken_sections and card.level not in levels:
                self.report(rules.CARD_UNKNOWN_LEVEL, self.at(card, "level"), level=card.level)
            seen = first.setdefault((card.team, card.level), card)
            if seen is not card:
                line = self.locator.position(self.at(seen, "team")).line
                self.report(
                    rules.CARD_DUPLICATE, self.at(card, "team"), team=card.team, level=card.level, line=line
                )
        self.ref("teams", compliance.legal_team, self.at(compliance, "legal_team"))
        for index, fraction in enumerate(compliance.reminders.at_fraction):
            if not 0 < fraction < 1:
                self.report(
                    rules.COMPLIANCE_FRACTION,
                    self.at(compliance.reminders, "at_fraction", index),
                    value=fraction,
                )

    def _drill(self, drill: Drill) -> None:
        self.ref("scenarios", drill.scenario, self.at(drill, "scenario"))
        self.ref("people", drill.facilitator, self.at(drill, "facilitator"))
        self.refs("teams", drill.teams, drill, "teams")
        if not drill.steps:
            self.report(rules.DRILL_NO_STEPS, self.at(drill, "id"), drill=drill.id)
        probes = {probe.id for probe in self.spec.monitoring}
        previous = None
        for number, step in enumerate(drill.steps, start=1):
            needs = _drill_step_needs(drill.mode, step.inject)
            if getattr(step, needs) is None:
                at = (
                    self.at(step, "inject")
                    if step.inject is not None
                    else self.at(drill, "steps", number - 1)
                )
                self.report(rules.DRILL_STEP_INCOMPLETE, at, step=number, drill=drill.id, key=needs)
            if previous is not None and step.at < previous:
                self.report(
                    rules.DRILL_STEPS_UNORDERED,
                    self.at(drill, "steps", number - 1),
                    step=number,
                    drill=drill.id,
                    at=format_duration(step.at),
                )
            previous = step.at
            self.ref("channels", step.channel, self.at(step, "channel"))
            if step.probe is not None and step.probe not in probes:
                known = ", ".join(sorted(probes)) or "-"
                self.report(rules.UNKNOWN_PROBE, self.at(step, "probe"), ref=step.probe, known=known)

    def _maintenance_windows(self) -> None:
        periods = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
        for window in self.spec.maintenance_windows:
            empty_ok = []
            for matcher in window.matchers:
                if matcher.op in ("=~", "!~"):
                    try:
                        found = re.fullmatch(f"(?:{matcher.value})", "") is not None
                    except re.error as exc:
                        path = self.at(matcher, "value")
                        self.report(rules.INVALID_REGEX, path, pattern=matcher.value, problem=exc.msg)
                        found = False
                    empty_ok.append(found if matcher.op == "=~" else not found)
                else:
                    empty_ok.append((matcher.value == "") == (matcher.op == "="))
            if empty_ok and all(empty_ok):
                self.report(rules.WINDOW_MATCHES_EVERYTHING, self.at(window, "matchers"), window=window.id)
            period = periods.get(window.repeat)
            if period is not None and window.duration > period:
                self.report(
                    rules.WINDOW_TOO_LONG,
                    self.at(window, "duration"),
                    window=window.id,
                    repeat=window.repeat,
                    duration=format_duration(window.duration),
                )
            if window.until is not None and window.until <= window.start:
                self.report(rules.WINDOW_ENDS_BEFORE_START, self.at(window, "until"), window=window.id)

    def _regexes(self, matchers: Iterable[LabelMatcher]) -> None:
        for matcher in matchers:
            if matcher.op in ("=~", "!~"):
                try:
                    re.compile(matcher.value)
                except re.error as exc:
                    path = self.at(matcher, "value")
                    self.report(rules.INVALID_REGEX, path, pattern=matcher.value, problem=exc.msg)

    def _noise(self) -> None:
        noise = self.spec.noise
        self._unique_ids("noise.inhibit_rules", noise.inhibit_rules)
        for rule in noise.inhibit_rules:
            for selector in (rule.source, rule.target):
                self.refs("scenarios", selector.scenarios, selector, "scenarios")
                self.refs("core_functions", selector.core_functions, selector, "core_functions")
                self._regexes(selector.matchers)
            most_severe = min(rule.source.levels, default=1)
            for index, level in enumerate(rule.target.levels):
                if level <= most_severe:
                    self.report(
                        rules.INHIBIT_TARGET_NOT_LOWER,
                        self.at(rule.target, "levels", index),
                        inhibit=rule.id,
                        level=level,
                        source=most_severe,
                    )
        if noise.flapping is not None and noise.flapping.within < _SHORTEST_REMINDER:
            value = format_duration(noise.flapping.within)
            self.report(rules.FLAPPING_WINDOW_TOO_SHORT, self.at(noise.flapping, "within"), value=value)
        seen: set[int] = set()
        for reminder in noise.reminders:
            if reminder.level in seen:
                self.report(rules.REMINDER_LEVEL_DUPLICATE, self.at(reminder, "level"), level=reminder.level)
            seen.add(reminder.level)
            if reminder.unacknowledged_every is None and reminder.open_every is None:
                self.report(rules.REMINDER_EMPTY, self.at(reminder), level=reminder.level)
            for key in ("unacknowledged_every", "open_every"):
                every = getattr(reminder, key)
                if every is not None and every < _SHORTEST_REMINDER:
                    self.report(
                        rules.REMINDER_TOO_FREQUENT, self.at(reminder, key), value=format_duration(every)
                    )
        levels: set[int] = set()
        for item in noise.transient:
            if item.level == 1:
                self.report(rules.TRANSIENT_LEVEL_1, self.at(item, "level"))
            elif item.level in levels:
                self.report(rules.TRANSIENT_LEVEL_DUPLICATE, self.at(item, "level"), level=item.level)
            levels.add(item.level)
            if item.within < _SHORTEST_REMINDER:
                value = format_duration(item.within)
                self.report(rules.TRANSIENT_TOO_SHORT, self.at(item, "within"), value=value)
        for window in self.spec.maintenance_windows:
            if window.status_page is not None:
                post = window.status_page
                self.refs("core_functions", post.components, post, "components")

    def _layer(self, layer: ScheduleLayer) -> None:
        if not layer.members:
            self.report(rules.LAYER_NO_MEMBERS, self.at(layer, "members"), layer=layer.id)
        self.refs("people", layer.members, layer, "members")
        rotation = layer.rotation
        if isinstance(rotation, CustomRotation) and rotation.length < _SHORTEST_TURN:
            value = format_duration(rotation.length)
            self.report(rules.ROTATION_TOO_SHORT, self.at(rotation, "length"), value=value)
        for restriction in layer.restrictions:
            if restriction.from_ == restriction.to:
                self.report(rules.RESTRICTION_EMPTY, self.at(restriction, "to"), time=restriction.to)


def _drill_step_needs(mode: str, inject: str | None) -> str:
    """The key a drill step must have, given the drill's mode and what it injects."""
    if mode == "tabletop":
        return "question"
    if inject is None:
        return "inject"
    return {"alert": "title", "complaint": "title", "probe_failure": "probe", "channel_down": "channel"}[
        inject
    ]


def _has_inline_secret(channel: Channel, installed: Iterable[ChannelFacts]) -> bool:
    """A webhook URL that carries its key, token or signature (WeCom key=, DingTalk access_token=,
    a Slack or Feishu hook path … as the installed channels declare them)."""
    facts = list(installed)
    parts = urlsplit(channel.target)
    if parts.password:
        return True
    secret_keys = _SECRET_QUERY_KEYS | {f.key_join.query for f in facts if f.key_join.query}
    if set(parse_qs(parts.query)) & secret_keys:
        return True
    return any(marker in channel.target for f in facts for marker in f.secret_markers)
