"""From a queued delivery to the channel's target: plan channels keep their secrets in environment
variables, read only at send time, so neither the plan nor the database holds them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from eventguard.logs import register_secret
from eventguard.notify.channels import facts_for
from eventguard.notify.channels.base import ChannelTarget, TransportError
from eventguard.notify.models import Delivery


def _env(name: str | None, environ: Mapping[str, str]) -> str | None:
    if not name:
        return None
    value = environ.get(name)
    if not value:
        raise TransportError(f"environment variable {name} is not set", permanent=True)
    return value


def resolve_target(delivery: Delivery, environ: Mapping[str, str] | None = None) -> ChannelTarget:
    """The address with its key put back, and the signing secret, for ``delivery``'s channel kind."""
    env = os.environ if environ is None else environ
    options: dict[str, Any] = dict(delivery.options or {})
    key = _env(delivery.secret_env, env)
    signing = _env(options.pop("signing_secret_env", None), env)
    for secret in (key, signing, delivery.secret):
        register_secret(secret)  # masked in every log line (the HTTP client logs each URL it posts to)
    kind = delivery.channel_kind
    address = facts_for(kind).key_join.join(delivery.address, key, options)  # the channel's own rule
    return ChannelTarget(kind=kind, address=address, secret=signing or delivery.secret, options=options)
