"""Audit log: an append-only record of every change (who, what, when, before/after)."""
