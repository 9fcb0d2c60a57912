"""Configuration comes from the environment over an optional TOML file, and is shown masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from eventguard.cli.main import app
from eventguard.config import Settings, get_settings


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "DEFAULT_LANGUAGE", "TIMEZONE", "CONFIG_FILE"):
        monkeypatch.delenv(f"EVENTGUARD_{name}", raising=False)
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", str(tmp_path / "absent.toml"))
    get_settings.cache_clear()


def test_it_defaults_to_an_embedded_sqlite_file_and_chinese() -> None:
    settings = Settings()
    assert settings.database_url == "sqlite:///./var/eventguard.db"
    assert settings.default_language == "zh-CN"
    assert settings.is_sqlite


def test_it_reads_a_toml_file_and_lets_the_environment_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "eventguard.toml"
    config.write_text('base_url = "https://eg.example.com"\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", str(config))
    monkeypatch.setenv("EVENTGUARD_TIMEZONE", "UTC")
    settings = Settings()
    assert settings.base_url == "https://eg.example.com"
    assert settings.timezone == "UTC"


def test_it_rejects_an_unknown_timezone() -> None:
    with pytest.raises(ValidationError, match="unknown timezone"):
        Settings(timezone="Mars/Olympus")


def test_config_show_masks_the_secret_key_and_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTGUARD_SECRET_KEY", "s3cr3t-value")
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", "postgresql+psycopg://eg:hunter2@db.example.com/eg")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "s3cr3t-value" not in result.output
    assert "hunter2" not in result.output
    shown = json.loads(result.output)
    assert shown["secret_key"] == "********"
    assert shown["database_url"] == "postgresql+psycopg://eg:***@db.example.com/eg"


def test_the_base_url_follows_host_and_port_unless_set() -> None:
    assert Settings(port=9000).base_url == "http://127.0.0.1:9000"
    assert Settings(base_url="https://eg.example.com/").base_url == "https://eg.example.com"
