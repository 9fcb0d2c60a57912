"""uvicorn's HTTP protocol (httptools) with one shortcut: a ``GET``/``HEAD`` of a public status
document that is fresh in the page cache is answered from the parser's callback, the way a web
server answers a static file, without the ASGI request cycle (no task, no receive/send events).

Everything else, and anything unusual — a pipelined request, an upgrade, a stale or missing
document — takes uvicorn's own path unchanged, where the ASGI fast path (fastpath.py) and the route
answer the same bytes. Used by ``eventguard serve`` (``http=StatusPageProtocol``); with plain
uvicorn the ASGI fast path alone applies. It subclasses uvicorn's protocol, whose internals are not
a public API: the tests run it in a real server (tests/comms/test_protocol.py), and uvicorn is
pinned in the lock file.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from eventguard.comms.statuspage.cache import StatusPageCache, cache_of
from eventguard.comms.statuspage.fastpath import Reply, reply_for

_STATUS_LINES = {200: b"HTTP/1.1 200 OK\r\n", 304: b"HTTP/1.1 304 Not Modified\r\n"}


class _Answered:
    """Stands in for uvicorn's request cycle of a request answered here: complete, nothing to wake."""

    response_complete = True
    disconnected = False

    class message_event:
        @staticmethod
        def set() -> None:
            return None


ANSWERED: Any = _Answered()


def _application(app: Any) -> Any:
    """The EventGuard application inside uvicorn's wrappers (proxy headers, message logger …)."""
    while not hasattr(app, "state") and hasattr(app, "app"):
        app = app.app
    return app


class StatusPageProtocol(HttpToolsProtocol):
    _bound: tuple[StatusPageCache, str] | None = None

    def on_headers_complete(self) -> None:
        if self.url.startswith(b"/status/") and not self.pipeline and self._idle():
            reply = self._reply()
            if reply is not None:
                self._write(reply)
                return
        super().on_headers_complete()

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _reply(self) -> Reply | None:
        method = self.parser.get_method()
        if method not in (b"GET", b"HEAD") or self.parser.should_upgrade():
            return None
        bound = self._bound
        if bound is None:
            application = _application(self.app)
            if not hasattr(application, "state"):
                return None
            bound = self._bound = (cache_of(application), application.state.settings.default_language)
        path, _, query = self.url.partition(b"?")
        if b"%" in path:
            return None  # percent-encoded: let uvicorn decode it
        return reply_for(
            bound[0], bound[1], path.decode("latin-1"), query, self.headers, head=method == b"HEAD"
        )

    def _write(self, reply: Reply) -> None:
        status, headers, body = reply
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        lines = [_STATUS_LINES[status]]
        lines += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        lines += [name + b": " + value + b"\r\n" for name, value in headers]
        if not keep_alive:
            lines.append(b"connection: close\r\n")
        lines += [b"\r\n", body]
        self.transport.write(b"".join(lines))
        self.cycle = ANSWERED  # what uvicorn's later callbacks look at: a complete response
        if keep_alive:
            self.on_response_complete()  # counts it, resumes reading, arms the keep-alive timeout
        else:
            self.server_state.total_requests += 1
            self.transport.close()
