"""EventGuard's own simple JSON, for senders that are neither Alertmanager, Grafana nor PagerDuty.

The body is one alert object, or ``{"alerts": [alert, ...]}``. Fields are documented in
docs/integrations.md (a test keeps ``GENERIC_FIELDS`` and that table in step).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventguard.alerts.fingerprint import fingerprint_labels
from eventguard.alerts.formats.base import (
    MAX_ANNOTATION_VALUE,
    MAX_ID,
    MAX_KEY,
    MAX_LABEL_VALUE,
    MAX_TEXT,
    STATUSES,
    AlertFormat,
    AlertIn,
    Loc,
    ParsedBatch,
    action_of,
    normalize_severity,
)
from eventguard.alerts.formats.checks import PayloadCheck
from eventguard.i18n import Message
from eventguard.plugins import hookimpl

SENDER = "generic alert"
GENERIC_FIELDS = (
    "title",
    "status",
    "labels",
    "annotations",
    "severity",
    "fingerprint",
    "dedup_key",
    "starts_at",
    "ends_at",
    "url",
)


class GenericFormat:
    """One alert object or ``{"alerts": [...]}`` in EventGuard's own field names."""

    name = "generic"
    sender = SENDER

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        """Read one body; missing times default to ``received_at``."""
        check = PayloadCheck(SENDER)
        if not isinstance(payload, dict):
            raise check.fail((), Message("Must be a JSON object."))
        if "alerts" in payload:
            items = check.alert_list(payload, "alerts", ())
            alerts = [
                read_alert(check, item, ("alerts", i), received_at) for i, item in enumerate(items or [])
            ]
        else:
            alerts = [read_alert(check, payload, (), received_at)]
        check.finish()
        return ParsedBatch(alerts=[alert for alert in alerts if alert is not None], raw=payload)


def read_alert(check: PayloadCheck, item: Any, loc: Loc, received_at: datetime) -> AlertIn | None:
    """One generic alert; None (with problems recorded) when it is not valid."""
    alert = check.object(item, loc)
    if alert is None:
        return None
    title = check.text(alert, "title", loc, limit=MAX_TEXT, required=True, blank_ok=False)
    status = check.choice(alert, "status", loc, STATUSES, required=False)
    labels = check.string_map(alert, "labels", loc, value_limit=MAX_LABEL_VALUE)
    annotations = check.string_map(alert, "annotations", loc, value_limit=MAX_ANNOTATION_VALUE)
    severity = check.text(alert, "severity", loc, limit=MAX_KEY)
    given_keys = [check.text(alert, key, loc, limit=MAX_ID) for key in ("fingerprint", "dedup_key")]
    starts_at = check.timestamp(alert, "starts_at", loc)
    ends_at = check.timestamp(alert, "ends_at", loc, zero_is_none=True)
    url = check.url(alert, "url", loc, strict=True)
    if title is None or labels is None or annotations is None:
        return None
    # Without alertname, two alerts with no labels would share one fingerprint.
    labels = {"alertname": title.strip(), **labels} if "alertname" not in labels else labels
    resolved = status == "resolved"
    fingerprint = next((key.strip() for key in given_keys if key and key.strip()), None)
    return AlertIn(
        fingerprint=fingerprint or fingerprint_labels(labels),
        status="resolved" if resolved else "firing",
        labels=labels,
        annotations=annotations,
        summary=title.strip(),
        severity=normalize_severity(severity or labels.get("severity")),
        source=GenericFormat.name,
        starts_at=starts_at or received_at,
        ends_at=ends_at or (received_at if resolved else None),
        generator_url=url,
        group_key=None,
        action=action_of("resolved" if resolved else "firing"),
        raw=alert,
        links=[{"kind": "source", "href": url}] if url else [],
    )


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the generic format."""
    return [GenericFormat()]
