"""Small helpers for plan tests: edit the example plan and find where a text stands in it."""

from __future__ import annotations

from eventguard.plans.issues import PlanIssue, ValidationResult
from eventguard.plans.validate import validate_source


def edit(source: str, old: str, new: str) -> str:
    """``source`` with the first ``old`` replaced; fails loudly if the example no longer has it."""
    assert old in source, f"the example plan no longer contains {old!r}"
    return source.replace(old, new, 1)


def line_of(source: str, text: str) -> int:
    """1-based line of the first occurrence of ``text``."""
    assert text in source, text
    return source[: source.index(text)].count("\n") + 1


def column_of(source: str, text: str) -> int:
    """1-based column of the first occurrence of ``text``."""
    start = source.index(text)
    return start - (source.rfind("\n", 0, start) + 1) + 1


def check(source: str, filename: str = "plan.yaml") -> ValidationResult:
    return validate_source(source=source, filename=filename)


def only(result: ValidationResult, code: str) -> PlanIssue:
    """The one error (or warning) with ``code``."""
    found = [issue for issue in [*result.errors, *result.warnings] if issue.code == code]
    assert len(found) == 1, [issue.format("en") for issue in [*result.errors, *result.warnings]]
    return found[0]
