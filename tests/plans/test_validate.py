"""The meaning checks: each error says what is wrong, in both languages, at the right line."""

from __future__ import annotations

from eventguard.plans.validate import validate_source
from tests.conftest import EXAMPLE_PLAN
from tests.plans.helpers import check, column_of, edit, line_of, only


def test_the_example_plan_is_valid_without_warnings(example_source: str) -> None:
    result = validate_source(source=example_source, filename=str(EXAMPLE_PLAN))
    assert [issue.format("en") for issue in [*result.errors, *result.warnings]] == []
    assert result.spec is not None
    assert len(result.spec.scenarios) == 8
    assert {team.kind for team in result.spec.teams} >= {
        "organizer",
        "tech",
        "ops",
        "customer_service",
        "pr",
        "legal",
        "vendor",
    }
    assert {channel.type for channel in result.spec.channels} == {
        "wecom",
        "dingtalk",
        "feishu",
        "slack",
        "email",
        "webhook",
        "aliyun_sms",
        "twilio_voice",
    }


def test_it_reports_an_unknown_team_with_its_line(example_source: str) -> None:
    source = edit(example_source, "        owner: vendor-cdn\n", "        owner: vendr-cdn\n")
    issue = only(check(source, "conf.yaml"), "unknown_team")
    assert (issue.file, issue.line, issue.column) == (
        "conf.yaml",
        line_of(source, "vendr-cdn"),
        column_of(source, "vendr-cdn"),
    )
    assert issue.message.render("en").startswith(
        'Unknown team "vendr-cdn"; the plan defines: customer-service, legal'
    )
    assert issue.message.render("zh-CN").startswith("未知团队“vendr-cdn”;预案中定义的有:")
    assert issue.format("en").startswith(f"conf.yaml:{issue.line}:{issue.column}: Unknown team")


def test_it_reports_unknown_people_channels_and_policies(example_source: str) -> None:
    source = edit(example_source, "  owner: li-na\n", "  owner: li-nana\n")
    source = edit(source, "    channels: [legal-email]\n", "    channels: [legal-mail]\n")
    source = edit(source, "    escalation_policy: level-2\n", "    escalation_policy: level-two\n")
    errors = check(source).errors
    assert [(issue.code, issue.line) for issue in errors] == [
        ("unknown_person", line_of(source, "li-nana")),
        ("unknown_channel", line_of(source, "legal-mail")),
        ("unknown_escalation_policy", line_of(source, "level-two")),
    ]


def test_it_reports_unknown_core_functions_scenarios_backup_plans_and_templates(example_source: str) -> None:
    source = edit(example_source, "    core_functions: [payment]\n", "    core_functions: [payments]\n")
    source = edit(source, "    scenario: payment-failure\n", "    scenario: payment-failed\n")
    source = edit(source, "    backup_plans: [backup-stream]\n", "    backup_plans: [backup-streams]\n")
    source = edit(source, "    templates: [general-announcement]\n", "    templates: [general-notice]\n")
    codes = {issue.code: issue.line for issue in check(source).errors}
    assert codes == {
        "unknown_core_function": line_of(source, "[payments]"),
        "unknown_scenario": line_of(source, "payment-failed"),
        "unknown_backup_plan": line_of(source, "backup-streams"),
        "unknown_template": line_of(source, "general-notice"),
    }


def test_it_reports_a_level_with_nobody_to_notify(example_source: str) -> None:
    start = example_source.index("  - level: 3")
    block = example_source[start : example_source.index("    public_announcement: none")]
    notify = block[block.index("    notify:\n") :]
    source = edit(example_source, block, block.replace(notify, "    notify: []\n"))
    issue = only(check(source), "level_nobody_notified")
    assert issue.line == line_of(source, "notify: []")
    assert issue.message.render("en") == "Level 3 notifies nobody; add a target under notify."
    assert issue.message.render("zh-CN") == "3 级响应没有通知任何人;请在 notify 下添加通知对象。"


def test_it_reports_a_missing_and_a_duplicate_level(example_source: str) -> None:
    source = edit(example_source, "  - level: 3\n", "  - level: 2\n")
    result = check(source)
    assert only(result, "level_duplicate").line == line_of(source, "  - level: 2\n    name: {zh-CN: 三级")
    assert only(result, "level_missing").message.render("en").startswith("Level 3 is not defined")


