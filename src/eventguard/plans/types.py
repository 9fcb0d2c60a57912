"""The small value types a plan is written in: ids, durations, bilingual text, URLs, time zones."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from eventguard.inputs import refuse_control

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
URL_PATTERN = r"^https?://[^\s/]+\S*$"
DURATION_PATTERN = r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"
_DURATION_RE = re.compile(DURATION_PATTERN)
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))

PhaseName = Literal["prep", "live", "post"]
LevelNumber = Literal[1, 2, 3]
RoleName = Literal["viewer", "responder", "commander", "admin"]
Language = Literal["zh-CN", "en"]
PHASE_ORDER: tuple[PhaseName, ...] = ("prep", "live", "post")


class PlanModel(BaseModel):
    """Every part of a plan: unknown keys are errors (a typo must not pass silently), values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Url = Annotated[str, StringConstraints(pattern=URL_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1), AfterValidator(refuse_control)]


def parse_duration(value: Any) -> timedelta:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` -> timedelta; anything else is an error."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION_RE.match(value) if isinstance(value, str) and value else None
    if match is None:
        raise PydanticCustomError(
            "invalid_duration",
            'Invalid duration "{value}"; write it like 30s, 5m, 2h or 1h30m.',
            {"value": value},
        )
    seconds = sum(int(part[:-1]) * dict(_UNITS)[part[-1]] for part in match.groups() if part)
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The canonical text of a duration: ``timedelta(seconds=90)`` -> ``"1m30s"``, zero -> ``"0s"``."""
    remaining = int(value.total_seconds())
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["30s", "5m", "1h30m"]}),
]


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PydanticCustomError(
            "invalid_timezone",
            'Unknown time zone "{value}"; use an IANA name like Asia/Shanghai.',
            {"value": value},
        ) from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_timezone)]


class LocalizedText(PlanModel):
    """The same text in both languages of the product."""

    zh_cn: Text = Field(alias="zh-CN", description="Chinese (simplified) text.")
    en: Text = Field(description="English text.")

    def get(self, language: str) -> str:
        """The text in ``language`` (anything not English reads as zh-CN)."""
        return self.en if language.lower().startswith("en") else self.zh_cn
