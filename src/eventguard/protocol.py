"""``eventguard serve``'s HTTP protocol: uvicorn's httptools protocol with two shortcuts below ASGI.

- the public status page's fresh documents (comms/statuspage/protocol.py);
- alert intake: a ``POST /api/v1/integrations/{kind}`` (or PagerDuty's ``…/pagerduty/v2/enqueue``)
  is read, accepted into the journal and answered from the parser's callbacks, without the ASGI
  request cycle, routing, middleware or a log line (counters in /metrics). Answers are those of the
  route (alerts/intake_api.py), which handles everything unusual: a pipelined request, an
  ``Expect: 100-continue``, a query string, an unknown format, a chunked body.

It subclasses uvicorn's protocol, whose internals are not a public API: the tests run the same
requests through this protocol and through plain uvicorn (tests/alerts/test_protocol.py), and uvicorn
is pinned in the lock file."""

from __future__ import annotations

import functools
import itertools
import re
import uuid
from typing import Any

import orjson

from eventguard.alerts.intake_api import MAX_BODY
from eventguard.alerts.journal import metrics
from eventguard.alerts.journal.accept import Accepted, Accepter
from eventguard.comms.statuspage.protocol import ANSWERED, StatusPageProtocol, _application
from eventguard.errors import EventGuardError, PayloadTooLarge, error_body
from eventguard.i18n import Message, from_accept_language, normalize_language, t
from eventguard.logs import get_logger
from eventguard.security import DEFAULT_POLICY, header_list, is_https

_INTAKE = re.compile(rb"^/api/v1/integrations/(?:([a-z][a-z0-9_-]{0,31})|pagerduty/v2/enqueue)$")
log = get_logger("eventguard.http")
# Request ids of the answers given here: unique (a random prefix per process, then a counter) without
# a system call for randomness per answer.
_REQUEST_PREFIX = uuid.uuid4().hex[:16]
_REQUEST_COUNTER = itertools.count(1)
_REASONS = {
    200: b"OK",
    202: b"Accepted",
    400: b"Bad Request",
    401: b"Unauthorized",
    403: b"Forbidden",
    404: b"Not Found",
    413: b"Content Too Large",
    422: b"Unprocessable Content",
    500: b"Internal Server Error",
}


class _InFlight:
    """uvicorn's view of a request answered here while its accept is being committed: not complete
    (so uvicorn queues whatever comes next), and told when the client goes away."""

    response_complete = False
    disconnected = False
    keep_alive = True

    class message_event:
        @staticmethod
        def set() -> None:
            return None


