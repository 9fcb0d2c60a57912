"""/metrics speaks the Prometheus text format and carries the notification metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_metrics_are_served_in_the_prometheus_text_format(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in (
        "eventguard_deliveries_total",
        "eventguard_delivery_retries_total",
        "eventguard_time_to_notify_seconds",
        "eventguard_notification_sla_breaches_total",
        "eventguard_escalations_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in response.text, name
