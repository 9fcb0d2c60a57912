"""Reading untrusted JSON: timestamps, URLs and the problem cap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eventguard.alerts.formats.base import MAX_PROBLEMS, PayloadInvalid
from eventguard.alerts.formats.checks import PayloadCheck, is_web_url, parse_timestamp
from eventguard.i18n import Message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-16T12:00:31Z", datetime(2026, 2, 16, 12, 0, 31, tzinfo=UTC)),
        ("2026-02-16t12:00:31z", datetime(2026, 2, 16, 12, 0, 31, tzinfo=UTC)),
        ("2026-02-16T12:00:31.512345678Z", datetime(2026, 2, 16, 12, 0, 31, 512345, tzinfo=UTC)),
        ("2026-02-16T12:00:31.999999999Z", datetime(2026, 2, 16, 12, 0, 31, 999999, tzinfo=UTC)),
        ("2026-02-16T12:00:31.5Z", datetime(2026, 2, 16, 12, 0, 31, 500000, tzinfo=UTC)),
        ("2026-02-16T20:00:31+08:00", datetime(2026, 2, 16, 12, 0, 31, tzinfo=UTC)),
        ("2026-02-16T12:03:10.000+0800", datetime(2026, 2, 16, 4, 3, 10, tzinfo=UTC)),
        ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
        ("2026-02-16T07:00:31.000001-05:00", datetime(2026, 2, 16, 12, 0, 31, 1, tzinfo=UTC)),
        ("2026-02-16 12:00:31+00", datetime(2026, 2, 16, 12, 0, 31, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_it_parses_rfc3339_and_iso8601_timestamps_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)

    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-16T12:00:31",
        "2026-02-16",
        "2026-02-30T12:00:31Z",
        "2026-02-16T24:00:00Z",
        "2026-02-16T12:00:31+24:00",
        "2026-02-16T12:00:31.1234567890Z",
        "0001-01-01T00:00:00+01:00",
        "1771245000",
        "yesterday",
    ],
)
def test_it_refuses_timestamps_without_a_zone_or_out_of_range(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://grafana.example.com/d/gala", True),
        ("HTTP://prometheus.example.com:9090/graph", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("//grafana.example.com/d/gala", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_it_only_takes_absolute_web_urls_as_links(url: str, ok: bool) -> None:
    assert is_web_url(url) is ok


def test_it_lists_at_most_a_hundred_problems_and_counts_the_rest() -> None:
    check = PayloadCheck("generic alert")
    for index in range(MAX_PROBLEMS + 5):
        check.problem(("alerts", index), Message("Must be a JSON object."))

    with pytest.raises(PayloadInvalid) as excinfo:
        check.finish()

    assert len(excinfo.value.problems) == MAX_PROBLEMS + 1
    assert excinfo.value.details[-1] == {"loc": [], "msg": "5 more problems were not listed."}