def test_it_reports_a_runbook_step_with_no_owner(example_source: str) -> None:
    start = example_source.index("      - id: record-complaints\n")
    old = example_source[start : example_source.index("      - id: assess-impact", start)]
    source = edit(example_source, old, old.replace("        owner: customer-service\n", ""))
    issue = only(check(source), "runbook_step_no_owner")
    assert issue.line == line_of(source, "record-complaints")
    assert issue.message.render("en") == 'Runbook step "record-complaints" has no owner team.'


def test_it_reports_a_template_variable_that_does_not_exist_at_its_own_line(example_source: str) -> None:
    source = edit(example_source, "Started: {{ started_at }}", "Started: {{ start_time }}")
    issue = only(check(source), "template_unknown_variable")
    assert (issue.line, issue.column) == (line_of(source, "start_time"), column_of(source, "start_time"))
    assert issue.message.render("en").startswith(
        'Template variable "start_time" does not exist; the variables are: event_name'
    )


def test_it_reports_a_template_syntax_error(example_source: str) -> None:
    source = edit(
        example_source,
        "{% if eta %}",
        "{% if eta %",
    )
    issue = only(check(source), "template_syntax")
    assert issue.line == line_of(source, "{% if eta %,")


def test_it_reports_a_template_without_english(example_source: str) -> None:
    start = example_source.index("  - id: escalation-page")
    english = example_source[
        example_source.index("    en:\n", start) : example_source.index("  - id: livestream-announcement")
    ]
    source = edit(example_source, english, "")
    issue = only(check(source), "template_missing_language")
    assert issue.line == line_of(source, "  - id: escalation-page")
    assert issue.message.render("en") == 'Template "escalation-page" has no en text.'


def test_it_reports_overlapping_phases(example_source: str) -> None:
    source = edit(
        example_source, "      start: 2026-06-16T08:00:00+08:00\n", "      start: 2026-06-15T08:00:00+08:00\n"
    )
    issue = only(check(source), "phase_overlap")
    assert issue.line == line_of(source, "2026-06-15T08:00:00+08:00")
    assert issue.message.render("en") == "The live phase overlaps the prep phase."


def test_it_reports_a_phase_that_ends_before_it_starts(example_source: str) -> None:
    source = edit(
        example_source, "      end: 2026-07-17T00:00:00+08:00\n", "      end: 2026-06-17T00:00:00+08:00\n"
    )
    result = check(source)
    assert only(result, "phase_reversed").line == line_of(source, "end: 2026-06-17T00:00:00+08:00")


def test_it_reports_phases_out_of_order(example_source: str) -> None:
    source = edit(example_source, "    - name: prep\n", "    - name: post\n")
    source = edit(
        source, "    - name: post\n      start: 2026-06-17", "    - name: prep\n      start: 2026-06-17"
    )
    assert [issue.message.render("en") for issue in check(source).errors] == [
        "The live phase starts after the post phase; phases run prep, live, post.",
        "The prep phase starts after the live phase; phases run prep, live, post.",
    ]


def test_it_reports_a_duplicate_id_with_the_line_of_the_first(example_source: str) -> None:
    source = edit(example_source, "  - id: complaints\n", "  - id: copyright\n")
    issue = only(check(source), "duplicate_id")
    assert issue.line == line_of(source, "  - id: copyright\n    category: participation")
    first = line_of(source, "  - id: copyright\n")
    assert issue.message.render("en") == f'The id "copyright" is used twice in risks (first at line {first}).'


def test_it_reports_restore_priorities_that_are_not_unique(example_source: str) -> None:
    source = edit(example_source, "    restore_priority: 4\n", "    restore_priority: 3\n")
    issue = only(check(source), "restore_priority_duplicate")
    assert issue.message.render("en") == 'Restore priority 3 is used by both "livestream" and "interaction".'


