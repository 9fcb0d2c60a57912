"""Every router of every domain, in one place so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from eventguard import health

    app.include_router(health.router)
