"""The one list of domains: what each domain package contributes to the app.

The routes, the command line, the model registry, the worker's handlers and the plugin manager all
read :data:`DOMAINS`; adding a domain (say ``risks/``) is one ``Domain(...)`` line here. Module names
are relative to the domain's package; nothing is imported here, so any part of the app may read it.

The order of :data:`DOMAINS` is the order in which routers are included (it matters where paths
overlap: ``alerts.intake_api`` before ``alerts.api``), models imported, commands registered,
handlers called and plugins registered. ``tests/test_domains.py`` checks that every module named
here exists, that every package under ``eventguard/`` is either listed here or in :data:`CORE`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Packages of the core that contribute no part here (the top-level modules of ``eventguard`` are core too).
CORE = ("cli", "db", "i18n")


@dataclass(frozen=True)
class Domain:
    """One package ``eventguard.<name>`` and the parts it contributes (module names relative to it)."""

    name: str
    routers: tuple[str, ...] = ()
    """``module`` (its ``router``) or ``module:attribute`` of each APIRouter, in inclusion order."""
    models: tuple[str, ...] = ()
    """Modules defining SQLAlchemy models, imported so the metadata (and Alembic) sees their tables."""
    cli: str | None = None
    """A module with ``register(app: typer.Typer)`` adding the domain's commands."""
    handlers: str | None = None
    """A module with ``HANDLERS: dict[str, Handler]`` for the worker (topic -> function)."""
    plugins: tuple[str, ...] = ()
    """Built-in plugin modules (``@hookimpl`` functions) registered before installed entry points."""
    hooks: tuple[tuple[str, str], ...] = ()
    """(hook, ``module:function``): what this domain does when a lower domain calls the hook (see
    :func:`hook_functions`): a lower domain never imports a higher one, it calls what is declared."""
    core: bool = False
    """Part of the core (no domain imports it as a domain, every domain may import it)."""

    @property
    def package(self) -> str:
        return f"eventguard.{self.name}"

    def module(self, relative: str) -> str:
        return f"{self.package}.{relative}"


DOMAINS: tuple[Domain, ...] = (
    Domain("auth", routers=("api",), models=("models",), cli="cli"),
    Domain("audit", routers=("api",), models=("models",)),
    Domain("events", routers=("api",), models=("models",)),
    Domain("outbox", models=("models",), core=True),
    Domain("incidents", routers=("api",), models=("models",), cli="cli"),
    Domain(
        "notify",
        routers=("api",),
        models=("models",),
        handlers="planner",
        plugins=(
            "channels.wecom",
            "channels.dingtalk",
            "channels.feishu",
            "channels.slack",
            "channels.email",
            "channels.webhook",
            "channels.teams",
            "channels.aliyun_sms",
            "channels.tencent_sms",
            "channels.twilio",
        ),
    ),
    Domain(
        "alerts",
        routers=("intake_api:router", "intake_api:ops", "api:router"),
        models=("models", "journal.models"),
        cli="cli",
        hooks=(("incident_merged", "service:follow_merge"),),
        plugins=(
            "formats.alertmanager",
            "formats.grafana",
            "formats.pagerduty",
            "formats.generic",
        ),
    ),
    Domain(
        "plans",
        routers=("api",),
        models=("models",),
        cli="cli",
        hooks=(("two_factor_roles", "service:two_factor_roles"),),
    ),
    Domain("oncall", routers=("api",), models=("models",), cli="cli"),
    Domain(
        "probes",
        routers=("api",),
        models=("models",),
        cli="cli",
        plugins=("format",),
        hooks=(("readiness_checks", "service:readiness_checks"),),
    ),
    Domain("watch", routers=("api",), models=("models",), plugins=("format",)),
    Domain(
        "noise",
        routers=("api",),
        models=("models",),
        cli="cli",
        handlers="reminders",
        hooks=(("worker_pass", "jobs:worker_pass"),),
    ),
    Domain("worker", cli="cli"),
    Domain(
        "web",
        routers=(
            "pages",
            "two_factor",
            "ack",
            "dashboard",
            "incident_room",
            "live",
            "admin_accounts",
            "admin_event",
            "plan_viewer",
            "room_actions",
            "risk_pages",
            "survey_pages",
            "readiness_page",
            "probe_pages",
            "noise_pages",
            "room_comms",
            "analytics_pages",
            "kit_pages",
            "compliance_pages",
            "drill_pages",
            "review_pages",
            "war_rooms",
        ),
    ),
    Domain(
        "comms",
        routers=("updates.api", "statuspage.admin_api", "statuspage.public_api"),
        models=("models",),
        cli="cli",
        handlers="reactions",
        hooks=(
            ("public_changed", "statuspage.state:public_changed"),
            ("maintenance_post", "updates.window_posts:post"),
        ),
    ),
    Domain(
        "risks",
        routers=("api",),
        models=("models",),
        cli="cli",
        hooks=(("plan_applied", "service:sync_from_plan"),),
    ),
    Domain("surveys", routers=("api",), models=("models",), cli="cli"),
    Domain(
        "readiness",
        routers=("api",),
        models=("models",),
        cli="cli",
        hooks=(
            ("plan_applied", "gate:check_go_live"),
            ("backup_last_switched", "checks:backup_last_switched_in_comms"),
        ),
    ),
    Domain(
        "drills",
        routers=("api",),
        models=("models",),
        cli="cli",
        plugins=("intake",),
        hooks=(
            ("scenario_last_drilled", "service:scenario_last_drilled"),
            ("worker_pass", "worker:inject_due"),
            ("readiness_checks", "service:readiness_checks"),
        ),
    ),
    Domain(
        "reviews",
        routers=("api",),
        models=("models",),
        handlers="handlers",
        hooks=(("worker_pass", "reminders:remind_due"),),
    ),
    Domain("analytics", routers=("api",), cli="cli"),
    Domain("reports", routers=("api",), cli="cli"),
    Domain("kit", routers=("api",), cli="cli", hooks=(("worker_pass", "publisher:keep_current"),)),
    Domain(
        "compliance",
        routers=("api",),
        models=("models",),
        cli="cli",
        hooks=(("worker_pass", "worker:fire_due"),),
    ),
    Domain(
        "chat",
        routers=("api",),
        models=("models",),
        cli="cli",
        handlers="handlers",
        hooks=(("worker_pass", "worker:run"),),
    ),
)


