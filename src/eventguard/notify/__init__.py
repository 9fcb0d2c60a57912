"""Notification delivery: the 5-minute rule, channels, failover, escalation and on-call."""
