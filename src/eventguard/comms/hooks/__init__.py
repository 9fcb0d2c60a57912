"""Outgoing announcements: the announcement webhooks and the fanout of a published update."""
