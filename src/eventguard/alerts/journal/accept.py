"""Accepting an intake request: authenticate the integration, check the body is a well-formed
payload of its format, append it to the journal, answer. Nothing here writes alerts or incidents:
the processor (process.py) does, in large batches.

What "accepted" promises: the request is on disk (committed) before its 2xx, and it will be
processed exactly once, in journal order with the other requests of its event."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from eventguard.alerts import integrations
from eventguard.alerts.formats.base import ParsedBatch, plain_json
from eventguard.alerts.journal.append import Append, JournalWriter
from eventguard.alerts.models import Integration
from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.errors import EventGuardError, Forbidden, InvalidInput, NotFound, Unauthorized
from eventguard.i18n import Message
from eventguard.plans.models import PlanVersion
from eventguard.plugins import CheckedFormat, alert_formats

TOKEN_TTL = 1.0  # seconds a token lookup is trusted: a revocation is visible within a second
PREFIX_LENGTH = 8

Headers = Mapping[str, str]


@dataclass(frozen=True)
class KnownIntegration:
    id: int
    event_id: int
    kind: str
    hmac_secret: str | None
    event_ready: bool  # the event has a plan, so its alerts can be classified


@dataclass(frozen=True)
class Prepared:
    """A request that passed every check: its row, ready to be appended."""

    append: Append
    integration: KnownIntegration
    batch: ParsedBatch


@dataclass(frozen=True)
class Accepted:
    journal_id: int
    integration: KnownIntegration
    batch: ParsedBatch


def _unauthorized() -> Unauthorized:
    return Unauthorized(Message("A valid integration token is required."), code="invalid_integration_token")


class IntegrationCache:
    """Token -> integration, looked up in the database at most once a second per token."""

    def __init__(
        self, database: Database, ttl: float = TOKEN_TTL, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._database = database
        self._ttl = ttl
        self._monotonic = monotonic
        self._known: dict[str, tuple[float, KnownIntegration | None]] = {}
        self._lock = threading.Lock()

    def get(self, token: str | None) -> KnownIntegration:
        if not integrations.token_shaped(token):  # refused without a lookup (a NUL, non-ASCII …)
            raise _unauthorized()
        digest = hashlib.sha256(token.encode("ascii")).hexdigest()
        now = self._monotonic()
        found = self._known.get(digest)
        if found is None or now - found[0] > self._ttl:
            found = (now, self._load(token[:PREFIX_LENGTH], digest))
            with self._lock:
                if len(self._known) > 10_000:  # unknown tokens must not grow it without bound
                    self._known.clear()
                self._known[digest] = found
        if found[1] is None:
            raise _unauthorized()
        return found[1]

    def _load(self, prefix: str, digest: str) -> KnownIntegration | None:
        with self._database.session() as db:
            for row in db.scalars(select(Integration).where(Integration.token_prefix == prefix)):
                if hmac.compare_digest(row.token_hash, digest) and row.revoked_at is None:
                    planned = db.scalar(
                        select(PlanVersion.id).where(PlanVersion.event_id == row.event_id).limit(1)
                    )
                    return KnownIntegration(
                        row.id, row.event_id, row.kind, row.hmac_secret, planned is not None
                    )
        return None


def bearer_token(headers: Headers) -> str | None:
    """The token of ``Authorization: Bearer …`` or the password of basic auth (Grafana and
    Alertmanager can send basic auth)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


class MalformedBody(InvalidInput):
    """Intake's one rule: a body that is not a well-formed payload of its format — not JSON,
    nested too deep, or JSON of the wrong shape (``PayloadInvalid``) — is a 400."""

    status_code = 400


