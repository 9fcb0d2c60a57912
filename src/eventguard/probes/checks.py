"""One check of each probe kind, asynchronous (the scheduler runs thousands at once on one loop).

A check never raises for what it finds: a refused connection, a timeout, a bad answer are a failed
``Outcome`` with a short detail. Checks that need to remember something between runs (the HLS media
sequence, how long a metric has been above its threshold) keep it in ``Memory``, which the scheduler
holds per probe; pushed signals (heartbeats, values) are read from the probe's ``Signals``.

Formats: Prometheus' instant query answer ``{"status": "success", "data": {"resultType": "vector",
"result": [{"metric": {...}, "value": [<unix time>, "<value>"]}]}}`` (scalar: ``"result": [<unix
time>, "<value>"]``), https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries;
HLS playlists as RFC 8216 (https://www.rfc-editor.org/rfc/rfc8216): ``#EXT-X-STREAM-INF`` in a
master playlist is followed by a variant's URI, a media playlist has ``#EXT-X-TARGETDURATION``,
``#EXT-X-MEDIA-SEQUENCE``, ``#EXTINF`` before each segment URI and optionally
``#EXT-X-PROGRAM-DATE-TIME``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urljoin

import httpx
from cryptography import x509

from eventguard.plans.schemas import (
    DnsProbe,
    HeartbeatProbe,
    HlsProbe,
    HttpProbe,
    MetricProbe,
    MetricThreshold,
    MonitoringRule,
    ParticipationProbe,
    TcpProbe,
)
from eventguard.plans.types import PhaseName

MAX_DETAIL = 500
MAX_BODY = 1024 * 1024  # bytes of an HTTP answer read for a keyword or a JSON path
SEGMENT_PEEK = 64 * 1024
MAX_VARIANTS = 4


@dataclass(frozen=True)
class Outcome:
    ok: bool
    latency_ms: float | None
    detail: str
    value: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", self.detail[:MAX_DETAIL])


@dataclass
class Memory:
    """What a probe's checks remember from one run to the next (in the scheduler, per probe)."""

    hls: dict[str, tuple[int, int, datetime]] = field(default_factory=dict)  # url -> (seq, count, seen)
    crossed_since: datetime | None = None


@dataclass(frozen=True)
class Signals:
    """What was pushed to the probe (heartbeats, values), and since when it exists."""

    beat_at: datetime | None = None
    value: float | None = None
    value_at: datetime | None = None
    since: datetime | None = None


@dataclass
class Clients:
    """HTTP clients: one verifying certificates, one not (``verify_tls: false``)."""

    verified: httpx.AsyncClient
    unverified: httpx.AsyncClient

    @classmethod
    def make(cls, max_connections: int = 1000) -> Clients:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        return cls(
            httpx.AsyncClient(limits=limits, follow_redirects=True),
            httpx.AsyncClient(limits=limits, follow_redirects=True, verify=False),
        )

    async def aclose(self) -> None:
        await self.verified.aclose()
        await self.unverified.aclose()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


async def run_check(
    probe: MonitoringRule,
    *,
    clients: Clients,
    memory: Memory,
    signals: Signals,
    now: datetime,
    phase: str | None,
) -> Outcome:
    """Check ``probe`` once; never raises (but for cancellation)."""
    try:
        if isinstance(probe, HttpProbe):
            return await check_http(probe, clients, now)
        if isinstance(probe, HlsProbe):
            return await check_hls(probe, clients, memory, now)
        if isinstance(probe, HeartbeatProbe):
            return check_heartbeat(probe, signals, now)
        if isinstance(probe, TcpProbe):
            return await check_tcp(probe)
        if isinstance(probe, DnsProbe):
            return await check_dns(probe)
        if isinstance(probe, ParticipationProbe):
            return await check_participation(probe, clients, signals, now, phase)
        return await check_metric(probe, clients, memory, signals, now)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug in a check must not stop the scheduler: it is this probe's failure
        return Outcome(False, None, _describe(exc))


# -- HTTP(S)


async def check_http(probe: HttpProbe, clients: Clients, now: datetime) -> Outcome:
    client = clients.verified if probe.verify_tls else clients.unverified
    started = time.perf_counter()
    expiry: datetime | None = None
    try:
        async with client.stream(
            probe.method, probe.target, headers=probe.headers, timeout=_seconds(probe.timeout)
        ) as response:
            if probe.tls_expiry_days is not None:
                expiry = _certificate_expiry(response)
            body = b""
            if probe.keyword is not None or probe.json_path is not None:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= MAX_BODY:
                        break
            else:
                await response.aread()
    except Exception as exc:
        return Outcome(False, _ms(started), _describe(exc))
    latency = _ms(started)
    if response.status_code != probe.expect_status:
        return Outcome(False, latency, f"HTTP {response.status_code}, expected {probe.expect_status}")
    limit = _seconds(probe.threshold) * 1000
    if latency > limit:
        return Outcome(False, latency, f"slow: {latency:.0f} ms > {limit:.0f} ms")
    if probe.keyword is not None and probe.keyword not in body.decode("utf-8", "replace"):
        return Outcome(False, latency, f"keyword {probe.keyword!r} not in the answer")
    if probe.json_path is not None:
        problem = _json_problem(body, probe.json_path, probe.json_equals)
        if problem:
            return Outcome(False, latency, problem)
    if probe.tls_expiry_days is not None:
        if expiry is None:
            return Outcome(False, latency, "no TLS certificate to check")
        left = expiry - now
        if left < timedelta(days=probe.tls_expiry_days):
            days = left.total_seconds() / 86400
            return Outcome(
                False, latency, f"TLS certificate expires in {days:.1f} days ({expiry:%Y-%m-%d %H:%M} UTC)"
            )
    return Outcome(True, latency, f"HTTP {response.status_code}")


