"""Every router of every domain (listed in ``eventguard.domains``), so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    """The core's routers, then every domain's in the order of ``eventguard.domains.DOMAINS``."""
    import importlib
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from eventguard import apidocs, health, metrics_api, openapi
    from eventguard.comms.statuspage.fastpath import StatusPageFastPath
    from eventguard.domains import router_refs
    from eventguard.web import pages

    app.include_router(apidocs.router)
    app.include_router(health.router)
    app.include_router(metrics_api.router)
    for module_name, attribute in router_refs():
        app.include_router(getattr(importlib.import_module(module_name), attribute))
    openapi.install(app)
    app.add_middleware(StatusPageFastPath)  # outermost: fresh status pages answered from memory
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"), name="static")
