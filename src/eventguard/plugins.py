"""Extension points (pluggy, project name ``eventguard``).

A plugin is a module or object with ``@hookimpl`` functions named like the specifications below. A
third party ships one as a package with an entry point in the ``eventguard`` group::

    [project.entry-points.eventguard]
    my_sender = "my_package.eventguard_plugin"

The built-in alert formats are registered through the very same hooks, before the entry points are
loaded, so they are never special-cased.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from eventguard.alerts.formats.base import AlertFormat

PROJECT = "eventguard"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

BUILTIN_PLUGINS = (
    "eventguard.alerts.formats.alertmanager",
    "eventguard.alerts.formats.grafana",
    "eventguard.alerts.formats.pagerduty",
    "eventguard.alerts.formats.generic",
)


class EventGuardSpecs:
    """The hook specifications; every implementation returns a list, results are concatenated."""

    @hookspec
    def eventguard_alert_formats(self) -> list[AlertFormat]:  # type: ignore[empty-body]
        """Alert formats this plugin adds. Each has a unique ``name`` and a
        ``parse(payload, *, received_at) -> ParsedBatch`` raising ``PayloadInvalid``."""

    @hookspec
    def eventguard_channels(self) -> list[type[Any]]:  # type: ignore[empty-body]
        """Notification channel classes this plugin adds. No built-in channel uses this hook yet;
        the notification module will define the channel interface."""


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager: built-in plugins first, then installed entry points.

    Cached; tests that install a plugin call ``get_plugin_manager.cache_clear()`` around it.
    """
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(EventGuardSpecs)
    for module_name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def alert_formats() -> dict[str, AlertFormat]:
    """Every registered alert format by name; two formats with one name is a setup error."""
    formats: dict[str, AlertFormat] = {}
    for provided in get_plugin_manager().hook.eventguard_alert_formats():
        for alert_format in provided:
            if alert_format.name in formats:
                raise RuntimeError(
                    f"two installed plugins provide an alert format named {alert_format.name!r}"
                )
            formats[alert_format.name] = alert_format
    return formats
