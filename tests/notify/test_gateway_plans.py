"""The plan validator knows the Teams, SMS and voice kinds: their config keys (at their lines), and
secrets that must stay in environment variables."""

from __future__ import annotations

from tests.conftest import EXAMPLE_PLAN
from tests.plans.helpers import check, edit, line_of, only

SOURCE = EXAMPLE_PLAN.read_text(encoding="utf-8")


def test_the_example_plan_with_its_sms_and_voice_failover_steps_is_valid() -> None:
    result = check(SOURCE)
    assert result.errors == [] and result.warnings == []
    assert result.spec is not None
    tech = result.spec.team("tech")
    assert tech is not None and tech.channels[-2:] == ["oncall-sms", "oncall-voice"]


def test_a_missing_template_code_is_an_error_at_the_channels_config() -> None:
    source = edit(SOURCE, "      template_code: SMS_465320001\n", "")
    issue = only(check(source), "channel_config_invalid")
    assert "template_code" in issue.format("en")
    assert issue.line == line_of(source, "      sign_name: 活动保障") - 1  # the config: key


def test_a_template_field_that_does_not_exist_is_refused() -> None:
    source = edit(SOURCE, "{level: level, title: summary, event: event}", "{level: level, title: headline}")
    issue = only(check(source), "channel_config_invalid")
    assert "template_params.title" in issue.format("en")
    assert issue.line == line_of(source, "template_params: {level: level, title: headline}")


def test_a_malformed_twilio_account_sid_is_refused_at_its_line() -> None:
    source = edit(SOURCE, "account_sid: AC0123456789abcdef0123456789abcdef", "account_sid: my-account")
    issue = only(check(source), "channel_config_invalid")
    assert issue.line == line_of(source, "account_sid: my-account")


def test_a_teams_workflow_url_with_its_sig_is_an_inline_secret() -> None:
    url = (
        "https://prod-00.westus.logic.azure.com:443/workflows/3f2a/triggers/manual/paths/invoke"
        "?api-version=2016-06-01&sv=1.0&sig=c2VjcmV0"
    )
    channel = f"""  - id: vendor-teams
    type: teams
    target: "{url}"
"""
    source = edit(SOURCE, "  - id: oncall-sms\n", channel + "  - id: oncall-sms\n")
    issue = only(check(source), "inline_secret")
    assert issue.line == line_of(source, f'target: "{url}"')
    fixed = edit(source, "&sig=c2VjcmV0", "")
    fixed = edit(fixed, "    type: teams\n", "    type: teams\n    secret_env: EG_TEAMS_SIG\n")
    assert check(fixed).errors == []
