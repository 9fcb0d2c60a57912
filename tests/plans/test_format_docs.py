"""docs/plan-format.md cannot drift from the code: every key, rule, variable, command and route is in it,
and every message the validator can produce is translated."""

from __future__ import annotations

import re
import string
from pathlib import Path

import typer
from fastapi.routing import APIRoute
from typer.main import get_command

from eventguard.i18n import zh_catalog
from eventguard.plans import api
from eventguard.plans.cli import register
from eventguard.plans.export import json_schema
from eventguard.plans.rules import all_rules
from eventguard.plans.templates import TEMPLATE_VARIABLES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plan-format.md").read_text(encoding="utf-8")


def test_every_key_of_the_format_is_documented() -> None:
    schema = json_schema()
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys.update(definition.get("properties", {}))
    assert sorted(key for key in keys if f"`{key}`" not in DOC) == []


def test_every_validation_code_is_documented_with_its_severity() -> None:
    for rule in all_rules():
        assert re.search(rf"\| `{rule.code}` \| {rule.severity} \|", DOC), rule.code


def test_every_template_variable_is_documented_with_its_meaning() -> None:
    for name, meaning in TEMPLATE_VARIABLES.items():
        assert f"| `{name}` | {meaning} |" in DOC


def test_every_plan_command_is_documented() -> None:
    app = typer.Typer()
    register(app)
    plan_group = get_command(app).commands["plan"]  # type: ignore[attr-defined]
    for name in plan_group.commands:
        assert f"`eventguard plan {name}" in DOC, name


def test_every_plan_route_is_documented() -> None:
    for route in api.router.routes:
        assert isinstance(route, APIRoute)
        for method in route.methods:
            assert f"`{method} {route.path}" in DOC, (method, route.path)


def test_every_validator_message_is_translated_with_the_same_placeholders() -> None:
    catalog = zh_catalog()
    fields = string.Formatter()
    for rule in all_rules():
        assert rule.msgid in catalog, rule.msgid
        english = {name for _, name, _, _ in fields.parse(rule.msgid) if name}
        chinese = {name for _, name, _, _ in fields.parse(catalog[rule.msgid]) if name}
        assert english == chinese, rule.msgid


def test_the_cli_table_headers_are_translated() -> None:
    for header in ("Version", "Created (UTC)", "Author", "Checksum", "Comment"):
        assert header in zh_catalog()
