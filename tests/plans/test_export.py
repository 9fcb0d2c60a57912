from __future__ import annotations

from pathlib import Path

import yaml

from eventguard.plans.export import checksum, export_yaml, json_schema_text, to_document
from tests.plans.helpers import check, edit

ROOT = Path(__file__).resolve().parents[2]


def test_the_exported_example_validates_to_an_equal_plan(example_source: str) -> None:
    spec = check(example_source).spec
    assert spec is not None
    again = check(export_yaml(spec), "exported.yaml")
    assert again.errors == [] and again.warnings == []
    assert again.spec == spec
    assert checksum(again.spec) == checksum(spec)


def test_exporting_twice_gives_the_same_text(example_source: str) -> None:
    spec = check(example_source).spec
    assert spec is not None
    exported = export_yaml(spec)
    again = check(exported).spec
    assert again is not None
    assert export_yaml(again) == exported


def test_it_writes_durations_in_canonical_form_and_keeps_chinese_readable(example_source: str) -> None:
    source = edit(example_source, "    quiet_period: 30m\n", "    quiet_period: 1800s\n")
    spec = check(source).spec
    assert spec is not None
    text = export_yaml(spec)
    assert "quiet_period: 30m\n" in text
    assert "1800s" not in text
    assert "一级响应(紧急事件)" in text
    assert "body: |\n" in text  # multi-line template bodies stay blocks


def test_it_leaves_out_keys_at_an_empty_default_but_keeps_meaningful_ones(example_source: str) -> None:
    spec = check(example_source).spec
    assert spec is not None
    document = to_document(spec)
    dispute = next(item for item in document["scenarios"] if item["id"] == "participant-dispute")
    assert "backup_plans" not in dispute and "legal" not in dispute
    assert document["levels"][0]["notify_within"] == "5m"
    assert document["event"]["group_by"] == ["alertname"]


def test_an_empty_list_that_differs_from_its_default_is_kept(example_source: str) -> None:
    source = edit(example_source, "  group_by: [alertname]\n", "  group_by: []\n")
    spec = check(source).spec
    assert spec is not None
    assert yaml.safe_load(export_yaml(spec))["event"]["group_by"] == []


def test_the_checksum_ignores_how_the_plan_was_written(example_source: str) -> None:
    reformatted = edit(example_source, "  group_by: [alertname]\n", "  group_by:\n    - alertname\n")
    reformatted = edit(reformatted, "    notify_within: 5m\n", "    notify_within: 300s\n")
    first, second = check(example_source).spec, check(reformatted).spec
    assert first is not None and second is not None
    assert checksum(first) == checksum(second)


def test_the_published_json_schema_is_current() -> None:
    # Regenerate with: eventguard plan schema > docs/plan.schema.json
    assert (ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8") == json_schema_text()


def test_the_json_schema_writes_duration_defaults_as_the_plan_does() -> None:
    assert '"default": "5m"' in json_schema_text()
    assert "PT5M" not in json_schema_text()
