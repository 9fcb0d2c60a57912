"""``/metrics`` in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from eventguard.alerts.journal import metrics as journal_metrics
from eventguard.alerts.journal.process import lag
from eventguard.deps import get_database

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Process metrics: intake accepted/refused and the journal's lag, deliveries, failures,
    retries, time to notify, SLA breaches, escalations."""
    import eventguard.notify.metrics  # noqa: F401  (registers the notification metrics)

    with get_database(request).session() as db:
        now = lag(db=db, clock=request.app.state.clock)
    journal_metrics.DEPTH.set(now.depth)
    journal_metrics.PENDING_ALERTS.set(now.pending_alerts)
    journal_metrics.OLDEST_AGE.set(round(now.oldest_age, 3))
    journal_metrics.PARKED_ROWS.set(now.parked)

    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
