"""Real local servers on 127.0.0.1 the probe tests point their probes at: an HTTP service whose
behaviour the test switches (ok, slow, 500), an HLS origin whose playlist advances or stalls, a TLS
server with a short-lived self-signed certificate, a Prometheus exporter, and a real Prometheus
(Debian's ``prometheus``) scraping it."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Behaviour:
    """What the switchable service does now."""

    mode: str = "ok"  # ok, slow, error
    slow_seconds: float = 1.3
    hits: int = 0
    # HLS: the media sequence the playlist starts at, and whether segments answer.
    sequence: int = 100
    segments_ok: bool = True
    gauge: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        b = self.behaviour
        b.hits += 1
        path = self.path.split("?")[0]
        if path == "/health":
            if b.mode == "slow":
                time.sleep(b.slow_seconds)
            if b.mode == "error":
                self._send(500, b'{"status":"error"}', "application/json")
            else:
                self._send(200, b'{"status":"ok","checks":{"db":"up"}}', "application/json")
        elif path == "/live/master.m3u8":
            body = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nmedia.m3u8\n"
            self._send(200, body.encode(), "application/vnd.apple.mpegurl")
        elif path == "/live/media.m3u8":
            lines = [
                "#EXTM3U",
                "#EXT-X-VERSION:3",
                "#EXT-X-TARGETDURATION:2",
                f"#EXT-X-MEDIA-SEQUENCE:{b.sequence}",
            ]
            for n in range(b.sequence, b.sequence + 3):
                lines += ["#EXTINF:2.0,", f"seg{n}.ts"]
            self._send(200, ("\n".join(lines) + "\n").encode(), "application/vnd.apple.mpegurl")
        elif path.startswith("/live/seg"):
            if b.segments_ok:
                self._send(200, b"\x47" * 188 * 10, "video/mp2t")
            else:
                self._send(404, b"gone")
        elif path == "/metrics":
            body = (
                "# HELP login_failures_per_minute Failed logins\n"
                "# TYPE login_failures_per_minute gauge\n"
                f"login_failures_per_minute {b.gauge}\n"
            )
            self._send(200, body.encode(), "text/plain; version=0.0.4")
        else:
            self._send(404, b"not found")


@dataclass
class Served:
    url: str
    port: int
    behaviour: Behaviour


@contextmanager
def http_server(context: ssl.SSLContext | None = None) -> Iterator[Served]:
    behaviour = Behaviour()
    handler = type("Handler", (_Handler,), {"behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if context is not None else "http"
    try:
        yield Served(f"{scheme}://127.0.0.1:{port}", port, behaviour)
    finally:
        server.shutdown()
        server.server_close()


def short_lived_certificate(directory: Path, *, valid_for: dt.timedelta) -> tuple[Path, Path, dt.datetime]:
    """A self-signed certificate for 127.0.0.1 that expires after ``valid_for``: (cert, key, expiry)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    expiry = (now + valid_for).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(expiry)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path, expiry


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``condition()`` until it returns something truthy; that value (or AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@contextmanager
def prometheus(directory: Path, scrape_port: int) -> Iterator[str]:
    """A real Prometheus scraping 127.0.0.1:``scrape_port`` every second; its base URL."""
    config = directory / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: exporter\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{scrape_port}']\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=60)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
