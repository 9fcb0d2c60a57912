"""What the kit shows, built from one plan version: levels and their consequences, the decision tree
from symptom to level and scenario, contacts and escalation order, one handling card per role and
level (应急处置卡), runbooks in restore order, backup plans and announcement templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventguard.compliance.defaults import rules_of
from eventguard.i18n import t
from eventguard.incidents.runbook import restore_order
from eventguard.plans.schemas import (
    ChannelTarget,
    EscalationPolicy,
    HandlingCard,
    NotifyTarget,
    PersonTarget,
    PlanSpec,
    ResponseLevel,
    Scenario,
    Team,
    TeamTarget,
)
from eventguard.plans.types import format_duration

PERIODS = ("first_5_min", "first_15_min", "first_60_min")


@dataclass(frozen=True)
class KitStamp:
    """What identifies a kit file: the event, the plan version it was made from and when."""

    slug: str
    plan_version: int
    plan_checksum: str
    exported_at: datetime
    language: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": "eventguard-kit/1",
            "event": self.slug,
            "plan_version": self.plan_version,
            "plan_checksum": self.plan_checksum,
            "exported_at": self.exported_at.isoformat(),
            "language": self.language,
        }


@dataclass
class Card:
    team: Team
    level: ResponseLevel
    steps: dict[str, list[str]] = field(default_factory=dict)
    written: bool = False  # taken (at least in part) from the plan's kit.handling_cards


def _person_line(spec: PlanSpec, person_id: str | None, lang: str) -> dict[str, str]:
    person = next((p for p in spec.people if p.id == person_id), None)
    if person is None:
        return {"name": person_id or "-", "phone": "", "email": ""}
    return {"name": person.name, "phone": person.phone or "", "email": person.email or ""}


def _target_text(spec: PlanSpec, target: NotifyTarget, lang: str) -> str:
    if isinstance(target, TeamTarget):
        team = spec.team(target.team)
        name = team.name.get(lang) if team else target.team
        role = {"lead": t("lead", lang), "members": t("members", lang), "all": t("everyone", lang)}[
            target.role
        ]
        people = _team_people(spec, team, target.role) if team else []
        phones = ", ".join(f"{p['name']} {p['phone']}".strip() for p in people)
        return f"{name} ({role}){': ' + phones if phones else ''}"
    if isinstance(target, PersonTarget):
        person = _person_line(spec, target.person, lang)
        return f"{person['name']} {person['phone']}".strip()
    assert isinstance(target, ChannelTarget)
    channel = next((c for c in spec.channels if c.id == target.channel), None)
    label = channel.name.get(lang) if channel and channel.name else target.channel
    return t("group channel {name}", lang, name=label)


def _team_people(spec: PlanSpec, team: Team, role: str = "all") -> list[dict[str, str]]:
    ids: list[str] = []
    if role in ("lead", "all") and team.lead:
        ids.append(team.lead)
    if role in ("members", "all"):
        ids += [m for m in team.members if m not in ids]
    return [_person_line(spec, pid, "") for pid in ids]


def kind_name(kind: str, lang: str) -> str:
    names = {
        "technical": t("Technical failures", lang),
        "security": t("Security incidents", lang),
        "content": t("Content compliance", lang),
        "participation": t("Participation problems", lang),
    }
    return names.get(kind, kind)


def operator_name(operator: str, lang: str) -> str:
    names = {
        "cii": t("critical information infrastructure operator", lang),
        "central_state": t("central or state body", lang),
        "other": t("other network operator", lang),
    }
    return names.get(operator, operator)


def levels(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    rows = []
    for level in sorted(spec.levels, key=lambda item: item.level):
        rows.append(
            {
                "level": level.level,
                "name": level.name.get(lang),
                "description": level.description.get(lang),
                "examples": [e.get(lang) for e in level.examples],
                "notify_within": format_duration(level.notify_within),
                "notify": [_target_text(spec, target, lang) for target in level.notify],
                "announcement": {
                    "required": t("required", lang),
                    "optional": t("optional", lang),
                    "none": t("none", lang),
                }[level.public_announcement],
                "pause": level.pause_activity,
                "policy": level.escalation_policy,
            }
        )
    return rows


def _symptom(rule_labels: dict[str, str], regex: dict[str, str]) -> str:
    parts = [f"{key} = {value}" for key, value in rule_labels.items()]
    parts += [f"{key} ~ /{value}/" for key, value in regex.items()]
    return ", ".join(parts)


def decision_tree(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    """Per scenario kind, each scenario with its symptoms (classification rules) and their levels."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for scenario in spec.scenarios:
        symptoms = []
        for rule in scenario.classification:
            text = _symptom(rule.match, rule.match_re) or t("any alert of this scenario", lang)
            extra = []
            if rule.sources:
                extra.append(t("from {sources}", lang, sources=", ".join(rule.sources)))
            if rule.phases:
                extra.append(t("in {phases}", lang, phases=", ".join(rule.phases)))
            symptoms.append({"text": text, "extra": "; ".join(extra), "level": rule.level})
        kinds.setdefault(scenario.kind, []).append(
            {
                "id": scenario.id,
                "name": scenario.name.get(lang),
                "description": scenario.description.get(lang) if scenario.description else "",
                "default_level": scenario.default_level,
                "symptoms": symptoms,
            }
        )
    order = ("technical", "security", "content", "participation")
    return [
        {"kind": kind, "name": kind_name(kind, lang), "scenarios": kinds[kind]}
        for kind in order
        if kind in kinds
    ]