def test_it_warns_but_passes_when_level_1_notifies_slower_than_5_minutes(example_source: str) -> None:
    source = edit(example_source, "    notify_within: 5m\n", "    notify_within: 10m\n")
    result = check(source)
    assert result.valid
    warning = only(result, "level1_slow_notification")
    assert warning.severity == "warning"
    assert warning.format("en").endswith(
        "warning: Level 1 notifies within 10m; the plan's rule is to notify the leads within 5 minutes. "
        "[level1_slow_notification]"
    )
    assert "警告:" in warning.format("zh-CN")


def test_it_reports_a_channel_with_an_inline_secret(example_source: str) -> None:
    source = edit(example_source, "    secret_env: EG_WECOM_TECH_KEY\n", "    secret: 693a91f6-7xxx\n")
    issue = only(check(source), "inline_secret")
    assert issue.line == line_of(source, "secret: 693a91f6")


def test_it_reports_a_webhook_url_that_carries_its_key(example_source: str) -> None:
    url = "https://oapi.dingtalk.com/robot/send"
    source = edit(example_source, url, url + "?access_token=abc123")
    issue = only(check(source), "inline_secret")
    assert issue.line == line_of(source, "access_token=abc123")


def test_it_reports_a_team_with_no_lead(example_source: str) -> None:
    source = edit(example_source, "    lead: wu-hao\n", "")
    issue = only(check(source), "team_no_lead")
    assert issue.message.render("zh-CN") == "团队“legal”没有负责人。"


def test_it_reports_a_team_nobody_can_reach(example_source: str) -> None:
    source = edit(example_source, "    channels: [legal-email]\n", "")
    source = edit(source, '    email: wu.hao@example.com\n    phone: "+86 138-0000-0010"\n', "")
    issue = only(check(source), "team_unreachable")
    assert issue.message.render("en").startswith('Team "legal" cannot be reached')


def test_it_reports_a_vendor_team_without_vendor_details(example_source: str) -> None:
    start = example_source.index("    vendor:\n      company: PayBridge")
    end = example_source.index("\n\n", start)
    source = edit(example_source, example_source[start : end + 1], "")
    assert only(check(source), "vendor_details_missing").line == line_of(
        source, "    kind: vendor\n    name: {zh-CN: 支付"
    )


def test_it_reports_risk_scores_out_of_range(example_source: str) -> None:
    source = edit(example_source, "    likelihood: 2\n    impact: 5\n", "    likelihood: 0\n    impact: 6\n")
    errors = check(source).errors
    assert [(issue.code, issue.line) for issue in errors] == [
        ("risk_score_out_of_range", line_of(source, "likelihood: 0")),
        ("risk_score_out_of_range", line_of(source, "impact: 6")),
    ]
    assert errors[1].message.render("en") == "The risk impact must be from 1 to 5, not 6."


def test_it_reports_an_invalid_regular_expression(example_source: str) -> None:
    source = edit(example_source, '"StreamBitrateLow|StreamBufferingHigh"', '"StreamBitrate(Low"')
    issue = only(check(source), "invalid_regex")
    assert issue.line == line_of(source, "StreamBitrate(Low")


def test_it_warns_about_a_rule_that_matches_every_alert(example_source: str) -> None:
    source = edit(
        example_source,
        "      - match: {alertname: PublicOpinionCrisis}\n        level: 1\n",
        "      - level: 1\n",
    )
    result = check(source)
    assert result.valid
    assert only(result, "rule_matches_everything").severity == "warning"


def test_it_reports_a_stream_backup_plan_without_its_stream_url(example_source: str) -> None:
    source = edit(
        example_source, "    stream_url: https://backup-live.example.com/cloud-summit-2026/index.m3u8\n", ""
    )
    assert only(check(source), "backup_plan_incomplete").message.render("en") == (
        'Backup plan "backup-stream" of kind stream needs stream_url.'
    )


def test_it_warns_about_a_person_nobody_can_contact(example_source: str) -> None:
    start = example_source.index("    email: emily.carter@example.com\n")
    old = example_source[start : example_source.index("  - id: liu-yang", start)]
    source = edit(example_source, old, "    language: en\n")
    assert only(check(source), "person_no_contact").severity == "warning"


