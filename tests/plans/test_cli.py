"""`eventguard plan …`: line-numbered problems and exit codes, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.plans.cli import register
from tests.conftest import EXAMPLE_PLAN
from tests.plans.helpers import column_of, edit, line_of

runner = CliRunner()


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def configured(database: Database, db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings point at the test database (``db`` empties it afterwards)."""
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _write(tmp_path: Path, source: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


def test_validate_accepts_the_example_plan(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["plan", "validate", str(EXAMPLE_PLAN), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{EXAMPLE_PLAN}: the plan is valid (0 warning(s)).\n"


def test_validate_prints_file_line_and_column_of_every_error_and_exits_1(
    cli: typer.Typer, tmp_path: Path, example_source: str
) -> None:
    source = edit(example_source, "        owner: vendor-cdn\n", "        owner: vendr-cdn\n")
    source = edit(source, "    notify_within: 5m\n", "    notify_within: 10m\n")
    path = _write(tmp_path, source)
    result = runner.invoke(cli, ["plan", "validate", str(path), "--lang", "en"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    where = f"{path}:{line_of(source, 'vendr-cdn')}:{column_of(source, 'vendr-cdn')}"
    assert lines[0].startswith(f'{where}: Unknown team "vendr-cdn"; the plan defines: ')
    assert lines[0].endswith("[unknown_team]")
    assert lines[1].startswith(
        f"{path}:{line_of(source, 'notify_within: 10m')}:20: warning: Level 1 notifies"
    )
    assert lines[2] == f"{path}: 1 error(s), 1 warning(s)."
    assert "Traceback" not in result.output


def test_validate_speaks_chinese_when_asked(cli: typer.Typer, tmp_path: Path, example_source: str) -> None:
    path = _write(tmp_path, edit(example_source, "    lead: wu-hao\n", ""))
    result = runner.invoke(cli, ["plan", "validate", str(path), "--lang", "zh-CN"])
    assert result.exit_code == 1
    assert "团队“legal”没有负责人。 [team_no_lead]" in result.output
    assert result.output.splitlines()[-1] == f"{path}:1 个错误,0 条警告。"


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, "not_a_file"), ("", "empty_plan"), ("[1, 2]\n", "not_a_mapping"), ("a: [\n", "yaml_syntax")],
)
def test_validate_reports_unreadable_input_as_one_error(
    cli: typer.Typer, tmp_path: Path, content: str | None, code: str
) -> None:
    path = tmp_path / "plan.yaml" if content is None else _write(tmp_path, content)
    result = runner.invoke(cli, ["plan", "validate", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:")
    assert f"[{code}]" in result.output
    assert "Traceback" not in result.output


def test_validate_reports_a_directory_and_binary_file(cli: typer.Typer, tmp_path: Path) -> None:
    assert "[not_a_file]" in runner.invoke(cli, ["plan", "validate", str(tmp_path), "--lang", "en"]).output
    binary = tmp_path / "plan.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = runner.invoke(cli, ["plan", "validate", str(binary), "--lang", "en"])
    assert (result.exit_code, "[not_a_file]" in result.output) == (1, True)


def test_apply_export_versions_and_diff_work_together(
    cli: typer.Typer, configured: None, tmp_path: Path, example_source: str
) -> None:
    result = runner.invoke(
        cli, ["plan", "apply", str(EXAMPLE_PLAN), "--comment", "first", "--author", "li-na"]
    )
    assert (result.exit_code, result.output) == (0, "Applied version 1 of the plan of cloud-summit-2026.\n")
    again = runner.invoke(cli, ["plan", "apply", str(EXAMPLE_PLAN)])
    assert again.output == "The plan of cloud-summit-2026 is unchanged: version 1 is in force.\n"

    exported = tmp_path / "exported.yaml"
    result = runner.invoke(cli, ["plan", "export", "cloud-summit-2026", "--out", str(exported)])
    assert result.exit_code == 0
    changed = edit(exported.read_text(encoding="utf-8"), "pause_activity: true", "pause_activity: false")
    assert runner.invoke(cli, ["plan", "apply", str(_write(tmp_path, changed, "v2.yaml"))]).exit_code == 0

    diff = runner.invoke(cli, ["plan", "diff", "cloud-summit-2026", "1", "2", "--unified"])
    assert diff.exit_code == 0
    assert diff.output.startswith("~ levels[1].pause_activity: True -> False\n")
    assert "-    pause_activity: true\n+    pause_activity: false\n" in diff.output

    versions = runner.invoke(cli, ["plan", "versions", "cloud-summit-2026"])
    assert versions.exit_code == 0
    assert "li-na" in versions.output and "first" in versions.output

    printed = runner.invoke(cli, ["plan", "export", "cloud-summit-2026", "--version", "1"])
    assert printed.output == exported.read_text(encoding="utf-8")


def test_apply_refuses_an_invalid_plan_and_stores_nothing(
    cli: typer.Typer, configured: None, tmp_path: Path, example_source: str
) -> None:
    path = _write(tmp_path, edit(example_source, "  timezone: Asia/Shanghai\n", "  timezone: Mars/Olympus\n"))
    result = runner.invoke(cli, ["plan", "apply", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "[invalid_timezone]" in result.output
    assert runner.invoke(cli, ["plan", "versions", "cloud-summit-2026"]).exit_code == 1


def test_export_of_an_unknown_event_is_an_error_not_a_traceback(cli: typer.Typer, configured: None) -> None:
    result = runner.invoke(cli, ["plan", "export", "no-such-event"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_schema_prints_the_json_schema(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["plan", "schema"])
    assert json.loads(result.output)["title"] == "EventGuard plan"