HOOKS = {
    "incident_merged": "(db, *, source, target) -> None: rows attached to source follow it to target",
    "two_factor_roles": "(*, db) -> set[str]: roles that must use two-factor authentication",
    "plan_applied": "(db, *, event_id, before, after, actor, clock) -> None: a new plan version was "
    "stored (before: the PlanSpec it replaces or None); raising refuses the whole apply",
    "readiness_checks": "(db, *, event_id, now) -> list[dict]: readiness items a domain contributes "
    "(key, group, title, ok, detail, fix_path, waivable)",
    "scenario_last_drilled": "(db, *, event_id, scenario_id) -> datetime | None: when it was last drilled",
    "backup_last_switched": "(db, *, event_id, backup_id) -> datetime | None: when a backup plan was "
    "last switched over in a drill or a test",
    "worker_pass": "(*, database, context) -> None: a domain's periodic job, run once per worker pass",
    "public_changed": "(*, db, event_id, clock) -> None: what the status page shows changed (its version)",
    "maintenance_post": "(db, *, event_id, step, maintenance_id, title, body, components, starts_at, "
    "ends_at, notify, clock) -> int | None: a maintenance window's occurrence on the status page (step: "
    "scheduled, in_progress, completed, cancelled); returns the scheduled maintenance's id",
}


def hook_refs(hook: str) -> list[tuple[str, str]]:
    """(module, function) of every domain's implementation of ``hook``, in the order of DOMAINS."""
    if hook not in HOOKS:
        raise KeyError(hook)
    refs = []
    for domain in DOMAINS:
        for name, target in domain.hooks:
            if name == hook:
                module, _, function = target.partition(":")
                refs.append((domain.module(module), function))
    return refs


def hook_functions(hook: str) -> list[Callable[..., Any]]:
    """Every domain's implementation of ``hook`` (imported on first use)."""
    return [getattr(importlib.import_module(module), function) for module, function in hook_refs(hook)]


def router_refs() -> list[tuple[str, str]]:
    """(module, attribute) of every domain router, in inclusion order."""
    refs = []
    for domain in DOMAINS:
        for router in domain.routers:
            module, _, attribute = router.partition(":")
            refs.append((domain.module(module), attribute or "router"))
    return refs


def model_modules() -> list[str]:
    return [domain.module(models) for domain in DOMAINS for models in domain.models]


def cli_modules() -> list[str]:
    return [domain.module(domain.cli) for domain in DOMAINS if domain.cli]


def handler_modules() -> list[str]:
    return [domain.module(domain.handlers) for domain in DOMAINS if domain.handlers]


def plugin_modules() -> list[str]:
    """Built-in plugins: alert formats first, then channels (as they were always registered)."""
    ordered = sorted(DOMAINS, key=lambda domain: domain.name != "alerts")
    return [domain.module(plugin) for domain in ordered for plugin in domain.plugins]
