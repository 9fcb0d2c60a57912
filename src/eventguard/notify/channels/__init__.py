"""Channels: one small module per vendor (WeCom, DingTalk, Feishu, Slack, email, webhook), each
registered through the ``eventguard_channels`` plugin hook exactly as a third party's would be.

A plugin adds a channel by returning its class from the hook::

    from eventguard.plugins import hookimpl

    class PagerChannel:
        kind = "pager"

        def __init__(self, context: ChannelContext) -> None: ...

        def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt: ...

    @hookimpl
    def eventguard_channels():
        return [PagerChannel]

The class is constructed with a :class:`~eventguard.notify.channels.base.ChannelContext` and raises
:class:`~eventguard.notify.channels.base.TransportError` (``permanent=True`` when retrying cannot
help). See ``base.py`` for the constructor protocol.

A channel is one module plus its registration: its vendor facts are class attributes
(``rate_limit``, ``key_join``, ``im_handle``, ``pages_by_phone``, ``config_schema``; see
:class:`~eventguard.notify.channels.base.ChannelFacts`), which targets, coalescing, recipients and
the plan validator read through :func:`channel_facts`/:func:`facts_for`. docs/plugins.md walks
through writing one.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.notify.channels.base import Channel, ChannelContext, ChannelFacts, TransportError, facts_of
from eventguard.plugins import channel_classes

__all__ = ["WorkerResources", "build_channel", "channel_facts", "channels", "facts_for"]


class WorkerResources(Protocol):
    """What a caller (the delivery worker's context) hands over to build channels with."""

    @property
    def clock(self) -> Clock: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def http(self) -> httpx.Client: ...


def channels() -> dict[str, type[Channel]]:
    """Every installed channel class by kind (built-in and plugins')."""
    return channel_classes()


def channel_facts() -> dict[str, ChannelFacts]:
    """The vendor facts (rate limit, key placement, IM handle, config schema) of every installed
    channel kind."""
    return {kind: facts_of(found) for kind, found in channels().items()}


def facts_for(kind: str) -> ChannelFacts:
    """The facts of channel ``kind``; the defaults (no limit, key as bearer token, no IM handle) for
    a kind no installed plugin provides."""
    found = channels().get(kind)
    return facts_of(found) if found is not None else ChannelFacts(kind=kind)


def build_channel(kind: str, resources: WorkerResources | ChannelContext) -> Channel:
    """A ready channel of ``kind``; an unknown kind is a permanent delivery error."""
    found = channels().get(kind)
    if found is None:
        raise TransportError(f"no installed channel of kind {kind!r}", permanent=True)
    if isinstance(resources, ChannelContext):
        return found(resources)
    context = ChannelContext.build(client=resources.http, settings=resources.settings, clock=resources.clock)
    return found(context)