def _certificate_expiry(response: httpx.Response) -> datetime | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc


def _json_problem(body: bytes, path: str, equals: str | None) -> str | None:
    import orjson

    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "the answer is not JSON"
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return f"no {path} in the answer"
    if equals is not None:
        shown = value if isinstance(value, str) else orjson.dumps(value).decode()
        if shown != equals:
            return f"{path} is {shown[:100]}, expected {equals}"
    return None


# -- HLS


@dataclass
class _Media:
    target_duration: float | None = None
    sequence: int = 0
    segments: list[tuple[str, float]] = field(default_factory=list)
    newest_time: datetime | None = None  # program date-time of the newest segment
    ended: bool = False


def parse_media(text: str, base: str) -> _Media:
    media = _Media()
    duration: float | None = None
    stamp: datetime | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            media.target_duration = float(line.partition(":")[2])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            media.sequence = int(line.partition(":")[2])
        elif line.startswith("#EXTINF:"):
            duration = float(line.partition(":")[2].partition(",")[0])
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            stamp = datetime.fromisoformat(line.partition(":")[2].replace("Z", "+00:00"))
        elif line.startswith("#EXT-X-ENDLIST"):
            media.ended = True
        elif line and not line.startswith("#"):
            media.segments.append((urljoin(base, line), duration or 0.0))
            if stamp is not None:
                media.newest_time = stamp + timedelta(seconds=duration or 0.0)
                stamp = None
            duration = None
    return media


def parse_variants(text: str, base: str) -> list[str]:
    variants, expect_uri = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF"):
            expect_uri = True
        elif expect_uri and line and not line.startswith("#"):
            variants.append(urljoin(base, line))
            expect_uri = False
    return variants


async def check_hls(probe: HlsProbe, clients: Clients, memory: Memory, now: datetime) -> Outcome:
    client = clients.verified
    timeout = _seconds(probe.timeout)
    started = time.perf_counter()
    try:
        top = await client.get(probe.target, timeout=timeout)
    except Exception as exc:
        return Outcome(False, _ms(started), f"playlist: {_describe(exc)}")
    if top.status_code != 200:
        return Outcome(False, _ms(started), f"playlist: HTTP {top.status_code}")
    variants = parse_variants(top.text, str(top.url))
    playlists: list[tuple[str, str]] = []
    if variants:
        for url in variants[:MAX_VARIANTS]:
            try:
                answer = await client.get(url, timeout=timeout)
            except Exception as exc:
                return Outcome(False, _ms(started), f"variant {url}: {_describe(exc)}")
            if answer.status_code != 200:
                return Outcome(False, _ms(started), f"variant {url}: HTTP {answer.status_code}")
            playlists.append((url, answer.text))
    else:
        playlists.append((str(top.url), top.text))
    details = []
    for url, text in playlists:
        media = parse_media(text, url)
        if not media.segments:
            return Outcome(False, _ms(started), f"{url}: no segments")
        problem = _stale(probe, media, memory, url, now)
        if problem:
            return Outcome(False, _ms(started), problem)
        if probe.check_segment:
            segment = media.segments[-1][0]
            try:
                async with client.stream("GET", segment, timeout=timeout) as answer:
                    if answer.status_code != 200:
                        return Outcome(False, _ms(started), f"segment {segment}: HTTP {answer.status_code}")
                    async for _chunk in answer.aiter_bytes():
                        break
            except Exception as exc:
                return Outcome(False, _ms(started), f"segment {segment}: {_describe(exc)}")
        details.append(f"sequence {media.sequence + len(media.segments) - 1}")
    return Outcome(True, _ms(started), ", ".join(details))


def _stale(probe: HlsProbe, media: _Media, memory: Memory, url: str, now: datetime) -> str | None:
    """The media sequence has not advanced for too long, or the newest segment is too old."""
    limit = probe.threshold
    if media.target_duration:
        limit = min(limit, timedelta(seconds=probe.stale_targets * media.target_duration))
    newest = (media.sequence, len(media.segments))
    seen = memory.hls.get(url)
    if seen is None or (seen[0], seen[1]) != newest:
        memory.hls[url] = (*newest, now)
    else:
        unchanged = now - seen[2]
        if unchanged > limit:
            seconds = unchanged.total_seconds()
            return f"{url}: media sequence {media.sequence} has not advanced for {seconds:.0f} s"
    if media.newest_time is not None and now - media.newest_time > limit:
        age = (now - media.newest_time).total_seconds()
        return f"{url}: newest segment is {age:.0f} s old"
    return None


