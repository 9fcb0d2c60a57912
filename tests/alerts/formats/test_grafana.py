"""Grafana unified-alerting webhook payloads and its optional HMAC signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventguard.alerts import PayloadInvalid
from eventguard.alerts.formats.base import ParsedBatch
from eventguard.alerts.formats.grafana import GrafanaFormat, verify_grafana_hmac
from tests.alerts.fixtures import RECEIVED_AT, load, problems_of

BODY = b'{"receiver":"eventguard-webhook","status":"firing"}'
SECRET = "gala-hmac-secret"
# Computed independently with `openssl dgst -sha256 -hmac gala-hmac-secret`.
SIGNATURE = "0c92d796b3042a74288dc18ca895340ee73d05a75e3ddd6e8324fb1da15532bb"
STAMP = "1771245000"  # 2026-02-16T12:30:00Z
SIGNATURE_WITH_STAMP = "53c470101fc67838a6554a3fe3bf359c17cc441fddd26fbfb9c1f2ee23c8fad6"
TS_HEADER = "X-Grafana-Alerting-Signature-Timestamp"


def parse(payload: Any) -> ParsedBatch:
    return GrafanaFormat().parse(payload, received_at=RECEIVED_AT)


def test_it_reads_a_grafana_payload_like_the_protocol_example() -> None:
    payload = load("grafana_firing")
    batch = parse(payload)

    checkout = batch.alerts[0]
    assert checkout.source == "grafana"
    assert checkout.fingerprint == "a41b93c07d2e5f68"
    assert checkout.summary == "Checkout returns 5xx for 6.1% of requests"
    assert checkout.starts_at == datetime(2026, 2, 16, 4, 2, tzinfo=UTC)
    assert checkout.ends_at is None
    assert checkout.severity is None
    assert checkout.raw == payload["alerts"][0]
    assert batch.sender_group_key == '{}/{event="spring-gala-2026"}:{}'
    assert batch.raw == payload


def test_it_keeps_grafanas_urls_as_links_and_drops_blank_ones() -> None:
    checkout, viewers = parse(load("grafana_firing")).alerts

    assert [link["kind"] for link in checkout.links] == ["generator", "silence"]
    assert [link["kind"] for link in viewers.links] == ["generator", "silence", "dashboard", "panel", "image"]
    image = viewers.links[-1]
    assert image["src"] == image["href"] == "https://grafana.example.com/public/img/attachments/viewers.png"
    assert viewers.generator_url == "https://grafana.example.com/alerting/grafana/d91e/view?orgId=1"


def test_it_reads_the_summary_from_the_description_and_the_severity_label() -> None:
    viewers = parse(load("grafana_firing")).alerts[1]

    assert viewers.summary == "Concurrent viewers fell 35% in 2 minutes"
    assert viewers.severity == "warning"


def test_it_reads_a_resolved_grafana_alert() -> None:
    (alert,) = parse(load("grafana_resolved")).alerts

    assert (alert.status, alert.action) == ("resolved", "resolve")
    assert alert.ends_at == datetime(2026, 2, 16, 4, 14, tzinfo=UTC)


def test_it_requires_grafanas_version_1() -> None:
    payload = load("alertmanager_firing")  # an Alertmanager body sent to the Grafana endpoint

    with pytest.raises(PayloadInvalid) as excinfo:
        parse(payload)

    assert problems_of(excinfo) == {
        ("version",): "Unsupported payload version '4'; this endpoint accepts version '1'."
    }


def test_it_lists_grafana_specific_and_shared_problems_together() -> None:
    payload = load("grafana_firing")
    payload["orgId"] = "1"
    payload["alerts"][1]["annotations"] = ["not", "an", "object"]

    with pytest.raises(PayloadInvalid) as excinfo:
        parse(payload)

    assert problems_of(excinfo) == {
        ("orgId",): "Must be an integer of 0 or more.",
        ("alerts", 1, "annotations"): "Must be a JSON object.",
    }
    assert excinfo.value.message == "The Grafana payload is invalid."


def test_it_accepts_a_signature_over_the_body() -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE}

    assert verify_grafana_hmac(BODY, headers, SECRET, None, RECEIVED_AT)


def test_it_accepts_a_signature_over_the_timestamp_and_the_body() -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE_WITH_STAMP, TS_HEADER: STAMP}

    assert verify_grafana_hmac(BODY, headers, SECRET, TS_HEADER, RECEIVED_AT)


@pytest.mark.parametrize("skew", [timedelta(seconds=300), timedelta(seconds=-300)])
def test_it_accepts_a_timestamp_up_to_300_seconds_away(skew: timedelta) -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE_WITH_STAMP, TS_HEADER: STAMP}

    assert verify_grafana_hmac(BODY, headers, SECRET, TS_HEADER, RECEIVED_AT + skew)


@pytest.mark.parametrize("skew", [timedelta(seconds=301), timedelta(seconds=-301), timedelta(days=1)])
def test_it_refuses_a_stale_or_future_timestamp(skew: timedelta) -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE_WITH_STAMP, TS_HEADER: STAMP}

    assert not verify_grafana_hmac(BODY, headers, SECRET, TS_HEADER, RECEIVED_AT + skew)


def test_it_refuses_a_body_signed_without_the_timestamp_when_one_is_configured() -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE, TS_HEADER: STAMP}

    assert not verify_grafana_hmac(BODY, headers, SECRET, TS_HEADER, RECEIVED_AT)


@pytest.mark.parametrize("stamp", [None, "", "soon", "-1771245000", "1771245000.5", "9" * 5000])
def test_it_refuses_a_missing_or_malformed_timestamp(stamp: str | None) -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE_WITH_STAMP}
    if stamp is not None:
        headers[TS_HEADER] = stamp

    assert not verify_grafana_hmac(BODY, headers, SECRET, TS_HEADER, RECEIVED_AT)


def test_it_refuses_a_tampered_body_another_secret_or_no_signature() -> None:
    headers = {"X-Grafana-Alerting-Signature": SIGNATURE}

    assert not verify_grafana_hmac(BODY + b" ", headers, SECRET, None, RECEIVED_AT)
    assert not verify_grafana_hmac(BODY, headers, "another-secret", None, RECEIVED_AT)
    assert not verify_grafana_hmac(BODY, headers, "", None, RECEIVED_AT)
    assert not verify_grafana_hmac(BODY, {}, SECRET, None, RECEIVED_AT)
    assert not verify_grafana_hmac(
        BODY, {"X-Grafana-Alerting-Signature": "sha256=" + SIGNATURE}, SECRET, None, RECEIVED_AT
    )


def test_it_reads_headers_in_any_case_and_under_either_default_name() -> None:
    assert verify_grafana_hmac(BODY, {"x-grafana-alerting-signature": SIGNATURE}, SECRET, None, RECEIVED_AT)
    assert verify_grafana_hmac(BODY, {"X-Grafana-Alert-Signature": SIGNATURE}, SECRET, None, RECEIVED_AT)


def test_it_reads_only_the_configured_signature_header_when_one_is_set() -> None:
    headers = {"X-Gala-Signature": SIGNATURE}

    assert verify_grafana_hmac(BODY, headers, SECRET, None, RECEIVED_AT, signature_header="X-Gala-Signature")
    assert not verify_grafana_hmac(
        BODY,
        {"X-Grafana-Alerting-Signature": SIGNATURE},
        SECRET,
        None,
        RECEIVED_AT,
        signature_header="X-Gala-Signature",
    )
