"""``/metrics`` in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    """Process metrics: deliveries, failures, retries, time to notify, SLA breaches, escalations."""
    import eventguard.notify.metrics  # noqa: F401  (registers the notification metrics)

    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
