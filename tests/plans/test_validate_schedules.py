"""The checks of on-call schedules: each problem at its line, in both languages."""

from __future__ import annotations

from tests.plans.helpers import check, edit, line_of, only

WEEKLY_ROTATION = (
    'rotation: {kind: weekly, handoff_day: monday, handoff: "10:00", start: 2026-04-27T10:00:00+08:00}'
)


def test_the_example_plan_has_schedules_for_three_teams(example_source: str) -> None:
    result = check(example_source)
    assert result.spec is not None
    assert [(s.id, s.team) for s in result.spec.schedules] == [
        ("tech-oncall", "tech"),
        ("ops-oncall", "ops"),
        ("customer-service-oncall", "customer-service"),
    ]
    tech = result.spec.schedule("tech-oncall")
    assert tech is not None and [layer.id for layer in tech.layers] == ["weekly", "live-days"]
    assert result.spec.schedule("nope") is None


def test_it_reports_an_unknown_team_and_an_unknown_member_at_their_lines(example_source: str) -> None:
    source = edit(example_source, "    team: tech\n    timezone:", "    team: tec\n    timezone:")
    source = edit(
        source,
        "members: [zhang-wei, chen-jie, zhao-min]\n        rotation: {kind: weekly",
        "members: [zhang-wei, chen-jay, zhao-min]\n        rotation: {kind: weekly",
    )
    errors = check(source).errors
    assert [(issue.code, issue.line) for issue in errors] == [
        ("unknown_team", line_of(source, "team: tec\n")),
        ("unknown_person", line_of(source, "chen-jay")),
    ]
    assert errors[1].message.render("en").startswith('Unknown person "chen-jay"')


def test_it_reports_a_layer_without_members(example_source: str) -> None:
    source = edit(example_source, "        members: [wang-qiang, emily-carter]", "        members: []")
    issue = only(check(source), "layer_no_members")
    assert issue.line == line_of(source, "members: []")
    assert issue.message.render("en") == 'Layer "daily" has no members; list person ids in rotation order.'
    assert issue.message.render("zh-CN") == "轮值层“daily”没有成员;请按轮换顺序列出人员 id。"


def test_it_reports_a_time_of_day_that_is_not_hh_mm(example_source: str) -> None:
    source = edit(example_source, '{from: "09:00", to: "21:00"}', '{from: "9am", to: "21:00"}')
    issue = only(check(source), "invalid_time_of_day")
    assert issue.line == line_of(source, "9am")
    assert (
        issue.message.render("en") == 'Invalid time of day "9am"; write it like "10:00" (24-hour, in quotes).'
    )
    assert "“9am”" in issue.message.render("zh-CN")
    late = edit(example_source, 'handoff: "10:00", start: 2026-05-01', 'handoff: "24:00", start: 2026-05-01')
    assert only(check(late), "invalid_time_of_day").line == line_of(late, '"24:00"')


def test_an_unquoted_time_that_yaml_reads_as_a_number_means_what_was_written(example_source: str) -> None:
    source = edit(example_source, 'handoff: "10:00", start: 2026-05-01', "handoff: 10:00, start: 2026-05-01")
    result = check(source)
    assert result.valid, [issue.format("en") for issue in result.errors]
    assert result.spec is not None
    ops = result.spec.schedule("ops-oncall")
    assert ops is not None and ops.layers[0].rotation.handoff == "10:00"


def test_a_weekly_rotation_needs_its_handoff_day(example_source: str) -> None:
    source = edit(
        example_source,
        WEEKLY_ROTATION,
        'rotation: {kind: weekly, handoff: "10:00", start: 2026-04-27T10:00:00+08:00}',
    )
    issue = only(check(source), "missing_key")
    assert issue.line == line_of(source, "rotation: {kind: weekly")
    assert issue.message.render("en") == 'Required key "handoff_day" is missing.'


def test_a_custom_rotation_needs_a_length_of_at_least_an_hour(example_source: str) -> None:
    source = edit(example_source, "kind: custom, length: 12h, ", "kind: custom, ")
    issue = only(check(source), "missing_key")
    assert issue.line == line_of(source, "rotation: {kind: custom")
    assert issue.message.render("en") == 'Required key "length" is missing.'
    short = edit(example_source, "kind: custom, length: 12h, ", "kind: custom, length: 30m, ")
    issue = only(check(short), "rotation_too_short")
    assert issue.line == line_of(short, "length: 30m")
    assert issue.message.render("en") == "A custom rotation turn must last at least 1h, not 30m."


def test_a_key_of_another_rotation_kind_is_an_unknown_key(example_source: str) -> None:
    source = edit(
        example_source,
        '{kind: daily, handoff: "10:00"',
        '{kind: daily, handoff_day: monday, handoff: "10:00"',
    )
    issue = only(check(source), "unknown_key")
    assert issue.line == line_of(source, 'handoff_day: monday, handoff: "10:00", start: 2026-05-01')


def test_it_reports_duplicate_schedule_and_layer_ids(example_source: str) -> None:
    source = edit(example_source, "  - id: ops-oncall\n", "  - id: tech-oncall\n")
    source = edit(source, "      - id: live-days\n", "      - id: weekly\n")
    errors = [issue for issue in check(source).errors if issue.code == "duplicate_id"]
    first_schedule = line_of(source, "  - id: tech-oncall\n")
    first_layer = line_of(source, "      - id: weekly\n")
    assert [issue.message.render("en") for issue in errors] == [
        f'The id "weekly" is used twice in layers (first at line {first_layer}).',
        f'The id "tech-oncall" is used twice in schedules (first at line {first_schedule}).',
    ]


def test_a_team_served_by_two_schedules_is_a_warning(example_source: str) -> None:
    source = edit(example_source, "    team: customer-service\n    layers:", "    team: ops\n    layers:")
    result = check(source)
    assert result.valid
    issue = only(result, "schedule_team_taken")
    assert issue.severity == "warning"
    assert issue.line == line_of(source, "    team: ops\n    layers:\n      # Only")
    assert issue.message.render("en").startswith('Team "ops" already has schedule "ops-oncall" (line ')


def test_a_restriction_that_starts_when_it_ends_is_an_error(example_source: str) -> None:
    source = edit(example_source, '{from: "09:00", to: "21:00"}', '{from: "09:00", to: "09:00"}')
    issue = only(check(source), "restriction_empty")
    assert issue.line == line_of(source, 'to: "09:00"}')
    assert "09:00" in issue.message.render("zh-CN")


def test_a_schedule_without_layers_is_a_warning(example_source: str) -> None:
    start = example_source.index("    layers:\n      # Only in service hours")
    end = example_source.index("\n# 优先恢复核心功能")
    source = example_source[:start] + "    layers: []\n" + example_source[end:]
    result = check(source)
    assert result.valid
    assert only(result, "schedule_no_layers").line == line_of(source, "  - id: customer-service-oncall")