# -- pushed signals, metrics, sockets


def check_heartbeat(probe: HeartbeatProbe, signals: Signals, now: datetime) -> Outcome:
    last = signals.beat_at or signals.since
    if last is None:
        return Outcome(True, None, "waiting for the first beat")
    quiet = now - last
    if quiet > probe.interval + probe.threshold:
        return Outcome(False, None, f"no beat for {quiet.total_seconds():.0f} s")
    if signals.beat_at is None:
        return Outcome(True, None, "waiting for the first beat")
    return Outcome(True, None, f"last beat {quiet.total_seconds():.0f} s ago")


async def _query(client: httpx.AsyncClient, base: str, query: str, timeout: float) -> float | None:
    """The largest value of a Prometheus instant query; None when it has no data."""
    answer = await client.get(base.rstrip("/") + "/api/v1/query", params={"query": query}, timeout=timeout)
    document = answer.json()
    if answer.status_code != 200 or document.get("status") != "success":
        raise RuntimeError(f"Prometheus answered {answer.status_code}: {document.get('error', '')}")
    data = document["data"]
    if data["resultType"] == "scalar":
        return float(data["result"][1])
    values = [float(item["value"][1]) for item in data["result"]]
    return max(values) if values else None


async def _value(
    probe: MetricProbe | ParticipationProbe, clients: Clients, signals: Signals, now: datetime
) -> tuple[float | None, float | None, str | None]:
    """(value, latency, problem): queried from Prometheus, or the pushed one."""
    if probe.target is not None and probe.query is not None:
        started = time.perf_counter()
        try:
            value = await _query(clients.verified, probe.target, probe.query, _seconds(probe.timeout))
        except Exception as exc:
            return None, _ms(started), f"query failed: {_describe(exc)}"
        return value, _ms(started), None
    if signals.value is None or signals.value_at is None:
        return None, None, None
    if probe.stale_after is not None and now - signals.value_at > probe.stale_after:
        age = (now - signals.value_at).total_seconds()
        return None, None, f"no value pushed for {age:.0f} s"
    return signals.value, None, None


def _op(threshold: MetricThreshold) -> str:
    return f"{threshold.op} {threshold.value:g}"


async def check_metric(
    probe: MetricProbe, clients: Clients, memory: Memory, signals: Signals, now: datetime
) -> Outcome:
    value, latency, problem = await _value(probe, clients, signals, now)
    if problem:
        return Outcome(False, latency, problem)
    if value is None:
        memory.crossed_since = None
        return Outcome(True, latency, "no data")
    if not probe.threshold.crossed(value):
        memory.crossed_since = None
        return Outcome(True, latency, f"{value:g}", value)
    memory.crossed_since = memory.crossed_since or now
    if now - memory.crossed_since >= probe.for_:
        return Outcome(False, latency, f"{value:g} {_op(probe.threshold)}", value)
    return Outcome(True, latency, f"{value:g} {_op(probe.threshold)} (pending)", value)


async def check_participation(
    probe: ParticipationProbe, clients: Clients, signals: Signals, now: datetime, phase: str | None
) -> Outcome:
    expected = probe.expected.get(cast(PhaseName, phase)) if phase else None
    value, latency, problem = await _value(probe, clients, signals, now)
    if problem:
        return Outcome(False, latency, problem)
    if expected is None:
        return Outcome(True, latency, "no target in this phase", value)
    floor = float(expected) * probe.min_ratio
    count = value or 0.0
    if count < floor:
        return Outcome(False, latency, f"{count:g} < expected {floor:g}", value)
    return Outcome(True, latency, f"{count:g} >= expected {floor:g}", value)


async def check_tcp(probe: TcpProbe) -> Outcome:
    started = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(probe.host, probe.port), _seconds(probe.timeout)
        )
    except Exception as exc:
        return Outcome(False, _ms(started), _describe(exc))
    latency = _ms(started)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    if latency > _seconds(probe.threshold) * 1000:
        return Outcome(False, latency, f"slow connect: {latency:.0f} ms")
    return Outcome(True, latency, f"connected to {probe.host}:{probe.port}")


async def check_dns(probe: DnsProbe) -> Outcome:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(probe.name, None, type=socket.SOCK_STREAM), _seconds(probe.timeout)
        )
    except Exception as exc:
        return Outcome(False, _ms(started), f"{probe.name} does not resolve: {_describe(exc)}")
    latency = _ms(started)
    addresses = sorted({str(item[4][0]) for item in found})
    if probe.expect and not set(probe.expect) & set(addresses):
        return Outcome(False, latency, f"{probe.name} -> {', '.join(addresses)}, expected {probe.expect}")
    if latency > _seconds(probe.threshold) * 1000:
        return Outcome(False, latency, f"slow resolution: {latency:.0f} ms")
    return Outcome(True, latency, f"{probe.name} -> {', '.join(addresses[:4])}")
