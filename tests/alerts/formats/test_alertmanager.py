"""Alertmanager webhook payloads (version 4), as recorded in tests/alerts/payloads/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from eventguard.alerts import PayloadInvalid, fingerprint_labels
from eventguard.alerts.formats.alertmanager import AlertmanagerFormat
from eventguard.alerts.formats.base import MAX_ALERTS, ParsedBatch
from tests.alerts.fixtures import RECEIVED_AT, load, problems_of


def parse(payload: Any) -> ParsedBatch:
    return AlertmanagerFormat().parse(payload, received_at=RECEIVED_AT)


def refuse(payload: Any) -> pytest.ExceptionInfo[PayloadInvalid]:
    with pytest.raises(PayloadInvalid) as excinfo:
        parse(payload)
    return excinfo


def test_it_reads_every_alert_of_a_firing_group() -> None:
    batch = parse(load("alertmanager_firing"))

    assert [a.fingerprint for a in batch.alerts] == [
        "5e3b0d9a4c1f7e21",
        "a02c4e1f9b7d3c58",
        "0c9d7f2b61e84a3d",
    ]
    first = batch.alerts[0]
    assert first.source == "alertmanager"
    assert first.labels["instance"] == "edge-3:443"
    assert first.annotations["runbook_url"] == "https://eventguard.example.com/runbooks/hls"
    assert first.summary == "Playlist on edge-3 not updated for 45 s"
    assert first.severity == "critical"
    assert first.generator_url is not None and first.generator_url.startswith("http://prometheus.example.com")
    assert first.links == [{"kind": "generator", "href": first.generator_url}]


def test_it_decides_firing_or_resolved_from_each_alerts_own_status() -> None:
    batch = parse(load("alertmanager_firing"))

    assert [(a.status, a.action) for a in batch.alerts] == [
        ("firing", "trigger"),
        ("firing", "trigger"),
        ("resolved", "resolve"),
    ]


def test_it_reads_the_go_zero_end_time_as_no_end() -> None:
    batch = parse(load("alertmanager_firing"))

    assert batch.alerts[0].ends_at is None
    assert batch.alerts[2].ends_at == datetime(2026, 2, 16, 11, 58, 16, 250000, tzinfo=UTC)


def test_it_reads_nanosecond_timestamps_and_offsets_as_utc() -> None:
    batch = parse(load("alertmanager_firing"))

    assert batch.alerts[0].starts_at == datetime(2026, 2, 16, 12, 0, 31, 512345, tzinfo=UTC)
    assert batch.alerts[1].starts_at == datetime(2026, 2, 16, 12, 0, 40, 100000, tzinfo=UTC)
    assert batch.alerts[2].starts_at == datetime(2026, 2, 16, 11, 52, 1, 0, tzinfo=UTC)
    assert all(a.starts_at.tzinfo is UTC for a in batch.alerts)


def test_it_keeps_the_group_key_the_truncated_count_and_the_whole_payload() -> None:
    payload = load("alertmanager_firing")
    batch = parse(payload)

    assert batch.sender_group_key == '{}/{event="spring-gala-2026"}:{alertname="HLSPlaylistStale"}'
    assert {a.group_key for a in batch.alerts} == {batch.sender_group_key}
    assert batch.truncated == 2
    assert batch.raw == payload


def test_it_keeps_each_alerts_own_json_as_its_raw_evidence() -> None:
    payload = load("alertmanager_firing")
    batch = parse(payload)

    assert [a.raw for a in batch.alerts] == payload["alerts"]


def test_it_takes_the_summary_from_the_description_then_the_alertname() -> None:
    batch = parse(load("alertmanager_firing"))

    assert batch.alerts[1].summary == "Playlist on edge-7 not updated for 38 s"
    assert batch.alerts[2].summary == "HLSPlaylistStale"


def test_it_drops_a_blank_generator_url() -> None:
    resolved = parse(load("alertmanager_firing")).alerts[2]

    assert resolved.generator_url is None
    assert resolved.links == []


def test_it_reads_a_resolved_group_with_its_end_times() -> None:
    batch = parse(load("alertmanager_resolved"))

    assert [a.status for a in batch.alerts] == ["resolved", "resolved"]
    assert batch.alerts[0].ends_at == datetime(2026, 2, 16, 12, 21, 40, 480912, tzinfo=UTC)
    assert batch.alerts[0].severity == "warning"
    assert batch.truncated == 0


def test_it_computes_a_fingerprint_when_the_sender_gives_none() -> None:
    payload = load("alertmanager_resolved")
    del payload["alerts"][0]["fingerprint"]
    payload["alerts"][1]["fingerprint"] = ""

    alerts = parse(payload).alerts

    assert alerts[0].fingerprint == fingerprint_labels(payload["alerts"][0]["labels"])
    assert alerts[1].fingerprint == fingerprint_labels(payload["alerts"][1]["labels"])


def test_it_ignores_unknown_fields() -> None:
    payload = load("alertmanager_resolved")
    payload["somethingNew"] = {"nested": [1, 2]}
    payload["alerts"][0]["extra"] = True

    assert len(parse(payload).alerts) == 2


@pytest.mark.parametrize("body", [[], "alerts", None, 4])
def test_it_refuses_a_body_that_is_not_an_object(body: Any) -> None:
    assert problems_of(refuse(body)) == {(): "Must be a JSON object."}


def test_it_refuses_another_payload_version_with_a_clear_message() -> None:
    payload = load("alertmanager_firing")
    payload["version"] = "3"

    assert problems_of(refuse(payload)) == {
        ("version",): "Unsupported payload version '3'; this endpoint accepts version '4'."
    }


def test_it_refuses_a_payload_without_a_version() -> None:
    payload = load("alertmanager_firing")
    del payload["version"]

    assert problems_of(refuse(payload)) == {("version",): "Field required."}


def test_it_refuses_alerts_that_are_not_a_list() -> None:
    payload = load("alertmanager_firing")
    payload["alerts"] = {"0": payload["alerts"][0]}

    assert problems_of(refuse(payload)) == {("alerts",): "Must be a list."}


def test_it_refuses_an_empty_alert_list() -> None:
    payload = load("alertmanager_firing")
    payload["alerts"] = []

    assert problems_of(refuse(payload)) == {("alerts",): "Must hold at least one alert."}


def test_it_lists_every_problem_with_its_location() -> None:
    payload = load("alertmanager_firing")
    del payload["alerts"][0]["labels"]
    payload["alerts"][1]["startsAt"] = "16/02/2026 12:00"
    payload["alerts"][2]["status"] = "pending"
    payload["truncatedAlerts"] = -1

    assert problems_of(refuse(payload)) == {
        ("truncatedAlerts",): "Must be an integer of 0 or more.",
        ("alerts", 0, "labels"): "Field required.",
        (
            "alerts",
            1,
            "startsAt",
        ): "Must be an RFC 3339 timestamp with a time zone, e.g. 2026-02-16T12:00:31Z.",
        ("alerts", 2, "status"): "Must be one of: firing, resolved.",
    }


def test_it_refuses_an_alert_with_empty_labels() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][1]["labels"] = {}

    assert problems_of(refuse(payload)) == {("alerts", 1, "labels"): "Must hold at least one label."}


def test_it_refuses_label_values_that_are_not_strings() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][0]["labels"]["replicas"] = 3

    assert problems_of(refuse(payload)) == {("alerts", 0, "labels", "replicas"): "Must be a string."}


def test_it_refuses_blank_or_overlong_label_names() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][0]["labels"][""] = "x"
    payload["alerts"][1]["labels"]["n" * 257] = "x"

    assert problems_of(refuse(payload)) == {
        ("alerts", 0, "labels", ""): "Names must be 1 to 256 characters.",
        ("alerts", 1, "labels", "n" * 257): "Names must be 1 to 256 characters.",
    }


def test_it_reads_null_annotations_as_empty() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][1]["annotations"] = None

    assert parse(payload).alerts[1].annotations == {}


def test_it_refuses_a_start_time_without_a_time_zone() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][0]["startsAt"] = "2026-02-16T12:03:10"

    assert list(problems_of(refuse(payload))) == [("alerts", 0, "startsAt")]


def test_it_refuses_the_zero_time_as_a_start() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][0]["startsAt"] = "0001-01-01T00:00:00Z"

    assert list(problems_of(refuse(payload))) == [("alerts", 0, "startsAt")]


def test_it_refuses_an_overlong_fingerprint() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][0]["fingerprint"] = "f" * 256

    assert problems_of(refuse(payload)) == {("alerts", 0, "fingerprint"): "Must be at most 255 characters."}


def test_it_refuses_more_alerts_than_the_cap_without_reading_them() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"] = [None] * (MAX_ALERTS + 1)

    assert problems_of(refuse(payload)) == {
        ("alerts",): "Too many alerts in one request (10001); the limit is 10000."
    }


def test_it_answers_400_invalid_payload_in_the_readers_language() -> None:
    payload = load("alertmanager_resolved")
    payload["alerts"][0]["labels"] = {}
    error = refuse(payload).value

    assert (error.status_code, error.code) == (400, "invalid_payload")
    assert error.to_dict("en") == {
        "code": "invalid_payload",
        "message": "The Alertmanager payload is invalid.",
        "details": [{"loc": ["alerts", 0, "labels"], "msg": "Must hold at least one label."}],
    }
    assert error.to_dict("zh-CN")["details"] == [
        {"loc": ["alerts", 0, "labels"], "msg": "至少需要一个标签。"}
    ]
    assert error.to_dict("zh-CN")["message"] == "Alertmanager 请求内容无效。"
