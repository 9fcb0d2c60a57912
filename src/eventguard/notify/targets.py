"""From a queued delivery to the channel's target: plan channels keep their secrets in environment
variables, read only at send time, so neither the plan nor the database holds them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from eventguard.logs import register_secret
from eventguard.notify.channels.base import ChannelTarget, TransportError
from eventguard.notify.models import Delivery


def _env(name: str | None, environ: Mapping[str, str]) -> str | None:
    if not name:
        return None
    value = environ.get(name)
    if not value:
        raise TransportError(f"environment variable {name} is not set", permanent=True)
    return value


def _join(base: str, separator: str, part: str | None) -> str:
    if part is None:
        return base
    return f"{base}{separator}{part}" if separator != "/" else f"{base.rstrip('/')}/{part}"


def resolve_target(delivery: Delivery, environ: Mapping[str, str] | None = None) -> ChannelTarget:
    """The address with its key put back, and the signing secret, for ``delivery``'s channel kind."""
    env = os.environ if environ is None else environ
    options: dict[str, Any] = dict(delivery.options or {})
    key = _env(delivery.secret_env, env)
    signing = _env(options.pop("signing_secret_env", None), env)
    for secret in (key, signing, delivery.secret):
        register_secret(secret)  # masked in every log line (the HTTP client logs each URL it posts to)
    kind, base = delivery.channel_kind, delivery.address
    query_sep = "&" if "?" in base else "?"
    if kind == "wecom":
        address = _join(base, f"{query_sep}key=", key)
    elif kind == "dingtalk":
        address = _join(base, f"{query_sep}access_token=", key)
    elif kind in ("feishu", "slack"):
        address = _join(base, "/", key)
    else:  # email, webhook and plugin channels: the key, if any, is a bearer token for the gateway
        address = base
        if key:
            options["bearer_token"] = key
    return ChannelTarget(kind=kind, address=address, secret=signing or delivery.secret, options=options)
