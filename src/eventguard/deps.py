"""FastAPI dependencies shared by every domain's router."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.i18n import from_accept_language, normalize_language
from eventguard.logs import get_logger

log = get_logger("eventguard.http")


LANGUAGE_COOKIE = "eg_lang"


def request_language(request: Request) -> str:
    """``?lang=``, then the console's remembered choice, then ``Accept-Language``, then the default."""
    explicit = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if explicit:
        return normalize_language(explicit)
    settings: Settings = request.app.state.settings
    return from_accept_language(request.headers.get("accept-language")) or settings.default_language


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """A session per request (a write session for anything but GET/HEAD/OPTIONS).

    Routes commit explicitly, before answering; whatever is left uncommitted is rolled back. Work
    registered with ``after_request`` runs once the session is closed and (unless the route failed)
    the answer sent."""
    try:
        with get_database(request).session(write=request.method not in READ_METHODS) as session:
            yield session
    finally:
        _run_after_request(request)


_AFTER_REQUEST = "eventguard_after_request"


def after_request(request: Request, work: Callable[[], None]) -> None:
    """Run ``work`` after the request's session (``DbSession``) is closed, once per request: for
    bookkeeping that must not write in the request's own, perhaps read-only, transaction. Its
    failure is logged, never answered."""
    pending: list[Callable[[], None]] = request.scope.setdefault(_AFTER_REQUEST, [])
    if work not in pending:
        pending.append(work)


def _run_after_request(request: Request) -> None:
    for work in request.scope.pop(_AFTER_REQUEST, ()):
        try:
            work()
        except Exception as exc:
            log.warning(
                "after_request_failed", work=getattr(work, "__qualname__", repr(work)), error=repr(exc)
            )


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
