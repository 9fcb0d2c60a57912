"""An EventGuard plugin: the ``stage-monitor`` alert format and the ``pager`` channel.

``stage-monitor`` reads what a stage monitor posts to ``POST /api/v1/integrations/stage-monitor``::

    {"check": "main-stage-audio", "state": "down", "stage": "hall-a", "detail": "no signal for 30 s"}

``pager`` posts each notification to a pager gateway (the plan channel's ``target``) as
``{"priority", "title", "text", "to"}`` with the plan's ``secret_env`` as a bearer token; the plan
channel's ``config`` sets ``priority`` (``normal`` or ``high``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from eventguard.alerts.fingerprint import fingerprint_labels
from eventguard.alerts.formats.base import AlertFormat, AlertIn, ParsedBatch, PayloadInvalid, Problem
from eventguard.i18n import Message
from eventguard.notify.channels.base import (
    BEARER,
    ChannelConfig,
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
)
from eventguard.plugins import hookimpl

SENDER = "stage monitor"
STATES = {"down": "firing", "up": "resolved"}


class StageMonitorFormat:
    """One check's state: ``down`` fires an alert, ``up`` resolves it."""

    name = "stage-monitor"  # the integration kind and the route /api/v1/integrations/stage-monitor
    sender = SENDER  # how error messages name the sender

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        """Read one body; every problem is reported at once, each with its place in the body."""
        problems: list[Problem] = []
        if not isinstance(payload, dict):
            raise PayloadInvalid(SENDER, [Problem((), Message("Must be a JSON object."))])
        for key in ("check", "stage"):
            if not isinstance(payload.get(key), str) or not payload[key].strip():
                problems.append(Problem((key,), Message("Must be a non-empty text.")))
        if payload.get("state") not in STATES:
            problems.append(Problem(("state",), Message('Must be "down" or "up".')))
        if problems:
            raise PayloadInvalid(SENDER, problems)
        labels = {"alertname": payload["check"], "stage": payload["stage"], "severity": "critical"}
        status: Literal["firing", "resolved"] = "firing" if payload["state"] == "down" else "resolved"
        alert = AlertIn(
            fingerprint=fingerprint_labels(labels),
            status=status,
            labels=labels,
            annotations={"description": str(payload.get("detail") or "")},
            summary=f"{payload['check']} is {payload['state']} on {payload['stage']}",
            severity="critical",
            source=self.name,
            starts_at=received_at,
            ends_at=received_at if status == "resolved" else None,
            generator_url=None,
            group_key=None,
            action="trigger" if status == "firing" else "resolve",
            raw=payload,
        )
        return ParsedBatch(alerts=[alert], raw=payload)

    def accepted_answer(self, batch: ParsedBatch, journal_id: int) -> tuple[int, dict[str, Any]]:
        """Optional intake hook: the answer in the monitor's own shape."""
        return 202, {"ok": True, "checks": len(batch.alerts), "journal_id": journal_id}


class PagerConfig(ChannelConfig):
    """What a plan channel of type ``pager`` may set under ``config``."""

    priority: Literal["normal", "high"] = "normal"


class PagerChannel:
    """Posts each notification to a pager gateway."""

    kind: ClassVar[str] = "pager"  # the plan channel's ``type``
    rate_limit: ClassVar[int] = 30  # messages a minute per gateway; bursts beyond are merged
    key_join: ClassVar[KeyJoin] = BEARER  # secret_env -> target.options["bearer_token"]
    im_handle: ClassVar[str | None] = None  # it cannot mention people in a group
    pages_by_phone: ClassVar[bool] = False
    config_schema: ClassVar[type[ChannelConfig]] = PagerConfig

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http  # timeouts, status codes and Retry-After handled once for all

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """One POST; the transport raises TransportError for what did not arrive."""
        options: Mapping[str, Any] = target.options
        headers = {"Authorization": f"Bearer {options['bearer_token']}"} if "bearer_token" in options else {}
        payload = {
            "priority": options.get("priority", "normal"),
            "title": notification.title,
            "text": notification.text,
            "to": list(notification.mentions),
            "id": notification.idempotency_key,
        }
        response = self._http.post_json(target.address, payload, headers=headers)
        return DeliveryReceipt(status_code=response.status_code, detail="paged")


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    return [StageMonitorFormat()]


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    return [PagerChannel]
