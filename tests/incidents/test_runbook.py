"""Runbook tasks follow the restore priority of the plan's core functions."""

from __future__ import annotations

from eventguard.incidents.runbook import restore_order
from eventguard.plans.schemas import PlanSpec, RunbookStep

TEXT = {"zh-CN": "步骤", "en": "step"}


def _spec(priorities: dict[str, int]) -> PlanSpec:
    return PlanSpec.model_validate(
        {
            "format_version": 1,
            "event": {"slug": "e", "name": TEXT, "timezone": "UTC", "owner": "p"},
            "core_functions": [
                {"id": fid, "name": TEXT, "restore_priority": prio} for fid, prio in priorities.items()
            ],
        }
    )


def _step(step_id: str, function: str | None = None) -> RunbookStep:
    return RunbookStep.model_validate(
        {"id": step_id, "title": TEXT, "owner": "tech", "core_function": function}
    )


def test_steps_of_core_functions_are_restored_login_first_then_payment_then_livestream() -> None:
    spec = _spec({"login": 1, "payment": 2, "livestream": 3})
    steps = [
        _step("assess"),
        _step("restart-stream", "livestream"),
        _step("fix-payment", "payment"),
        _step("announce"),
        _step("fix-login", "login"),
    ]
    assert [s.id for s in restore_order(spec, steps)] == [
        "assess",
        "fix-login",
        "fix-payment",
        "announce",
        "restart-stream",
    ]


def test_the_plans_priorities_decide_not_the_names() -> None:
    spec = _spec({"login": 3, "payment": 1, "livestream": 2})
    steps = [_step("a", "login"), _step("b", "livestream"), _step("c", "payment")]
    assert [s.id for s in restore_order(spec, steps)] == ["c", "b", "a"]


def test_steps_of_one_function_keep_their_plan_order() -> None:
    spec = _spec({"login": 1, "livestream": 2})
    steps = [_step("s1", "livestream"), _step("s2", "livestream"), _step("l1", "login")]
    assert [s.id for s in restore_order(spec, steps)] == ["l1", "s1", "s2"]
