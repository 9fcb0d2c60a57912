"""The alert format ``watch``: what the content watch journals (generic-shaped); an integration of
kind ``watch`` authenticates the message push."""

from __future__ import annotations

from eventguard.alerts.formats.base import AlertFormat
from eventguard.alerts.journal.internal import formats
from eventguard.plugins import hookimpl

KIND = "watch"


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the content watch's own alert source."""
    return formats((KIND, "EventGuard content watch"))
