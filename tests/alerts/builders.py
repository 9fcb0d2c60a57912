"""Realistic Alertmanager webhook payloads (version 4) built for a test."""

from __future__ import annotations

import hashlib
from typing import Any

ZERO_TIME = "0001-01-01T00:00:00Z"


def am_alert(
    alertname: str,
    instance: str = "edge-1:443",
    status: str = "firing",
    starts_at: str = "2026-06-16T04:00:31.512345678Z",
    **labels: str,
) -> dict[str, Any]:
    all_labels = {"alertname": alertname, "event": "cloud-summit-2026", "instance": instance, **labels}
    fingerprint = hashlib.sha256(repr(sorted(all_labels.items())).encode()).hexdigest()[:16]
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {
            "summary": f"{alertname} on {instance}",
            "description": "Viewers see a frozen frame.",
        },
        "startsAt": starts_at,
        "endsAt": ZERO_TIME if status == "firing" else "2026-06-16T04:09:00Z",
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=hls_playlist_age_seconds+%3E+30",
        "fingerprint": fingerprint,
    }


def am_payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    first = alerts[0]["labels"]["alertname"]
    return {
        "version": "4",
        "groupKey": f'{{}}/{{event="cloud-summit-2026"}}:{{alertname="{first}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": "eventguard",
        "groupLabels": {"alertname": first},
        "commonLabels": {"alertname": first, "event": "cloud-summit-2026"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "notification_reason": "first notification",
        "alerts": list(alerts),
    }