def decode_json(body: bytes) -> Any:
    """orjson, which also refuses nesting deeper than 1,024 (answered 400, never a 500)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(
            Message("The body is not valid JSON: {error}", {"error": str(exc)}), code="invalid_json"
        ) from exc


class Accepter:
    """The accept half of intake, shared by the ASGI route and ``eventguard serve``'s protocol."""

    def __init__(self, database: Database, clock: Clock, on_commit: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.integrations = IntegrationCache(database)
        self.writer = JournalWriter(database, on_commit)
        self._formats: dict[str, CheckedFormat] | None = None

    def format(self, kind: str) -> CheckedFormat:
        if self._formats is None:
            self._formats = alert_formats()
        found = self._formats.get(kind)
        if found is None:
            raise NotFound(Message("No alert format {kind}.", {"kind": kind}), code="unknown_format")
        return found

    def check(
        self, kind: str, body: bytes, headers: Headers, received: datetime | None = None
    ) -> tuple[KnownIntegration, ParsedBatch, bytes]:
        """Everything but the append: the integration, the parsed batch and the bytes to journal.
        Raises the request's own error (401, 403, 400 …)."""
        fmt = self.format(kind)
        if received is None:
            received = self.clock.now()
        token_of: Callable[[Any, Headers], str | None] | None = fmt.hooks["request_token"]
        payload: Any = None
        if token_of is not None:  # the token is in the body (PagerDuty's routing_key)
            payload = decode_json(body)
            token = token_of(payload, headers)
        else:
            token = bearer_token(headers)
        integration = self.integrations.get(token)
        if integration.kind != kind:
            raise Forbidden(
                Message("This token belongs to a {kind} integration.", {"kind": integration.kind}),
                code="wrong_integration_kind",
                details={"integration_kind": integration.kind, "endpoint": kind},
            )
        verify: Callable[..., None] | None = fmt.hooks["check_request"]
        if verify is not None:
            verify(secret=integration.hmac_secret, body=body, headers=headers, received_at=received)
        if not integration.event_ready:
            raise InvalidInput(
                Message("The event has no plan yet: apply one before sending alerts."), code="no_plan"
            )
        if payload is None:
            payload = decode_json(body)
        batch = fmt.parse(payload, received_at=received, plain=plain_json(body))
        pin: Callable[[Any, ParsedBatch], Any] | None = fmt.hooks["journal_payload"]
        pinned = pin(payload, batch) if pin is not None else None
        return integration, batch, body if pinned is None else orjson.dumps(pinned)

    def prepare(self, kind: str, body: bytes, headers: Headers) -> Prepared:
        """``check``, and the journal row of the request."""
        received = self.clock.now()
        integration, batch, stored = self.check(kind, body, headers, received)
        append = Append(
            event_id=integration.event_id,
            integration_id=integration.id,
            kind=kind,
            received_at=received,
            body=stored,
            alert_count=len(batch.alerts),
        )
        return Prepared(append, integration, batch)

    async def accept(self, kind: str, body: bytes, headers: Headers) -> Accepted:
        prepared = self.prepare(kind, body, headers)
        return Accepted(await self.writer.append(prepared.append), prepared.integration, prepared.batch)

    def answer(self, kind: str, accepted: Accepted) -> tuple[int, dict[str, Any]]:
        """The format's own 2xx answer (PagerDuty's 202 with the ``dedup_key``), or ours."""
        shaped: Callable[[ParsedBatch, int], tuple[int, dict[str, Any]]] | None = self.format(kind).hooks[
            "accepted_answer"
        ]
        if shaped is not None:
            return shaped(accepted.batch, accepted.journal_id)
        return 200, {
            "status": "accepted",
            "alerts": len(accepted.batch.alerts),
            "journal_id": accepted.journal_id,
        }

    def refusal(self, kind: str, exc: EventGuardError) -> tuple[int, dict[str, Any]] | None:
        """The format's own error answer (PagerDuty's shapes), or None for the error envelope."""
        try:
            fmt = self.format(kind)
        except NotFound:
            return None
        shaped: Callable[[EventGuardError], tuple[int, dict[str, Any]]] | None = fmt.hooks["refused_answer"]
        return shaped(exc) if shaped is not None else None
