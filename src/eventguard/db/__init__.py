"""Storage: one declarative base, the engine set-up for SQLite and PostgreSQL, and migrations."""

from eventguard.db.base import Base, JSONType, UTCDateTime
from eventguard.db.engine import Database

__all__ = ["Base", "Database", "JSONType", "UTCDateTime"]
