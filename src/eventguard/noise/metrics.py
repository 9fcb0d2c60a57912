"""Prometheus counters of noise control (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

SUPPRESSED_ALERTS = Counter(
    "eventguard_noise_suppressed_alerts_total",
    "Firing alert reports held by a noise rule instead of paging, by kind (silence, maintenance, "
    "inhibition, flapping).",
    ["kind"],
)
HELD_INCIDENTS = Counter(
    "eventguard_noise_held_incidents_total",
    "Incidents opened without paging because every firing alert was suppressed, by kind.",
    ["kind"],
)
RELEASED_INCIDENTS = Counter(
    "eventguard_noise_released_incidents_total",
    "Held incidents released to page (an unsuppressed alert joined, or their rules ended).",
)
FLAPPING_ALERTS = Counter(
    "eventguard_noise_flapping_alerts_total",
    "Alerts marked flapping (fired and resolved more often than the plan's noise.flapping allows).",
)
REMINDERS = Counter(
    "eventguard_noise_reminders_total",
    "Reminders sent for incidents still unacknowledged or open, by kind (unacknowledged, open).",
    ["kind"],
)
MAINTENANCE_POSTS = Counter(
    "eventguard_noise_maintenance_posts_total",
    "Maintenance window occurrences posted on the status page, by step (scheduled, in_progress, completed).",
    ["step"],
)
