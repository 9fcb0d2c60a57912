"""Alert intake: monitoring payloads in, ``AlertIn`` records out.

The formats are found through the plugin manager: ``eventguard.plugins.alert_formats()``.
"""

from eventguard.alerts.fingerprint import fingerprint_labels
from eventguard.alerts.formats.base import AlertFormat, AlertIn, ParsedBatch, PayloadInvalid

__all__ = ["AlertFormat", "AlertIn", "ParsedBatch", "PayloadInvalid", "fingerprint_labels"]
