"""The alert format ``probe``: what the probes journal (generic-shaped); an integration of kind
``probe`` authenticates heartbeats and pushed values (and may post probe-shaped alerts itself)."""

from __future__ import annotations

from eventguard.alerts.formats.base import AlertFormat
from eventguard.alerts.journal.internal import formats
from eventguard.plugins import hookimpl

KIND = "probe"


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the probes' own alert source."""
    return formats((KIND, "EventGuard probe"))
