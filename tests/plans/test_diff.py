from __future__ import annotations

import itertools

from eventguard.plans.diff import compare
from eventguard.plans.schemas import PlanSpec
from tests.plans.helpers import check, edit


def _spec(source: str) -> PlanSpec:
    spec = check(source).spec
    assert spec is not None
    return spec


def test_it_finds_no_change_between_equal_plans(example_source: str) -> None:
    diff = compare(_spec(example_source), _spec(example_source), before_label="a", after_label="b")
    assert diff.empty and diff.text == ""


def test_it_names_a_changed_value_by_the_ids_on_its_path(example_source: str) -> None:
    after = edit(
        example_source,
        "        owner: vendor-cdn\n        core_function: livestream\n      - id: announce-backup-link",
        "        owner: ops\n        core_function: livestream\n      - id: announce-backup-link",
    )
    diff = compare(_spec(example_source), _spec(after), before_label="v1", after_label="v2")
    assert [(c.path, c.kind, c.before, c.after) for c in diff.changes] == [
        (
            "scenarios[livestream-interruption].runbook[escalate-cdn-vendor].owner",
            "changed",
            "vendor-cdn",
            "ops",
        )
    ]
    assert "--- v1\n+++ v2\n" in diff.text
    assert "-        owner: vendor-cdn\n" in diff.text and "+        owner: ops\n" in diff.text


def test_it_lists_added_and_removed_items_and_changed_levels(example_source: str) -> None:
    after = edit(example_source, "  - id: low-participation\n", "  - id: weak-promotion\n")
    after = edit(after, "    quiet_period: 30m\n", "    quiet_period: 1h\n")
    diff = compare(_spec(example_source), _spec(after), before_label="v1", after_label="v2")
    summary = {(c.path, c.kind) for c in diff.changes}
    assert summary == {
        ("levels[3].quiet_period", "changed"),
        ("risks[low-participation]", "removed"),
        ("risks[weak-promotion]", "added"),
    }


def _runbook_step(source: str, step_id: str) -> str:
    """The lines of one runbook step: its "- id:" line and the deeper-indented lines after it."""
    lines = source[source.index(f"      - id: {step_id}\n") :].splitlines(keepends=True)
    step = [lines[0], *itertools.takewhile(lambda line: line.startswith(" " * 8), lines[1:])]
    return "".join(step)


def test_it_reports_reordered_runbook_steps(example_source: str) -> None:
    first = _runbook_step(example_source, "legal-review")
    second = _runbook_step(example_source, "statement")
    after = edit(example_source, first + second, second + first)
    [change] = compare(_spec(example_source), _spec(after), before_label="a", after_label="b").changes
    assert (change.path, change.kind) == ("scenarios[participant-dispute].runbook", "reordered")
    assert change.after == ["record-complaints", "assess-impact", "statement", "legal-review"]
