"""Effective configuration: environment variables (``EVENTGUARD_*``) over an optional TOML file.

The TOML file is ``$EVENTGUARD_CONFIG_FILE`` or ``./eventguard.toml`` when it exists. Keys are the
field names below (``database_url = "..."``); environment variables win over the file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Language = Literal["zh-CN", "en"]
DEFAULT_CONFIG_FILE = "eventguard.toml"


def config_file_path() -> Path:
    """The TOML file consulted for settings (it need not exist)."""
    return Path(os.environ.get("EVENTGUARD_CONFIG_FILE", DEFAULT_CONFIG_FILE))


class Settings(BaseSettings):
    """Every configuration key EventGuard reads. Documented in README.md (a test keeps them in step)."""

    model_config = SettingsConfigDict(env_prefix="EVENTGUARD_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/eventguard.db",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+psycopg://user@host/db.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr("change-me-in-production"),
        description="Signs sessions, acknowledgement links and unsubscribe links.",
    )
    base_url: str = Field(default="", description="Public URL used in links (default: http://HOST:PORT).")
    host: str = Field(default="127.0.0.1", description="Address `eventguard serve` binds to.")
    port: int = Field(default=8080, description="Port `eventguard serve` binds to.")
    default_language: Language = Field(default="zh-CN", description="zh-CN or en.")
    timezone: str = Field(default="Asia/Shanghai", description="Default display timezone (IANA name).")
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_json: bool = Field(default=True, description="Structured JSON logs (false: human-readable).")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail notifications.")
    smtp_port: int = Field(default=25, description="SMTP port (587 for STARTTLS, 465 for SSL).")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="none, starttls or ssl (implicit TLS)."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login (none: no login).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (shown masked).")
    smtp_from: str = Field(
        default="EventGuard <eventguard@localhost>", description="From address of e-mail notifications."
    )
    smtp_timeout: float = Field(default=10.0, description="Seconds to wait for the SMTP server.")
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Largest request body a route takes unless it has its own limit (alert intake, plans).",
    )
    journal_retention_hours: int = Field(
        default=168, ge=1, le=87_600, description="Hours processed intake journal rows are kept."
    )
    journal_lag_warning_seconds: float = Field(
        default=30.0, gt=0, description="The dashboard warns when the oldest unprocessed intake is older."
    )
    status_publish_dir: Path | None = Field(
        default=None,
        description="Directory the worker keeps the static status pages in (none: not published).",
    )
    kit_export_dir: Path | None = Field(
        default=None,
        description="Directory the worker re-exports each event's offline kit to on every plan change "
        "(none: not exported).",
    )

    @model_validator(mode="after")
    def _default_base_url(self) -> Settings:
        if not self.base_url:
            self.base_url = f"http://{self.host}:{self.port}"
        self.base_url = self.base_url.rstrip("/")
        return self

    @field_validator("status_publish_dir", "kit_export_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # EVENTGUARD_STATUS_PUBLISH_DIR= turns publishing off

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return (init_settings, env_settings, toml)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets and URL passwords hidden, for display."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[name] = "********"
            elif name == "database_url":
                shown[name] = _mask_url_password(value)
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        return shown


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL is shown as-is; it holds no recognisable password
        return url
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process (tests build their own ``Settings``)."""
    return Settings()
