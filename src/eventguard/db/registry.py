"""Imports every domain's models so the metadata (and Alembic) sees all tables."""

from __future__ import annotations

import importlib

from eventguard.db.base import Base

DOMAINS_WITH_MODELS = (
    "events",
    "plans",
    "auth",
    "audit",
    "outbox",
    "incidents",
    "alerts",
    "alerts.journal",
    "notify",
    "comms",
    "oncall",
)

for _domain in DOMAINS_WITH_MODELS:
    importlib.import_module(f"eventguard.{_domain}.models")

metadata = Base.metadata
