"""PagerDuty Events API v2 events and the PagerDuty-shaped answers of our compatible endpoint."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from eventguard.alerts import PayloadInvalid
from eventguard.alerts.formats.base import ParsedBatch
from eventguard.alerts.formats.pagerduty import (
    PagerDutyFormat,
    dedup_key_of,
    pagerduty_error_body,
    pagerduty_success_body,
)
from tests.alerts.fixtures import RECEIVED_AT, load, problems_of


def parse(payload: Any) -> ParsedBatch:
    return PagerDutyFormat(new_dedup_key=lambda: "generated-key").parse(payload, received_at=RECEIVED_AT)


def refuse(payload: Any) -> pytest.ExceptionInfo[PayloadInvalid]:
    with pytest.raises(PayloadInvalid) as excinfo:
        parse(payload)
    return excinfo


def test_it_reads_a_trigger_event() -> None:
    payload = load("pagerduty_trigger")
    batch = parse(payload)

    (alert,) = batch.alerts
    assert alert.fingerprint == "spring-gala-2026/payment/error-rate"
    assert (alert.status, alert.action, alert.source) == ("firing", "trigger", "pagerduty")
    assert alert.summary == "Payment error rate 4.2% on checkout (threshold 2%)"
    assert alert.severity == "error"
    assert alert.starts_at == datetime(2026, 2, 16, 4, 3, 10, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.raw == batch.raw == payload
    assert dedup_key_of(batch) == "spring-gala-2026/payment/error-rate"


def test_it_derives_labels_from_the_payload_fields_and_custom_details() -> None:
    (alert,) = parse(load("pagerduty_trigger")).alerts

    assert alert.labels == {
        "source": "checkout.spring-gala.example.com",
        "severity": "error",
        "component": "payment-gateway",
        "group": "spring-gala-2026",
        "class": "error rate",
        "detail_error_rate": "0.042",
        "detail_provider": "acme-pay",
        "detail_regions": '["cn-east", "cn-north"]',
        "detail_window": "5m",
    }
    assert alert.annotations == {}


def test_it_keeps_images_links_and_the_client_as_links() -> None:
    (alert,) = parse(load("pagerduty_trigger")).alerts

    assert alert.links == [
        {
            "kind": "image",
            "href": "https://grafana.example.com/render/pay.png",
            "src": "https://grafana.example.com/render/pay.png",
            "text": "payment errors",
        },
        {
            "kind": "link",
            "href": "https://eventguard.example.com/runbooks/payment-failure",
            "text": "Runbook",
        },
        {"kind": "client", "href": "https://eventguard.example.com", "text": "EventGuard"},
    ]


def test_it_keeps_non_object_custom_details_as_one_detail_label() -> None:
    payload = load("pagerduty_trigger")
    payload["payload"]["custom_details"] = "disk 99% full on db-2"

    labels = parse(payload).alerts[0].labels

    assert labels["detail"] == "disk 99% full on db-2"
    assert not any(name.startswith("detail_") for name in labels)


def test_it_generates_a_dedup_key_for_a_trigger_without_one() -> None:
    payload = load("pagerduty_trigger")
    del payload["dedup_key"]

    assert dedup_key_of(parse(payload)) == "generated-key"


def test_its_default_dedup_keys_are_fresh_uuid4_hex() -> None:
    payload = load("pagerduty_trigger")
    payload["dedup_key"] = "   "
    first = PagerDutyFormat().parse(payload, received_at=RECEIVED_AT)
    second = PagerDutyFormat().parse(payload, received_at=RECEIVED_AT)

    assert re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{19}", dedup_key_of(first))
    assert dedup_key_of(first) != dedup_key_of(second)


def test_it_uses_the_receipt_time_when_a_trigger_has_no_timestamp() -> None:
    payload = load("pagerduty_trigger")
    del payload["payload"]["timestamp"]

    assert parse(payload).alerts[0].starts_at == RECEIVED_AT


def test_it_reads_an_acknowledge_event_as_naming_an_open_alert() -> None:
    (alert,) = parse(load("pagerduty_acknowledge")).alerts

    assert (alert.action, alert.status) == ("acknowledge", "firing")
    assert alert.fingerprint == "spring-gala-2026/payment/error-rate"
    assert alert.labels == {}
    assert alert.severity is None
    assert alert.ends_at is None


def test_it_reads_a_resolve_event_as_ending_at_receipt() -> None:
    (alert,) = parse(load("pagerduty_resolve")).alerts

    assert (alert.action, alert.status) == ("resolve", "resolved")
    assert alert.ends_at == RECEIVED_AT


def test_it_ignores_the_payload_of_a_follow_up_event_like_pagerduty_does() -> None:
    payload = load("pagerduty_resolve")
    payload["payload"] = {"summary": 42}

    assert parse(payload).alerts[0].action == "resolve"


def test_it_refuses_a_trigger_without_a_summary() -> None:
    payload = load("pagerduty_trigger")
    del payload["payload"]["summary"]

    assert problems_of(refuse(payload)) == {("payload", "summary"): "Field required."}


def test_it_refuses_a_trigger_without_a_payload() -> None:
    payload = load("pagerduty_trigger")
    del payload["payload"]

    assert problems_of(refuse(payload)) == {("payload",): "Required for trigger events."}


@pytest.mark.parametrize("name", ["pagerduty_acknowledge", "pagerduty_resolve"])
def test_it_refuses_a_follow_up_without_a_dedup_key(name: str) -> None:
    payload = load(name)
    del payload["dedup_key"]
    action = payload["event_action"]

    assert problems_of(refuse(payload)) == {("dedup_key",): f"Required for {action} events."}


def test_it_refuses_a_severity_outside_the_enum() -> None:
    payload = load("pagerduty_trigger")
    payload["payload"]["severity"] = "high"

    assert problems_of(refuse(payload)) == {
        ("payload", "severity"): "Must be one of: critical, error, warning, info."
    }


def test_it_refuses_a_dedup_key_longer_than_255_characters() -> None:
    payload = load("pagerduty_resolve")
    payload["dedup_key"] = "k" * 256

    assert problems_of(refuse(payload)) == {("dedup_key",): "Must be at most 255 characters."}


def test_it_refuses_a_summary_longer_than_1024_characters() -> None:
    payload = load("pagerduty_trigger")
    payload["payload"]["summary"] = "s" * 1025

    assert problems_of(refuse(payload)) == {("payload", "summary"): "Must be at most 1024 characters."}


def test_it_lists_every_problem_of_an_event() -> None:
    payload = {
        "routing_key": 12345,
        "event_action": "trigger",
        "payload": {"summary": " ", "severity": "error", "timestamp": "yesterday"},
        "links": [{"href": "javascript:alert(1)"}],
        "images": [{"alt": "no src"}],
    }

    assert problems_of(refuse(payload)) == {
        ("routing_key",): "Must be a string.",
        ("images", 0, "src"): "Field required.",
        ("links", 0, "href"): "Must be an http or https URL.",
        ("payload", "summary"): "Must not be empty.",
        ("payload", "source"): "Field required.",
        (
            "payload",
            "timestamp",
        ): "Must be an RFC 3339 timestamp with a time zone, e.g. 2026-02-16T12:00:31Z.",
    }


def test_it_refuses_an_unknown_event_action_and_a_missing_routing_key() -> None:
    assert problems_of(refuse({"event_action": "escalate"})) == {
        ("routing_key",): "Field required.",
        ("event_action",): "Must be one of: trigger, acknowledge, resolve.",
    }


def test_it_builds_pagerdutys_invalid_event_body() -> None:
    payload = load("pagerduty_acknowledge")
    del payload["dedup_key"]
    payload["routing_key"] = ""

    assert pagerduty_error_body(refuse(payload).value) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["routing_key: Must not be empty.", "dedup_key: Required for acknowledge events."],
    }


def test_it_builds_pagerdutys_invalid_event_body_for_a_non_object() -> None:
    body = pagerduty_error_body(refuse(["not", "an", "event"]).value)

    assert body["errors"] == ["(body): Must be a JSON object."]


def test_it_builds_pagerdutys_success_body() -> None:
    assert pagerduty_success_body("srv01/HTTP") == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/HTTP",
    }
