"""EventGuard's own generic alert JSON: one object or {"alerts": [...]}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from eventguard.alerts import PayloadInvalid, fingerprint_labels
from eventguard.alerts.formats.base import ParsedBatch
from eventguard.alerts.formats.generic import GenericFormat
from tests.alerts.fixtures import RECEIVED_AT, load, problems_of


def parse(payload: Any) -> ParsedBatch:
    return GenericFormat().parse(payload, received_at=RECEIVED_AT)


def refuse(payload: Any) -> pytest.ExceptionInfo[PayloadInvalid]:
    with pytest.raises(PayloadInvalid) as excinfo:
        parse(payload)
    return excinfo


def test_it_reads_a_single_alert_object() -> None:
    payload = load("generic_single")
    (alert,) = parse(payload).alerts

    assert alert.summary == "Ticket check-in API failing"
    assert (alert.status, alert.action, alert.source) == ("firing", "trigger", "generic")
    assert alert.severity == "critical"
    assert alert.starts_at == datetime(2026, 2, 16, 11, 58, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.generator_url == "https://probes.example.com/checks/check-in"
    assert alert.links == [{"kind": "source", "href": "https://probes.example.com/checks/check-in"}]
    assert alert.annotations["probe"] == "sh-02"
    assert alert.raw == payload


def test_it_names_an_alert_by_its_title_when_labels_have_no_alertname() -> None:
    (alert,) = parse(load("generic_single")).alerts

    assert alert.labels == {
        "alertname": "Ticket check-in API failing",
        "service": "check-in",
        "event": "spring-gala-2026",
    }
    assert alert.fingerprint == fingerprint_labels(alert.labels)


def test_it_reads_a_batch_with_the_senders_keys_and_defaults() -> None:
    payload = load("generic_batch")
    backlog, check_in, shop = parse(payload).alerts

    assert backlog.fingerprint == "chat/moderation-backlog"
    assert backlog.labels["alertname"] == "ModerationBacklog"
    assert backlog.severity == "warning"
    assert backlog.starts_at == RECEIVED_AT
    assert check_in.fingerprint == "check-in-api"
    assert (check_in.status, check_in.action) == ("resolved", "resolve")
    assert check_in.ends_at == datetime(2026, 2, 16, 12, 6, 30, tzinfo=UTC)
    assert shop.labels == {"alertname": "Merch shop slow"}
    assert shop.severity is None
    assert [a.raw for a in (backlog, check_in, shop)] == payload["alerts"]


def test_it_ends_a_resolved_alert_at_receipt_when_no_end_is_given() -> None:
    (alert,) = parse({"title": "Merch shop slow", "status": "resolved"}).alerts

    assert alert.ends_at == RECEIVED_AT


def test_alerts_without_labels_or_keys_differ_by_title() -> None:
    first, second = parse({"alerts": [{"title": "Merch shop slow"}, {"title": "Chat down"}]}).alerts

    assert first.fingerprint != second.fingerprint


def test_it_lists_every_problem_of_a_batch() -> None:
    payload = {
        "alerts": [
            {"status": "firing"},
            {"title": "Chat down", "status": "down", "labels": ["chat"]},
            "Merch shop slow",
            {"title": "Stage feed", "url": "ftp://probes.example.com/stage", "ends_at": "2026-02-16"},
        ]
    }

    assert problems_of(refuse(payload)) == {
        ("alerts", 0, "title"): "Field required.",
        ("alerts", 1, "status"): "Must be one of: firing, resolved.",
        ("alerts", 1, "labels"): "Must be a JSON object.",
        ("alerts", 2): "Must be a JSON object.",
        (
            "alerts",
            3,
            "ends_at",
        ): "Must be an RFC 3339 timestamp with a time zone, e.g. 2026-02-16T12:00:31Z.",
        ("alerts", 3, "url"): "Must be an http or https URL.",
    }


def test_it_refuses_alerts_that_are_not_a_list_and_a_body_that_is_not_an_object() -> None:
    assert problems_of(refuse({"alerts": "all of them"})) == {("alerts",): "Must be a list."}
    assert problems_of(refuse([{"title": "Chat down"}])) == {(): "Must be a JSON object."}