class EventGuardProtocol(StatusPageProtocol):
    _intake: tuple[str, bytearray] | None = None
    _intake_bound: tuple[Accepter, bytes, str] | None = None

    def on_headers_complete(self) -> None:
        if self.parser.get_method() == b"POST" and self.url.startswith(b"/api/v1/integrations/"):
            kind = self._intake_kind()
            if kind is not None:
                self._intake = (kind, bytearray())
                self.cycle = _InFlight()  # type: ignore[assignment]
                return
        super().on_headers_complete()

    def _intake_kind(self) -> str | None:
        if self.pipeline or not self._idle() or self.parser.should_upgrade() or self.expect_100_continue:
            return None
        found = _INTAKE.match(self.url)
        if found is None:
            return None
        bound = self._bind_intake()
        if bound is None:
            return None
        kind = found.group(1).decode("ascii") if found.group(1) else "pagerduty"
        try:
            bound[0].format(kind)
        except EventGuardError:
            return None  # unknown format: the route answers 404 in the envelope
        for name, value in self.headers:
            if name == b"content-length":
                if not value.isdigit() or int(value) > MAX_BODY:
                    return None  # the route answers 413 without reading it
            elif name == b"transfer-encoding":
                return None  # chunked: the route counts it against the limit as it arrives
        return kind

    def _bind_intake(self) -> tuple[Accepter, bytes, str] | None:
        bound = self._intake_bound
        if bound is None:
            application = _application(self.app)
            state = getattr(application, "state", None)
            accepter = getattr(state, "accepter", None)
            if accepter is None:
                return None
            settings = state.settings  # type: ignore[union-attr]
            headers = [*header_list(DEFAULT_POLICY, https=is_https(settings.base_url))]
            headers.append((b"cache-control", b"no-store"))
            lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            bound = (accepter, lines, settings.default_language)
            self._intake_bound = bound  # looked up once per connection
        return bound

    def on_body(self, body: bytes) -> None:
        if self._intake is None:
            super().on_body(body)
            return
        buffer = self._intake[1]
        if len(buffer) <= MAX_BODY:
            buffer += body

    def on_message_complete(self) -> None:
        if self._intake is None:
            super().on_message_complete()
            return
        kind, body = self._intake
        self._intake = None
        self.flow.pause_reading()  # nothing more from this connection until this one is answered
        self._accept(kind, bytes(body))

    def _accept(self, kind: str, body: bytes) -> None:
        """Checked here, on the loop; answered from the journal's callback once committed (no task)."""
        bound = self._intake_bound
        assert bound is not None
        accepter, _lines, default_language = bound
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in self.headers}
        try:
            if len(body) > MAX_BODY:
                message = Message("The request body is larger than {limit} bytes.", {"limit": MAX_BODY})
                raise PayloadTooLarge(message, details={"limit": MAX_BODY}, code="payload_too_large")
            prepared = accepter.prepare(kind, body, headers)
        except EventGuardError as exc:
            self._refuse(accepter, kind, exc, headers, default_language)
            return
        except Exception as exc:  # a fault of ours while checking: the route's 500, with a request id
            self._internal_error(exc, headers, default_language)
            return

        def committed(outcome: int | BaseException) -> None:
            if isinstance(outcome, BaseException):  # the journal could not be written
                self._internal_error(outcome, headers, default_language)
                return
            requests, alerts = _accept_counters(kind)
            requests.inc()
            alerts.inc(len(prepared.batch.alerts))
            accepted = Accepted(outcome, prepared.integration, prepared.batch)
            self._answer(*accepter.answer(kind, accepted))

        accepter.writer.submit(prepared.append, committed)

    def _refuse(
        self, accepter: Accepter, kind: str, exc: EventGuardError, headers: dict[str, str], default: str
    ) -> None:
        metrics.REFUSED.labels(exc.code).inc()
        shaped = accepter.refusal(kind, exc)  # the format's own shape, e.g. PagerDuty's
        if shaped is not None:
            self._answer(*shaped)
            return
        envelope = {"error": exc.to_dict(_language(headers, default))}
        self._answer(exc.status_code, envelope, extra=exc.headers())

    def _internal_error(self, exc: BaseException, headers: dict[str, str], default: str) -> None:
        request_id = uuid.uuid4().hex
        log.error("unhandled_error", error=repr(exc), request_id=request_id, exc_info=exc)
        text = t("Internal error; it has been logged.", _language(headers, default))
        body = error_body("internal_error", text, {"request_id": request_id})
        self._answer(500, body, request_id=request_id)

    def _answer(
        self,
        status: int,
        body: dict[str, Any],
        *,
        extra: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        if self.transport.is_closing():
            return
        bound = self._intake_bound
        assert bound is not None
        payload = orjson.dumps(body)
        # Not kept alive for HTTP/1.0, a client that asked to close, a 413 (its body was not read)
        # or a server that is shutting down (uvicorn's shutdown() clears the cycle's keep_alive).
        keep_alive = (
            self.cycle.keep_alive
            and status != 413
            and self.parser.get_http_version() != "1.0"
            and self.parser.should_keep_alive()
        )
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
        lines += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        lines += [
            b"content-type: application/json\r\ncontent-length: %d\r\nx-request-id: " % len(payload),
            (request_id or _request_id()).encode("ascii"),
            b"\r\n",
            bound[1],
        ]
        lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in (extra or {}).items()]
        if not keep_alive:
            lines.append(b"connection: close\r\n")
        lines += [b"\r\n", payload]
        self.transport.write(b"".join(lines))
        self.cycle = ANSWERED
        if keep_alive:
            self.on_response_complete()  # counts it, resumes reading, arms the keep-alive timeout
        else:
            self.server_state.total_requests += 1
            self.transport.close()


@functools.cache
def _accept_counters(kind: str) -> tuple[Any, Any]:
    """The accepted-requests and accepted-alerts counters of ``kind`` (``labels`` looked up once)."""
    return metrics.ACCEPTED_REQUESTS.labels(kind), metrics.ACCEPTED_ALERTS.labels(kind)


def _request_id() -> str:
    return f"{_REQUEST_PREFIX}{next(_REQUEST_COUNTER):016x}"


def _language(headers: dict[str, str], default: str) -> str:
    chosen = from_accept_language(headers.get("accept-language"))
    return normalize_language(chosen) if chosen else default
