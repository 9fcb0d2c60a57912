"""Shape errors (from the Pydantic models) come back as plain, located, translated messages."""

from __future__ import annotations

from tests.plans.helpers import check, column_of, edit, line_of, only


def test_it_suggests_the_right_key_for_a_typo(example_source: str) -> None:
    source = edit(example_source, "    pause_activity: true\n", "    pause_activty: true\n")
    issue = only(check(source), "unknown_key")
    assert issue.line == line_of(source, "pause_activty")
    assert issue.message.render("en") == 'Unknown key "pause_activty"; did you mean "pause_activity"?'
    assert issue.message.render("zh-CN") == "未知的键“pause_activty”;是否想写“pause_activity”?"


def test_it_reports_a_missing_required_key_at_its_parent(example_source: str) -> None:
    source = edit(example_source, "  timezone: Asia/Shanghai\n", "")
    issue = only(check(source), "missing_key")
    assert issue.line == line_of(source, "event:")
    assert issue.message.render("en") == 'Required key "timezone" is missing.'


def test_it_names_the_allowed_values_of_a_choice(example_source: str) -> None:
    source = edit(example_source, "    public_announcement: required\n", "    public_announcement: always\n")
    issue = only(check(source), "invalid_choice")
    assert (issue.line, issue.column) == (line_of(source, "always"), column_of(source, "always"))
    assert issue.message.render("en") == (
        "Invalid value \"always\"; expected one of: 'required', 'optional', 'none'."
    )


def test_it_explains_how_to_write_a_duration(example_source: str) -> None:
    source = edit(example_source, "    notify_within: 5m\n", "    notify_within: 300\n")
    issue = only(check(source), "invalid_duration")
    assert issue.line == line_of(source, "notify_within: 300")
    assert "30s, 5m, 2h" in issue.message.render("en")


def test_it_asks_for_a_utc_offset_on_phase_times(example_source: str) -> None:
    source = edit(
        example_source, "      start: 2026-05-01T00:00:00+08:00", "      start: 2026-05-01T00:00:00"
    )
    issue = only(check(source), "naive_datetime")
    assert issue.line == line_of(source, "start: 2026-05-01T00:00:00\n")


def test_it_rejects_an_unknown_time_zone(example_source: str) -> None:
    source = edit(example_source, "timezone: Asia/Shanghai", "timezone: Asia/Beijing")
    assert "Asia/Beijing" in only(check(source), "invalid_timezone").message.render("en")


def test_it_asks_for_both_languages_where_a_name_is_plain_text(example_source: str) -> None:
    source = edit(example_source, "    name: {zh-CN: 登录, en: Login}\n", "    name: 登录\n")
    issue = only(check(source), "wrong_type")
    assert issue.line == line_of(source, "name: 登录\n")
    assert "zh-CN and en" in issue.message.render("en")


def test_it_reports_an_unknown_probe_kind_at_its_kind_key(example_source: str) -> None:
    source = edit(example_source, "    kind: heartbeat\n", "    kind: ping\n")
    issue = only(check(source), "invalid_choice")
    assert issue.line == line_of(source, "kind: ping")


def test_it_reports_a_notification_target_that_names_nobody(example_source: str) -> None:
    source = edit(example_source, "      - {team: legal, role: lead}\n", "      - {legal: lead}\n")
    issue = only(check(source), "invalid_target")
    assert issue.line == line_of(source, "{legal: lead}")


def test_it_reports_an_id_with_capitals(example_source: str) -> None:
    source = edit(example_source, "  - id: payment-outage\n", "  - id: Payment_Outage\n")
    issue = only(check(source), "invalid_id")
    assert issue.line == line_of(source, "Payment_Outage")


def test_it_rejects_a_second_format_version(example_source: str) -> None:
    source = edit(example_source, "format_version: 1\n", "format_version: 2\n")
    issue = only(check(source), "invalid_choice")
    assert issue.line == line_of(source, "format_version")


def test_it_still_checks_meaning_when_a_part_has_a_shape_error(example_source: str) -> None:
    source = edit(example_source, "    restore_priority: 5\n", "    restore_priority: five\n")
    source = edit(source, "        owner: vendor-payment\n", "        owner: vendor-pay\n")
    result = check(source)
    assert {issue.code for issue in result.errors} == {"wrong_type", "unknown_team"}
    assert result.spec is None


def test_it_does_not_call_references_to_a_broken_part_unknown(example_source: str) -> None:
    # The team fails its own shape check; every runbook step owned by it must not fail again.
    source = edit(example_source, "    kind: legal\n", "    kind: lawyers\n")
    assert [issue.code for issue in check(source).errors] == ["invalid_choice"]


def test_a_plan_with_only_a_format_version_lacks_its_event_and_levels() -> None:
    result = check("format_version: 1\n")
    assert sorted(issue.message.render("en") for issue in result.errors) == [
        "Level 1 is not defined; levels 1, 2 and 3 must each be defined once.",
        "Level 2 is not defined; levels 1, 2 and 3 must each be defined once.",
        "Level 3 is not defined; levels 1, 2 and 3 must each be defined once.",
        'Required key "event" is missing.',
    ]
