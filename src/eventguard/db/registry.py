"""Imports every domain's models (listed in ``eventguard.domains``) so the metadata (and Alembic)
sees all tables."""

from __future__ import annotations

import importlib

from eventguard.db.base import Base
from eventguard.domains import model_modules

for _module in model_modules():
    importlib.import_module(_module)

metadata = Base.metadata
