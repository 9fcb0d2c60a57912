"""FastAPI dependencies shared by every domain's router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.db import Database


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """A session per request (a write session for anything but GET/HEAD/OPTIONS).

    Routes commit explicitly, before answering; whatever is left uncommitted is rolled back."""
    with get_database(request).session(write=request.method not in READ_METHODS) as session:
        yield session


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
