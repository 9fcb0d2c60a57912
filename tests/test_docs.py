"""Docs that cannot drift: the API and CLI references match the code; README documents every setting."""

from __future__ import annotations

from pathlib import Path

from eventguard.app import create_app
from eventguard.cli.main import app as cli_app
from eventguard.config import Settings
from eventguard.devdocs import api_markdown, cli_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_the_api_reference_is_current() -> None:
    from tests.access.harness import CALLERS, load_matrix

    access = (list(CALLERS), load_matrix())
    generated = api_markdown(create_app(Settings(database_url="sqlite:///:memory:")), access)
    assert (ROOT / "docs" / "api.md").read_text(encoding="utf-8") == generated, "run `make docs`"


def test_the_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_markdown(cli_app), "run `make docs`"


def test_every_route_has_a_docstring() -> None:
    spec = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if not operation.get("description")
    ]
    assert undocumented == []


def test_the_readme_documents_every_setting_and_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"EVENTGUARD_{name.upper()}" not in readme]
    assert missing == []
    quick_start = readme.index("make demo")
    assert (
        quick_start
        < readme.index("make test")
        < readme.index("## Configuration")
        < readme.index("## Architecture")
    )