def escalation(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    def policy_rows(policy: EscalationPolicy) -> list[dict[str, Any]]:
        elapsed = timedelta(0)
        rows = []
        for step in policy.steps:
            elapsed += step.after
            rows.append(
                {
                    "after": format_duration(elapsed),
                    "notify": [_target_text(spec, x, lang) for x in step.notify],
                }
            )
        if policy.final == "event_owner":
            owner = _person_line(spec, spec.event.owner, lang)
            rows.append(
                {
                    "after": t("last", lang),
                    "notify": [
                        t("event owner {name} {phone}", lang, name=owner["name"], phone=owner["phone"])
                    ],
                }
            )
        return rows

    return [
        {
            "id": policy.id,
            "name": policy.name.get(lang) if policy.name else policy.id,
            "repeat": policy.repeat,
            "steps": policy_rows(policy),
        }
        for policy in spec.escalation_policies
    ]


def contacts(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    rows = []
    for team in spec.teams:
        people = _team_people(spec, team)
        if team.lead:
            people[0]["lead"] = "1"
        rows.append(
            {
                "id": team.id,
                "name": team.name.get(lang),
                "responsibilities": team.responsibilities.get(lang) if team.responsibilities else "",
                "people": people,
                "vendor": (
                    {
                        "company": team.vendor.company,
                        "service": team.vendor.service.get(lang),
                        "contract": team.vendor.contract or "",
                        "hours": team.vendor.support_hours or "",
                        "contact": team.vendor.escalation_contact.name,
                        "phone": team.vendor.escalation_contact.phone or "",
                        "email": team.vendor.escalation_contact.email or "",
                    }
                    if team.vendor
                    else None
                ),
            }
        )
    return rows


def _levels_of(scenario: Scenario) -> set[int]:
    return {scenario.default_level, *(rule.level for rule in scenario.classification)}


def _notified(spec: PlanSpec, team: Team, level: ResponseLevel) -> bool:
    for target in level.notify:
        if isinstance(target, TeamTarget) and target.team == team.id:
            return True
        if isinstance(target, ChannelTarget) and target.channel in team.channels:
            return True
        if isinstance(target, PersonTarget) and (target.person == team.lead or target.person in team.members):
            return True
    return False


def _escalated_after(spec: PlanSpec, team: Team, level: ResponseLevel) -> timedelta | None:
    policy = next((p for p in spec.escalation_policies if p.id == level.escalation_policy), None)
    if policy is None:
        return None
    elapsed = timedelta(0)
    for step in policy.steps:
        elapsed += step.after
        if any(isinstance(x, TeamTarget) and x.team == team.id for x in step.notify):
            return elapsed
    return None


def derived_card(spec: PlanSpec, team: Team, level: ResponseLevel, lang: str) -> dict[str, list[str]]:
    """A card made from what the plan says about this team at this level (kit.handling_cards not set)."""
    five: list[str] = []
    fifteen: list[str] = []
    sixty: list[str] = []
    within = format_duration(level.notify_within)
    if _notified(spec, team, level):
        five.append(
            t(
                "You are paged at this level: acknowledge within {within} and join the incident room.",
                lang,
                within=within,
            )
        )
    else:
        after = _escalated_after(spec, team, level)
        if after is not None:
            five.append(
                t(
                    "Stand by: you are paged {after} after the start if nobody acknowledges.",
                    lang,
                    after=format_duration(after),
                )
            )
        else:
            five.append(t("Stand by: you are told when the incident needs you.", lang))
    if team.kind == "organizer":
        five.append(t("Confirm the level with the decision tree and name the incident commander.", lang))
        if level.pause_activity:
            five.append(t("Pause the activity: this level stops the event until it is restored.", lang))
    if team.kind == "tech":
        five.append(t("Check the monitoring and confirm which core function fails.", lang))
    seen: set[str] = set()
    for scenario in spec.scenarios:
        if level.level not in _levels_of(scenario):
            continue
        for step in restore_order(spec, scenario.runbook):
            if (step.owner or "tech") != team.id or step.title.get(lang) in seen:
                continue
            seen.add(step.title.get(lang))
            fifteen.append(f"{scenario.name.get(lang)}: {step.title.get(lang)}")
    if team.kind in ("ops", "tech") and level.level <= 2:
        for backup in spec.backup_plans:
            fifteen.append(
                t(
                    "If it is not back: switch over to {backup} (steps below).",
                    lang,
                    backup=backup.name.get(lang),
                )
            )
    if team.kind == "pr" and level.public_announcement != "none":
        key = "Publish the announcement from the templates below; update it at least every 30 minutes."
        (fifteen if level.public_announcement == "required" else sixty).append(t(key, lang))
    if team.kind == "organizer":
        fifteen.append(
            t("Check that every role of this level has been reached; escalate whoever is missing.", lang)
        )
        if level.public_announcement != "none":
            fifteen.append(t("Agree with PR on the public announcement.", lang))
    if not fifteen:
        fifteen.append(t("No step of its own here: stay reachable and follow the incident commander.", lang))
    if team.kind == "customer_service":
        sixty.append(t("Answer participants with the agreed wording of the announcement.", lang))
    if team.kind == "legal":
        rules = rules_of(spec.compliance)
        summary = ", ".join(f"{r.name.get(lang)} {format_duration(r.within)}" for r in rules)
        sixty.append(
            t("Security incidents: decide whether it is reportable; deadlines: {rules}.", lang, rules=summary)
        )
    sixty.append(t("Report progress in the incident room; keep evidence and notes for the postmortem.", lang))
    return {"first_5_min": five, "first_15_min": fifteen, "first_60_min": sixty}


def cards(spec: PlanSpec, lang: str) -> list[Card]:
    """One card per team (``kit.teams`` or every team) and level; written steps replace derived ones."""
    written: dict[tuple[str, int], HandlingCard] = {(c.team, c.level): c for c in spec.kit.handling_cards}
    teams = [team for team in spec.teams if not spec.kit.teams or team.id in spec.kit.teams]
    result = []
    for team in teams:
        for level in sorted(spec.levels, key=lambda item: item.level):
            steps = derived_card(spec, team, level, lang)
            card = Card(team=team, level=level, steps=steps)
            hand = written.get((team.id, level.level))
            if hand is not None:
                for period in PERIODS:
                    given = getattr(hand, period)
                    if given:
                        steps[period] = [text.get(lang) for text in given]
                        card.written = True
            result.append(card)
    return result


def runbooks(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    functions = {f.id: f for f in spec.core_functions}
    teams = {team.id: team.name.get(lang) for team in spec.teams}
    result = []
    for scenario in spec.scenarios:
        steps = []
        for step in restore_order(spec, scenario.runbook):
            function = functions.get(step.core_function or "")
            steps.append(
                {
                    "title": step.title.get(lang),
                    "owner": teams.get(step.owner or "tech", step.owner or "tech"),
                    "function": function.name.get(lang) if function else "",
                    "priority": function.restore_priority if function else None,
                    "details": step.details.get(lang) if step.details else "",
                }
            )
        result.append(
            {
                "name": scenario.name.get(lang),
                "steps": steps,
                "backups": [b.name.get(lang) for b in spec.backup_plans if b.id in scenario.backup_plans],
            }
        )
    return result


def backups(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "name": plan.name.get(lang),
            "kind": plan.kind,
            "stream_url": plan.stream_url or "",
            "offline_pack_url": plan.offline_pack_url or "",
            "links": [{"label": link.label.get(lang), "url": link.url} for link in plan.links],
            "activation": [step.get(lang) for step in plan.activation],
        }
        for plan in spec.backup_plans
    ]


def announcements(spec: PlanSpec) -> list[dict[str, Any]]:
    """Templates for participants (announcement, pause notice), in both languages side by side."""
    return [
        {
            "id": tpl.id,
            "purpose": tpl.purpose,
            "zh": {"title": tpl.zh_cn.title, "body": tpl.zh_cn.body} if tpl.zh_cn else None,
            "en": {"title": tpl.en.title, "body": tpl.en.body} if tpl.en else None,
        }
        for tpl in spec.templates
        if tpl.purpose in ("announcement", "pause")
    ]


def compliance(spec: PlanSpec, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "name": rule.name.get(lang),
            "authority": rule.authority.get(lang),
            "within": format_duration(rule.within),
            "statutory": rule.statutory,
            "source": rule.source,
            "operators": [operator_name(o, lang) for o in rule.operator_types],
        }
        for rule in rules_of(spec.compliance)
        if not rule.operator_types or spec.compliance.operator_type in rule.operator_types
    ]


def build(spec: PlanSpec, stamp: KitStamp) -> dict[str, Any]:
    """The template context of the whole kit."""
    lang = stamp.language
    zone = ZoneInfo(spec.event.timezone)
    return {
        "lang": lang,
        "stamp": stamp,
        "stamp_json": stamp.as_dict(),
        "event_name": spec.event.name.get(lang),
        "timezone": spec.event.timezone,
        "exported_local": stamp.exported_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        "exported_utc": stamp.exported_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC"),
        "owner": _person_line(spec, spec.event.owner, lang),
        "levels": levels(spec, lang),
        "tree": decision_tree(spec, lang),
        "contacts": contacts(spec, lang),
        "escalation": escalation(spec, lang),
        "cards": cards(spec, lang),
        "runbooks": runbooks(spec, lang),
        "backups": backups(spec, lang),
        "announcements": announcements(spec),
        "compliance": compliance(spec, lang),
    }
