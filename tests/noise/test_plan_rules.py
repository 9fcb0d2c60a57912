"""The plan's noise section (inhibition, flapping, reminders) and a window's status_page: the
example plan is valid, and each problem is reported at its line with its code."""

from __future__ import annotations

from tests.plans.helpers import check, edit, line_of, only


def test_the_example_plans_noise_rules_are_valid(example_source: str) -> None:
    result = check(example_source)
    assert result.errors == [] and result.warnings == [] and result.spec is not None
    noise = result.spec.noise
    assert [r.id for r in noise.inhibit_rules] == [
        "livestream-down-absorbs-symptoms",
        "server-crash-absorbs-function-alerts",
        "ddos-absorbs-attack-symptoms",
    ]
    assert noise.flapping is not None and noise.flapping.times == 3
    assert [r.level for r in noise.reminders] == [1, 2, 3]
    [window] = [w for w in result.spec.maintenance_windows if w.status_page is not None]
    assert window.id == "payment-provider-maintenance" and window.status_page.components == ["payment"]  # type: ignore[union-attr]


def test_noise_problems_are_reported_at_their_lines(example_source: str) -> None:
    source = edit(
        example_source,
        "target: {levels: [2, 3], scenarios: [livestream-interruption]}",
        "target: {levels: [1, 3], scenarios: [livestream-interruption, teleport]}",
    )
    source = edit(source, "    within: 30m\n  # Opt-in per level", "    within: 20s\n  # Opt-in per level")
    source = edit(
        source,
        "    - {level: 3, unacknowledged_every: 30m, max: 4}",
        "    - {level: 3, max: 4}\n    - {level: 3, open_every: 30s}",
    )
    source = edit(
        source, "      components: [payment]\n      title:", "      components: [tickets]\n      title:"
    )
    result = check(source)
    lower = only(result, "inhibit_target_not_lower")
    assert lower.line == line_of(source, "target: {levels: [1, 3]")
    assert lower.message.render("en").startswith(
        'Inhibition rule "livestream-down-absorbs-symptoms" targets level 1, which is not less severe'
    )
    assert "抑制规则" in lower.message.render("zh-CN")
    assert only(result, "unknown_scenario").line == line_of(source, "target: {levels: [1, 3]")
    assert only(result, "flapping_window_too_short").line == line_of(source, "within: 20s")
    assert only(result, "reminder_empty").line == line_of(source, "- {level: 3, max: 4}")
    assert only(result, "reminder_level_duplicate").line == line_of(source, "- {level: 3, open_every: 30s}")
    assert only(result, "reminder_too_frequent").message.render("en") == (
        "A reminder every 30s is too often; remind at most once a minute."
    )
    assert only(result, "unknown_core_function").line == line_of(source, "components: [tickets]")
    duplicate = edit(
        example_source, "    - id: ddos-absorbs-attack-symptoms", "    - id: livestream-down-absorbs-symptoms"
    )
    assert only(check(duplicate), "duplicate_id").line == line_of(
        duplicate,
        "    - id: livestream-down-absorbs-symptoms\n      source: {levels: [1], scenarios: [malicious",
    )
    unknown = edit(example_source, "  flapping:\n    times: 3", "  flapping:\n    time: 3")
    assert only(check(unknown), "unknown_key").line == line_of(unknown, "    time: 3")
