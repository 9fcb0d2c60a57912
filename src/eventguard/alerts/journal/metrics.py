"""Prometheus metrics of the intake journal (served at /metrics): counters here, and the lag
gauges (depth, oldest unprocessed age, parked rows) set from the database at each scrape."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ACCEPTED_REQUESTS = Counter(
    "eventguard_intake_accepted_requests_total", "Intake requests journaled and answered 2xx.", ["format"]
)
ACCEPTED_ALERTS = Counter(
    "eventguard_intake_accepted_alerts_total", "Alerts in the journaled intake requests.", ["format"]
)
REFUSED = Counter(
    "eventguard_intake_refused_requests_total", "Intake requests answered 4xx, by error code.", ["code"]
)
PROCESSED_ROWS = Counter("eventguard_intake_journal_processed_rows_total", "Journal rows processed.")
PROCESSED_ALERTS = Counter(
    "eventguard_intake_journal_processed_alerts_total",
    "Alerts processed from the journal into alerts and incidents (rate() of it: the processing rate).",
)
PARKED = Counter("eventguard_intake_journal_parked_total", "Journal rows parked because processing failed.")
DEPTH = Gauge("eventguard_intake_journal_depth", "Journal rows accepted and not processed yet.")
PENDING_ALERTS = Gauge("eventguard_intake_journal_pending_alerts", "Alerts in the unprocessed journal rows.")
OLDEST_AGE = Gauge(
    "eventguard_intake_journal_oldest_age_seconds", "Age of the oldest unprocessed journal row (0: none)."
)
PARKED_ROWS = Gauge("eventguard_intake_journal_parked_rows", "Journal rows parked now (waiting for a retry).")
