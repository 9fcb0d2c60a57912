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

from eventguard.domains import plugin_modules

if TYPE_CHECKING:
    from datetime import datetime

    from eventguard.alerts.formats.base import AlertFormat, ParsedBatch
    from eventguard.notify.channels.base import Channel

PROJECT = "eventguard"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

BUILTIN_PLUGINS = tuple(plugin_modules())  # listed with their domains in eventguard.domains


class EventGuardSpecs:
    """The hook specifications; every implementation returns a list, results are concatenated."""

    @hookspec
    def eventguard_alert_formats(self) -> list[AlertFormat]:  # type: ignore[empty-body]
        """Alert formats this plugin adds. Each has a unique ``name`` and a
        ``parse(payload, *, received_at) -> ParsedBatch`` raising ``PayloadInvalid``."""

    @hookspec
    def eventguard_channels(self) -> list[type[Any]]:  # type: ignore[empty-body]
        """Notification channel classes this plugin adds. Each has a unique ``kind`` class attribute,
        is constructed as ``cls(context: ChannelContext)`` and has ``send(notification, target) ->
        DeliveryReceipt`` raising ``TransportError`` (see ``eventguard.notify.channels.base``); its
        optional class attributes ``rate_limit``, ``key_join``, ``im_handle``, ``pages_by_phone``
        and ``config_schema`` declare its vendor facts (``base.ChannelFacts``, docs/plugins.md)."""


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


def alert_formats() -> dict[str, CheckedFormat]:
    """Every registered alert format by name; two formats with one name is a setup error. Each is
    wrapped so that its ``parse`` sees only a payload ``checked_payload`` let through (bounded depth,
    no control characters), whoever wrote the format."""
    formats: dict[str, CheckedFormat] = {}
    for provided in get_plugin_manager().hook.eventguard_alert_formats():
        for alert_format in provided:
            if alert_format.name in formats:
                raise RuntimeError(
                    f"two installed plugins provide an alert format named {alert_format.name!r}"
                )
            formats[alert_format.name] = CheckedFormat(alert_format)
    return formats


class CheckedFormat:
    """An alert format behind ``checked_payload``; every other attribute is the format's own."""

    # The optional hooks a format may define (alerts/formats/base.py), looked up once: on the accept
    # path every missing one was a failed attribute lookup per request.
    HOOKS = ("request_token", "check_request", "journal_payload", "accepted_answer", "refused_answer")

    def __init__(self, inner: AlertFormat) -> None:
        self.inner = inner
        self.name = inner.name
        self.sender: str = getattr(inner, "sender", None) or inner.name
        self.hooks: dict[str, Any] = {name: getattr(inner, name, None) for name in self.HOOKS}

    def parse(self, payload: Any, *, received_at: datetime, plain: bool = False) -> ParsedBatch:
        """``plain``: the caller knows ``checked_payload`` would let ``payload`` through unchanged
        (``formats.base.plain_json`` of the bytes it was decoded from)."""
        from eventguard.alerts.formats.base import checked_payload

        checked = payload if plain else checked_payload(payload, self.sender)
        return self.inner.parse(checked, received_at=received_at)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def channel_classes() -> dict[str, type[Channel]]:
    """Every registered notification channel class by kind; two classes with one kind is a setup
    error."""
    classes: dict[str, type[Channel]] = {}
    for provided in get_plugin_manager().hook.eventguard_channels():
        for channel_class in provided:
            if channel_class.kind in classes:
                raise RuntimeError(f"two installed plugins provide a channel of kind {channel_class.kind!r}")
            classes[channel_class.kind] = channel_class
    return classes