def test_a_deliberately_broken_copy_lists_every_error_with_file_line_and_column(example_source: str) -> None:
    source = edit(example_source, "        owner: vendor-cdn\n", "        owner: vendr-cdn\n")
    source = edit(source, "Started: {{ started_at }}", "Started: {{ start_time }}")
    source = edit(source, "    pause_activity: true\n", "    pause_activty: true\n")
    source = edit(source, "  slug: cloud-summit-2026\n", "  slug: cloud-summit-2026\n  slug: again\n")
    source = edit(
        source, "      start: 2026-06-16T08:00:00+08:00\n", "      start: 2026-06-15T08:00:00+08:00\n"
    )
    result = check(source, "broken.yaml")
    lines = [issue.format("en") for issue in result.errors]
    assert [issue.code for issue in result.errors] == [
        "duplicate_key",
        "phase_overlap",
        "unknown_key",
        "unknown_team",
        "template_unknown_variable",
    ]
    assert all(line.startswith("broken.yaml:") for line in lines)
    assert lines[0].startswith(f"broken.yaml:{line_of(source, '  slug: again')}:3: ")
    assert result.spec is None


def test_a_misspelt_channel_type_is_named_at_its_line_with_a_suggestion(example_source: str) -> None:
    source = edit(example_source, "    type: wecom\n", "    type: wecmo\n")
    issue = only(check(source), "unknown_channel_type")
    assert (issue.line, issue.column) == (line_of(source, "type: wecmo"), column_of(source, "wecmo"))
    assert (
        'Unknown channel type "wecmo"; did you mean "wecom"? '
        "Installed: aliyun_sms, dingtalk, email, feishu, slack, teams, tencent_sms, twilio_sms, "
        "twilio_voice, webhook, wecom. [unknown_channel_type]"
    ) in issue.format("en")
    assert "是否想写“wecom”" in issue.format("zh-CN")


def test_a_channel_type_nothing_is_close_to_lists_the_installed_ones(example_source: str) -> None:
    source = edit(example_source, "    type: wecom\n", "    type: carrier-pigeon\n")
    issue = only(check(source), "unknown_channel_type")
    assert issue.line == line_of(source, "carrier-pigeon")
    assert "did you mean" not in issue.format("en")
    assert "installed: aliyun_sms, dingtalk, email" in issue.format("en")


def test_a_misspelt_alert_source_is_named_at_its_line_with_a_suggestion(example_source: str) -> None:
    source = edit(example_source, "        sources: [generic]\n", "        sources: [grafna]\n")
    issue = only(check(source), "unknown_alert_source")
    assert (issue.line, issue.column) == (line_of(source, "grafna"), column_of(source, "grafna"))
    assert 'did you mean "grafana"?' in issue.format("en")


def test_a_channel_config_is_checked_against_its_kinds_schema(example_source: str) -> None:
    source = edit(
        example_source, "    type: wecom\n", "    type: wecom\n    config: {format: html, colour: red}\n"
    )
    result = check(source)
    problems = sorted(issue.format("en") for issue in result.errors if issue.code == "channel_config_invalid")
    assert len(problems) == 2
    assert all(issue.line == line_of(source, "config: {") for issue in result.errors)
    assert "format:" in problems[1] or "format:" in problems[0]
    assert any("colour: Extra inputs are not permitted" in problem for problem in problems)


def test_a_valid_channel_config_reaches_the_channels_options(example_source: str) -> None:
    from eventguard.notify.recipients import channel_method

    source = edit(example_source, "    type: wecom\n", "    type: wecom\n    config: {format: text}\n")
    result = check(source)
    assert result.errors == []
    assert result.spec is not None
    wecom = next(channel for channel in result.spec.channels if channel.type == "wecom")
    assert channel_method(wecom).options["format"] == "text"


def test_a_misspelt_im_handle_is_named_at_its_line_with_a_suggestion(example_source: str) -> None:
    source = edit(example_source, "im: {wecom: ZhangWei,", "im: {wecmo: ZhangWei,")
    issue = only(check(source), "unknown_im_handle")
    assert issue.line == line_of(source, "wecmo: ZhangWei")
    assert 'IM handle "wecmo"; did you mean "wecom"?' in issue.format("en")
    assert "是否想写“wecom”" in issue.format("zh-CN")
