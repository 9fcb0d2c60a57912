"""Grafana unified alerting webhook contact point (``version: "1"``), PROTOCOLS.md §2.

The body is Alertmanager's group shape plus Grafana's extras (``orgId``, per-alert ``silenceURL``,
``dashboardURL``, ``panelURL``, ``imageURL``, ``values``…). The deprecated top-level ``title``,
``message`` and ``state`` are kept in the raw payload only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventguard.alerts.formats.alertmanager import GroupShape, read_group
from eventguard.alerts.formats.base import AlertFormat, ParsedBatch
from eventguard.alerts.formats.checks import PayloadCheck
from eventguard.errors import Unauthorized
from eventguard.i18n import Message
from eventguard.plugins import hookimpl

GRAFANA = GroupShape(
    source="grafana",
    sender="Grafana",
    version="1",
    link_fields=(
        ("generatorURL", "generator"),
        ("silenceURL", "silence"),
        ("dashboardURL", "dashboard"),
        ("panelURL", "panel"),
        ("imageURL", "image"),
    ),
)

# Grafana's documentation names the default signature header X-Grafana-Alerting-Signature; the
# grafana/alerting source we checked (http/hmac.go) defaults to X-Grafana-Alert-Signature. Both are
# accepted when no header name is configured: the signature itself is what authenticates.
DEFAULT_SIGNATURE_HEADERS = ("X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature")
TIMESTAMP_TOLERANCE_SECONDS = 300
TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"


class GrafanaFormat:
    """Grafana-managed alerts sent by a webhook contact point."""

    name = "grafana"
    sender = GRAFANA.sender

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        """Read one webhook body. ``received_at`` is unused: Grafana always sends ``startsAt``."""
        check = PayloadCheck(GRAFANA.sender)
        if isinstance(payload, dict):
            check.count(payload, "orgId", ())
        return read_group(check, payload, GRAFANA)

    def check_request(
        self, *, secret: str | None, body: bytes, headers: Mapping[str, str], received_at: datetime
    ) -> None:
        """Intake hook: the HMAC signature, when the integration has a secret (401 otherwise)."""
        if secret is None:
            return
        lowered = {name.lower() for name in headers}
        timestamp_header = TIMESTAMP_HEADER if TIMESTAMP_HEADER.lower() in lowered else None
        if not verify_grafana_hmac(body, headers, secret, timestamp_header, received_at):
            raise Unauthorized(Message("The Grafana signature does not match."), code="bad_signature")


def verify_grafana_hmac(
    raw_body: bytes,
    headers: Mapping[str, str],
    secret: str,
    timestamp_header: str | None,
    now: datetime,
    *,
    signature_header: str | None = None,
) -> bool:
    """True if ``raw_body`` carries a valid Grafana HMAC-SHA256 signature (PROTOCOLS.md §2).

    The signature is the lowercase hex HMAC of the body, or of ``"<ts>:<body>"`` when a timestamp
    header is configured; then the timestamp (Unix seconds) must also be within 300 s of ``now``.
    ``headers`` is looked up case-insensitively. Compare in constant time; never raise on bad input.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    names = (signature_header,) if signature_header else DEFAULT_SIGNATURE_HEADERS
    received = next((lowered[n.lower()] for n in names if n.lower() in lowered), None)
    if not received or not secret:
        return False
    message = raw_body
    if timestamp_header:
        stamp = lowered.get(timestamp_header.lower(), "").strip()
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            return False
        if abs(now.timestamp() - int(stamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return False
        message = stamp.encode("ascii") + b":" + raw_body
    expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), received.strip().encode("utf-8"))


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the Grafana format."""
    return [GrafanaFormat()]
