"""Prometheus metrics of delivery (served at /metrics with the rest of the process's metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "eventguard_deliveries_total", "Delivery attempts by channel kind and outcome.", ["channel", "outcome"]
)
RETRIES = Counter(
    "eventguard_delivery_retries_total", "Temporary failures that were scheduled again.", ["channel"]
)
SLA_BREACHES = Counter(
    "eventguard_notification_sla_breaches_total", "Notified roles not reached within notify_within."
)
TIME_TO_NOTIFY = Histogram(
    "eventguard_time_to_notify_seconds",
    "From incident start to the first delivered notification of each notified role.",
    buckets=(1, 2, 5, 10, 30, 60, 120, 180, 240, 300, 600, 1800),
)
ESCALATIONS = Counter("eventguard_escalations_total", "Escalation steps fired for unacknowledged incidents.")
RECIPIENT_LIMITED = Counter(
    "eventguard_recipient_limited_total",
    "SMS and calls delayed by the per-recipient limit (sent when the window frees, never dropped).",
    ["channel"],
)
