"""A probe's newest results as a small self-contained SVG, rendered on the server (readable without
JavaScript): a latency line over the results, and under it one bar per result, green for a good
check and red for a failed one. The ``<title>`` says what it shows in words (for screen readers,
and as the tooltip): the count of results, failures and the latest and highest latency."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from eventguard.i18n import t
from eventguard.probes.models import ProbeResult

WIDTH = 240
LINE_HEIGHT = 36
BAR_HEIGHT = 8
GAP = 3
OK_COLOUR = "#1a9850"
FAIL_COLOUR = "#d73027"
LINE_COLOUR = "#2c7bb6"


def summary(results: Sequence[ProbeResult], lang: str) -> str:
    """The chart in words: how many results, how many failed, the latest and the highest latency."""
    if not results:
        return t("No results yet", lang)
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    failed = sum(1 for r in results if not r.ok)
    text = t("{count} results, {failed} failed", lang, count=len(results), failed=failed)
    if latencies:
        latest = next(r.latency_ms for r in reversed(results) if r.latency_ms is not None)
        text += " · " + t(
            "latency {latest} ms (highest {highest} ms)",
            lang,
            latest=f"{latest:.0f}",
            highest=f"{max(latencies):.0f}",
        )
    return text


def render_svg(results: Sequence[ProbeResult], *, lang: str, element_id: str = "spark") -> str:
    """The SVG (results oldest first, as ``service.results_of`` returns them)."""
    height = LINE_HEIGHT + GAP + BAR_HEIGHT
    label = summary(results, lang)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{escape(element_id)}-title" '
        'class="sparkline">',
        f'<title id="{escape(element_id)}-title">{escape(label)}</title>',
    ]
    if results:
        step = WIDTH / len(results)
        latencies = [r.latency_ms for r in results]
        known = [value for value in latencies if value is not None]
        top = max(known) if known else 0.0
        points = []
        for n, value in enumerate(latencies):
            if value is None:
                continue
            x = step * n + step / 2
            y = LINE_HEIGHT - 2 - (value / top * (LINE_HEIGHT - 4) if top > 0 else 0)
            points.append(f"{x:.1f},{y:.1f}")
        if len(points) == 1:
            cx, cy = points[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{LINE_COLOUR}"/>')
        elif points:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE_COLOUR}" '
                'stroke-width="1.5" stroke-linejoin="round"/>'
            )
        for n, result in enumerate(results):
            colour = OK_COLOUR if result.ok else FAIL_COLOUR
            parts.append(
                f'<rect x="{step * n:.1f}" y="{LINE_HEIGHT + GAP}" width="{max(step - 0.5, 0.5):.1f}" '
                f'height="{BAR_HEIGHT}" fill="{colour}" class="{"ok" if result.ok else "failed"}"/>'
            )
    else:
        parts.append(
            f'<line x1="0" y1="{LINE_HEIGHT - 2}" x2="{WIDTH}" y2="{LINE_HEIGHT - 2}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
