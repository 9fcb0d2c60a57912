"""One small module per sender format; each registers itself through the
``eventguard_alert_formats`` hook (see ``eventguard.plugins``), like a third-party plugin would."""
