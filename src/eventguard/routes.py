"""Every router of every domain, in one place so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from eventguard import health, metrics_api
    from eventguard.alerts import api as alerts_api
    from eventguard.audit import api as audit_api
    from eventguard.auth import api as auth_api
    from eventguard.events import api as events_api
    from eventguard.incidents import api as incidents_api
    from eventguard.plans import api as plans_api
    from eventguard.web import ack, pages, two_factor

    app.include_router(health.router)
    app.include_router(metrics_api.router)
    app.include_router(auth_api.router)
    app.include_router(audit_api.router)
    app.include_router(events_api.router)
    app.include_router(incidents_api.router)
    app.include_router(alerts_api.router)
    app.include_router(plans_api.router)
    app.include_router(pages.router)
    app.include_router(two_factor.router)
    app.include_router(ack.router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"), name="static")
