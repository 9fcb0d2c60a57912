"""Shared pieces of every format: severity words, summaries, locations, the error's rendering."""

from __future__ import annotations

import pytest

from eventguard.alerts.formats.base import (
    PayloadInvalid,
    Problem,
    format_loc,
    normalize_severity,
    summary_of,
)
from eventguard.i18n import Message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("critical", "critical"),
        (" CRIT ", "critical"),
        ("P1", "critical"),
        ("sev-1", "critical"),
        ("严重", "critical"),
        ("major", "error"),
        ("Warning", "warning"),
        ("warn", "warning"),
        ("警告", "warning"),
        ("informational", "info"),
        ("page-me", "page-me"),
        ("", None),
        ("   ", None),
        (None, None),
        ("a-severity-word-far-too-long", None),
    ],
)
def test_it_normalises_the_usual_severity_spellings(given: str | None, expected: str | None) -> None:
    assert normalize_severity(given) == expected


def test_it_takes_the_summary_from_summary_then_description_then_title_then_alertname() -> None:
    labels = {"alertname": "HLSPlaylistStale"}

    assert summary_of({"summary": "S", "description": "D", "title": "T"}, labels, "fp") == "S"
    assert summary_of({"summary": " ", "description": "D", "title": "T"}, labels, "fp") == "D"
    assert summary_of({"title": "T"}, labels, "fp") == "T"
    assert summary_of({}, labels, "fp") == "HLSPlaylistStale"
    assert summary_of({}, {"job": "edge"}, "fp") == "fp"


def test_it_cuts_a_long_summary_to_1024_characters() -> None:
    summary = summary_of({"description": "x" * 5000}, {}, "fp")

    assert len(summary) == 1024
    assert summary.endswith("…")


def test_it_writes_locations_like_a_path() -> None:
    assert format_loc(("alerts", 3, "labels", "severity")) == "alerts[3].labels.severity"
    assert format_loc(("payload", "summary")) == "payload.summary"
    assert format_loc(()) == "(body)"


def test_the_error_keeps_every_problem_and_renders_them_per_language() -> None:
    error = PayloadInvalid(
        "Grafana",
        [
            Problem(("alerts", 0, "labels"), Message("Field required.")),
            Problem(("alerts", 1, "summary"), Message("Must be at most {limit} characters.", {"limit": 9})),
        ],
    )

    assert error.details == [
        {"loc": ["alerts", 0, "labels"], "msg": "Field required."},
        {"loc": ["alerts", 1, "summary"], "msg": "Must be at most 9 characters."},
    ]
    assert [item["msg"] for item in error.to_dict("zh-CN")["details"]] == [
        "缺少必填字段。",
        "长度不能超过 9 个字符。",
    ]
