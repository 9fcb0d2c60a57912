from __future__ import annotations

import pytest
from jinja2.sandbox import SecurityError

from eventguard.plans.schemas import MessageTemplate
from eventguard.plans.templates import TEMPLATE_VARIABLES, render, template_problems


def test_it_accepts_templates_that_use_only_known_variables() -> None:
    assert (
        template_problems("{{ event_name }} {% if eta %}{{ eta }}{% endif %} {{ core_functions | upper }}")
        == []
    )


def test_it_does_not_count_a_loop_variable_as_unknown() -> None:
    assert template_problems("{% for part in summary.split(',') %}{{ part }}{% endfor %}") == []


def test_it_finds_the_line_of_an_unknown_variable() -> None:
    [problem] = template_problems("line one\nline two {{ nope }}\n")
    assert (problem.rule.code, problem.text_line, problem.params["name"]) == (
        "template_unknown_variable",
        2,
        "nope",
    )


def test_it_reports_a_syntax_error_with_its_line() -> None:
    [problem] = template_problems("ok\n{% if eta %}unclosed\n")
    assert problem.rule.code == "template_syntax"


def test_it_renders_a_template_in_the_asked_language() -> None:
    template = MessageTemplate.model_validate(
        {
            "id": "t",
            "purpose": "announcement",
            "zh-CN": {"title": "{{ event_name }}:直播中断", "body": "备用链接:{{ backup_link }}"},
            "en": {"title": "{{ event_name }}: livestream down", "body": "Backup: {{ backup_link }}"},
        }
    )
    message = render(template, "en", {"event_name": "Cloud Summit", "backup_link": "https://b.example.com"})
    assert (message.title, message.body) == ("Cloud Summit: livestream down", "Backup: https://b.example.com")
    assert render(template, "zh-CN", {"event_name": "云峰会"}).body == "备用链接:"


def test_rendering_runs_in_a_sandbox() -> None:
    template = MessageTemplate.model_validate(
        {
            "id": "t",
            "purpose": "notification",
            "en": {"title": "x", "body": "{{ summary.__class__.__mro__ }}"},
        }
    )
    with pytest.raises(SecurityError):
        render(template, "en", {"summary": "s"})


def test_the_variable_list_matches_what_the_seed_asks_messages_to_carry() -> None:
    # Details and initial impact, affected core functions, the ETA, alternatives (backup link, compensation).
    assert {
        "impact",
        "core_functions",
        "eta",
        "backup_link",
        "compensation",
        "ack_url",
    } <= TEMPLATE_VARIABLES.keys()
