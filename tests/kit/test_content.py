"""What the kit derives from the plan (no database): handling cards written in the plan replace the
derived periods, derived cards follow the plan (who is paged, runbook steps in restore order), the
decision tree maps symptoms to levels; and the plan rules of the kit and compliance keys."""

from __future__ import annotations

from datetime import UTC, datetime

from eventguard.kit.content import KitStamp, build, cards, decision_tree
from eventguard.plans.schemas import PlanSpec
from eventguard.plans.validate import validate_source
from tests.conftest import EXAMPLE_PLAN


def _spec(source: str | None = None) -> PlanSpec:
    result = validate_source(source=source or EXAMPLE_PLAN.read_text(encoding="utf-8"), filename="plan.yaml")
    assert result.spec is not None and not result.errors, result.errors
    return result.spec


def _card(spec: PlanSpec, team: str, level: int, lang: str = "en") -> dict[str, list[str]]:
    return next(c.steps for c in cards(spec, lang) if c.team.id == team and c.level.level == level)


def test_written_cards_replace_the_derived_steps_and_the_rest_is_derived() -> None:
    spec = _spec()
    written = _card(spec, "tech", 1)
    assert written["first_5_min"][0] == "Acknowledge the page within 5 minutes and join the incident room"
    assert written["first_15_min"][0] == "Restore in order: login first, then payment, then the livestream"
    derived = _card(spec, "tech", 2)
    assert derived["first_5_min"][0].startswith("You are paged at this level: acknowledge within 5m")
    # Level 2 scenarios' tech steps, each scenario's in restore order (login before payment before stream).
    assert any(step.startswith("Payment failure: ") for step in derived["first_15_min"])
    organizer = _card(spec, "organizer", 2)
    assert (
        organizer["first_5_min"][0] == "Stand by: you are paged 30m after the start if nobody acknowledges."
    )
    pr = _card(spec, "pr", 1)
    assert any("Publish the announcement" in step for step in pr["first_15_min"])
    legal = _card(spec, "legal", 3, "zh-CN")
    assert any("网络安全事件报告(其他网络运营者) 4h" in step for step in legal["first_60_min"])
    assert len(cards(spec, "en")) == len(spec.teams) * len(spec.levels)
    assert all(all(steps for steps in c.steps.values()) for c in cards(spec, "en"))  # no empty period


def test_the_decision_tree_maps_each_symptom_to_its_level() -> None:
    tree = decision_tree(_spec(), "en")
    security = next(kind for kind in tree if kind["kind"] == "security")
    leak = next(s for s in security["scenarios"] if s["id"] == "data-leak")
    assert {"text": "alertname ~ /DataExfiltration.*|MassExport.*/", "extra": "", "level": 1} in leak[
        "symptoms"
    ]
    assert leak["default_level"] == 1


def test_the_kit_names_its_plan_version_and_the_operator_type_picks_the_cac_rule() -> None:
    spec = _spec()
    stamp = KitStamp("cloud-summit-2026", 7, "abc", datetime(2026, 6, 16, 4, 0, tzinfo=UTC), "en")
    context = build(spec, stamp)
    assert context["exported_local"] == "2026-06-16 12:00 CST" and context["stamp_json"]["plan_version"] == 7
    within = {rule["name"]: rule["within"] for rule in context["compliance"]}
    assert within["Network security incident report (other network operators)"] == "4h"
    assert not any("critical information" in name for name in within)
    cii = _spec(
        EXAMPLE_PLAN.read_text(encoding="utf-8").replace("operator_type: other", "operator_type: cii")
    )
    names = [rule["name"] for rule in build(cii, stamp)["compliance"]]
    assert "Network security incident report (critical information infrastructure operator)" in names


def test_plan_rules_of_the_kit_and_compliance_keys_have_line_numbers() -> None:
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    source = source.replace("    - team: legal\n      level: 1\n", "    - team: tech\n      level: 1\n", 1)
    source = source.replace("    at_fraction: [0.5]", "    at_fraction: [0.5, 1.5]")
    source = source.replace("  legal_team: legal\n  operator_type", "  legal_team: lawyers\n  operator_type")
    result = validate_source(source=source, filename="plan.yaml")
    codes = {issue.code: issue for issue in result.errors}
    assert set(codes) == {"card_duplicate", "compliance_fraction", "unknown_team"}, codes
    lines = source.splitlines()
    assert lines[codes["compliance_fraction"].line - 1].strip().startswith("at_fraction")
    assert "lawyers" in lines[codes["unknown_team"].line - 1]
    first = next(n for n, line in enumerate(lines, 1) if line.strip() == "- team: tech")
    assert f"line {first}" in codes["card_duplicate"].message.render("en")
