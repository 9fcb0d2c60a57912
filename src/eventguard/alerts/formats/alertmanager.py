"""Prometheus Alertmanager webhook payloads (``version: "4"``), PROTOCOLS.md §1.

Grafana's unified-alerting webhook extends the same group shape, so the readers for a group and for
one alert of it live here and take the sender-specific bits as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventguard.alerts.fingerprint import fingerprint_labels
from eventguard.alerts.formats.base import (
    MAX_ANNOTATION_VALUE,
    MAX_GROUP_KEY,
    MAX_ID,
    MAX_LABEL_VALUE,
    MAX_TEXT,
    MAX_URL,
    STATUSES,
    AlertFormat,
    AlertIn,
    AlertStatus,
    Loc,
    ParsedBatch,
    action_of,
    normalize_severity,
    summary_of,
)
from eventguard.alerts.formats.checks import PayloadCheck
from eventguard.i18n import Message
from eventguard.plugins import hookimpl


@dataclass(frozen=True)
class GroupShape:
    """What differs between senders of Alertmanager-shaped groups."""

    source: str
    sender: str
    version: str
    # (JSON field of an alert, link kind): URLs to keep as links of the alert
    link_fields: tuple[tuple[str, str], ...] = (("generatorURL", "generator"),)


ALERTMANAGER = GroupShape(source="alertmanager", sender="Alertmanager", version="4")


def read_group(check: PayloadCheck, payload: Any, shape: GroupShape) -> ParsedBatch:
    """Read a whole Alertmanager-shaped group; raises ``PayloadInvalid`` listing every problem."""
    if not isinstance(payload, dict):
        raise check.fail((), Message("Must be a JSON object."))
    body: dict[str, Any] = payload
    version = body.get("version")
    if version != shape.version:
        if version is None:
            raise check.fail(("version",), Message("Field required."))
        got = {"version": repr(version), "expected": repr(shape.version)}
        raise check.fail(
            ("version",),
            Message("Unsupported payload version {version}; this endpoint accepts version {expected}.", got),
        )
    check.choice(body, "status", (), STATUSES, required=True)
    group_key = check.text(body, "groupKey", (), limit=MAX_GROUP_KEY, required=True)
    truncated = check.count(body, "truncatedAlerts", ())
    check.text(body, "receiver", (), limit=MAX_TEXT)
    check.text(body, "externalURL", (), limit=MAX_URL)
    for key in ("groupLabels", "commonLabels", "commonAnnotations"):
        check.string_map(body, key, (), value_limit=MAX_ANNOTATION_VALUE)
    items = check.alert_list(body, "alerts", ())
    alerts = [
        read_group_alert(check, item, ("alerts", index), shape=shape, group_key=group_key)
        for index, item in enumerate(items or [])
    ]
    check.finish()
    return ParsedBatch(
        alerts=[alert for alert in alerts if alert is not None],
        raw=body,
        truncated=truncated or 0,
        sender_group_key=group_key,
    )


def read_group_alert(
    check: PayloadCheck, item: Any, loc: Loc, *, shape: GroupShape, group_key: str | None
) -> AlertIn | None:
    """One element of ``alerts[]``; None (with problems recorded) when it is not valid."""
    alert = check.object(item, loc)
    if alert is None:
        return None
    status = check.choice(alert, "status", loc, STATUSES, required=True)
    labels = check.string_map(
        alert, "labels", loc, value_limit=MAX_LABEL_VALUE, required=True, non_empty=True
    )
    annotations = check.string_map(alert, "annotations", loc, value_limit=MAX_ANNOTATION_VALUE)
    starts_at = check.timestamp(alert, "startsAt", loc, required=True)
    ends_at = check.timestamp(alert, "endsAt", loc, zero_is_none=True)
    fingerprint = check.text(alert, "fingerprint", loc, limit=MAX_ID)
    links = []
    for field_name, kind in shape.link_fields:
        href = check.url(alert, field_name, loc, strict=False)
        if href is not None:
            links.append(
                {"kind": kind, "href": href, "src": href} if kind == "image" else {"kind": kind, "href": href}
            )
    if status is None or labels is None or annotations is None or starts_at is None:
        return None
    return _alert(
        status=_status(status),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        fingerprint=fingerprint,
        links=links,
        raw=alert,
        shape=shape,
        group_key=group_key,
    )


def _status(value: str) -> AlertStatus:
    return "resolved" if value == "resolved" else "firing"


def _alert(
    *,
    status: AlertStatus,
    labels: dict[str, str],
    annotations: dict[str, str],
    starts_at: datetime,
    ends_at: datetime | None,
    fingerprint: str | None,
    links: list[dict[str, str]],
    raw: dict[str, Any],
    shape: GroupShape,
    group_key: str | None,
) -> AlertIn:
    fingerprint = (fingerprint or "").strip() or fingerprint_labels(labels)
    generator = next((link["href"] for link in links if link["kind"] == "generator"), None)
    return AlertIn(
        fingerprint=fingerprint,
        status=status,
        labels=labels,
        annotations=annotations,
        summary=summary_of(annotations, labels, fallback=fingerprint),
        severity=normalize_severity(labels.get("severity")),
        source=shape.source,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=generator,
        group_key=group_key,
        action=action_of(status),
        raw=raw,
        links=links,
    )


class AlertmanagerFormat:
    """Alertmanager ``webhook_config`` payloads, version 4."""

    name = "alertmanager"
    sender = ALERTMANAGER.sender

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        """Read one webhook body. ``received_at`` is unused: Alertmanager always sends ``startsAt``."""
        return read_group(PayloadCheck(ALERTMANAGER.sender), payload, ALERTMANAGER)


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the Alertmanager format."""
    return [AlertmanagerFormat()]
