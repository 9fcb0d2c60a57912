"""An idempotent webhook receiver on 127.0.0.1, as a consumer of Standard Webhooks should be: it
acts on each ``webhook-id`` once and counts the at-least-once repeats it drops. It can also be
down in the three ways a real receiver is: refusing connections (nothing listens on its port),
answering 503, or hanging (accepting the request and never answering)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.notify.receivers import free_port

Mode = Literal["ok", "refuse", "unavailable", "hang"]


@dataclass(frozen=True)
class Received:
    """One message the receiver acted on (the first arrival of its ``webhook-id``)."""

    path: str
    webhook_id: str
    topic: str
    incident_id: int | None
    phone: str | None
    arrived: float  # time.monotonic()


class IdempotentReceiver:
    """See the module docstring. ``accepted`` holds each message once, in arrival order;
    ``duplicates`` counts the repeats of an already accepted ``webhook-id`` (answered 200 too)."""

    def __init__(self, *, delay: float = 0.0, port: int | None = None) -> None:
        self.port = port or free_port()
        self.delay = delay
        self.accepted: list[Received] = []
        self.duplicates = 0
        self.attempts: Counter[str] = Counter()  # requests that reached us, by outcome
        self.in_flight = 0  # requests being answered right now (slowly, with ``delay``)
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._mode: Mode = "refuse"
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> IdempotentReceiver:
        self.set_mode("ok")
        return self

    def stop(self) -> None:
        self.set_mode("refuse")

    def set_mode(self, mode: Mode) -> None:
        """Switch how the receiver answers; ``refuse`` closes the listening socket."""
        if mode != "hang":
            self._released.set()  # hanging requests end (with a 503 nobody waits for)
        else:
            self._released.clear()
        if mode == "refuse":
            self._close()
        elif self._server is None:
            self._open()
        self._mode = mode

    def _open(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
                break
            except OSError:  # the port is in TIME_WAIT or briefly taken: try again
                assert time.monotonic() < deadline, f"port {self.port} stays taken"
                time.sleep(0.05)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def accepted_on(self, path: str) -> list[Received]:
        with self._lock:
            return [item for item in self.accepted if item.path == path]

    def _take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        mode = self._mode
        if mode == "hang":
            self.attempts["hung"] += 1
            self._released.wait(120)
            return 503
        if mode == "unavailable":
            self.attempts["503"] += 1
            return 503
        payload: dict[str, Any] = json.loads(body)
        data = payload.get("data") or {}
        webhook_id = headers["webhook-id"]
        with self._lock:
            self.in_flight += 1
        if self.delay:
            time.sleep(self.delay)  # a slow consumer: kills land mid-request
        with self._lock:
            self.in_flight -= 1
            self.attempts["ok"] += 1
            if webhook_id in self._seen:
                self.duplicates += 1
            else:
                self._seen.add(webhook_id)
                self.accepted.append(
                    Received(
                        path=path,
                        webhook_id=webhook_id,
                        topic=str(payload.get("type")),
                        incident_id=data.get("incident_id"),
                        phone=data.get("phone"),
                        arrived=time.monotonic(),
                    )
                )
        return 200


def _handler_for(receiver: IdempotentReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver._take(self.path, headers, body)
            answer = b'{"ok":true}' if status == 200 else b'{"error":"unavailable"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up (its timeout) or was killed mid-request

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
