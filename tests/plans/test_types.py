from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from eventguard.plans.types import Duration, LocalizedText, format_duration, parse_duration

DURATION = TypeAdapter(Duration)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("2h", 7200), ("1h30m", 5400), ("1d", 86400), ("0s", 0), ("90s", 90)],
)
def test_it_parses_durations_written_with_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "-5m", "1.5h", "5min", "3s2m"])
def test_it_rejects_durations_without_a_known_unit(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        DURATION.validate_python(text)
    assert info.value.errors()[0]["type"] == "invalid_duration"


def test_it_rejects_a_bare_number_as_a_duration() -> None:
    with pytest.raises(ValidationError):
        DURATION.validate_python(300)


@pytest.mark.parametrize(("seconds", "text"), [(90, "1m30s"), (300, "5m"), (0, "0s"), (93784, "1d2h3m4s")])
def test_it_writes_durations_in_canonical_form(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert DURATION.dump_python(timedelta(seconds=seconds)) == text


def test_a_localized_text_gives_the_text_of_the_asked_language() -> None:
    text = LocalizedText.model_validate({"zh-CN": "直播中断", "en": "Livestream interruption"})
    assert text.get("en-US") == "Livestream interruption"
    assert text.get("zh-CN") == "直播中断"
