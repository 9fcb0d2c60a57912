"""Every router of every domain, in one place so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from eventguard import apidocs, health, metrics_api, openapi
    from eventguard.alerts import api as alerts_api
    from eventguard.alerts import intake_api
    from eventguard.audit import api as audit_api
    from eventguard.auth import api as auth_api
    from eventguard.comms import api as comms_api
    from eventguard.comms import page_api as comms_page_api
    from eventguard.comms import public_api as status_page_api
    from eventguard.comms.fastpath import StatusPageFastPath
    from eventguard.events import api as events_api
    from eventguard.incidents import api as incidents_api
    from eventguard.notify import api as notify_api
    from eventguard.oncall import api as oncall_api
    from eventguard.plans import api as plans_api
    from eventguard.web import ack, pages, two_factor
    from eventguard.web import admin_accounts as web_admin_accounts
    from eventguard.web import admin_event as web_admin_event
    from eventguard.web import dashboard as web_dashboard
    from eventguard.web import incident_room as web_incident_room
    from eventguard.web import live as web_live
    from eventguard.web import plan_viewer as web_plan_viewer
    from eventguard.web import room_actions as web_room_actions

    app.include_router(apidocs.router)
    app.include_router(health.router)
    app.include_router(metrics_api.router)
    app.include_router(auth_api.router)
    app.include_router(audit_api.router)
    app.include_router(events_api.router)
    app.include_router(incidents_api.router)
    app.include_router(notify_api.router)
    app.include_router(intake_api.router)
    app.include_router(intake_api.ops)
    app.include_router(alerts_api.router)
    app.include_router(plans_api.router)
    app.include_router(oncall_api.router)
    app.include_router(pages.router)
    app.include_router(two_factor.router)
    app.include_router(ack.router)
    app.include_router(web_dashboard.router)
    app.include_router(web_incident_room.router)
    app.include_router(web_live.router)
    app.include_router(web_admin_accounts.router)
    app.include_router(web_admin_event.router)
    app.include_router(web_plan_viewer.router)
    app.include_router(web_room_actions.router)
    app.include_router(comms_api.router)
    app.include_router(comms_page_api.router)
    app.include_router(status_page_api.router)
    openapi.install(app)
    app.add_middleware(StatusPageFastPath)  # outermost: fresh status pages answered from memory
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"), name="static")
