"""Charts as SVG, drawn on the server: readable without JavaScript (every value is a text of the
drawing), accessible (``role="img"`` with a ``<title>`` and a ``<desc>`` that says what it shows),
the same drawing in the console, in HTML reports and in PDFs (WeasyPrint draws SVG itself).

Two kinds are enough for the figures of docs/analytics.md: horizontal bars (with an optional
target tick per bar, e.g. ``notify_within``) and a line over time (with an optional threshold,
e.g. a drill's pass score)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
BAR_COLOUR = "#2b6cb0"
LATE_COLOUR = "#c53030"
TARGET_COLOUR = "#1a202c"
GRID_COLOUR = "#cbd5e0"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    target: float | None = None
    """A tick across the bar (a deadline): a bar longer than its target is drawn in red."""
    text: str | None = None
    """The value as written next to the bar (default: the number and the unit)."""
    late: bool = False
    """Drawn in red even without a target (a criterion not met)."""


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    text: str | None = None


def text_width(text: str, size: float) -> float:
    """A text's width in pixels, roughly: wide (CJK) characters are one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.58 for ch in text)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _open(chart_id: str, title: str, desc: str, width: float, height: float) -> list[str]:
    ident = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="12">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<text x="0" y="14" font-size="14" font-weight="bold" fill="{TARGET_COLOUR}">{escape(title)}</text>',
    ]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    unit: str = "",
    width: int = 640,
    empty: str = "—",
) -> Markup:
    """Horizontal bars, one row per bar, the label left, the value right of the bar."""
    row, top, size = 22, 28, 12
    shown = [bar.text if bar.text is not None else f"{_number(bar.value)}{unit}" for bar in bars]
    label_width = min(240.0, max([text_width(bar.label, size) for bar in bars] + [40.0]) + 8)
    value_width = max([text_width(text, size) for text in shown] + [30.0]) + 12
    plot = max(80.0, width - label_width - value_width)
    height = top + max(1, len(bars)) * row + 8
    scale = max([bar.value for bar in bars] + [bar.target or 0 for bar in bars] + [0.0])
    out = _open(chart_id, title, desc, width, height)
    if not bars:
        out.append(f'<text x="0" y="{top + 14}" fill="{TARGET_COLOUR}">{escape(empty)}</text>')
    for index, (bar, text) in enumerate(zip(bars, shown, strict=True)):
        y = top + index * row
        length = plot * bar.value / scale if scale else 0.0
        late = bar.late or (bar.target is not None and bar.value > bar.target)
        colour = LATE_COLOUR if late else BAR_COLOUR
        out.append(
            f'<text x="{label_width - 6:.1f}" y="{y + 14}" text-anchor="end" fill="{TARGET_COLOUR}">'
            f"{escape(bar.label)}</text>"
        )
        out.append(
            f'<rect x="{label_width:.1f}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
        )
        end = length
        if bar.target is not None and scale:
            tick = plot * bar.target / scale
            end = max(end, tick)
            x = label_width + tick
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + row - 2}" '
                f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        out.append(
            f'<text x="{label_width + end + 4:.1f}" y="{y + 14}" fill="{TARGET_COLOUR}">{escape(text)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[Point],
    maximum: float | None = None,
    threshold: float | None = None,
    threshold_label: str = "",
    width: int = 640,
    height: int = 220,
    empty: str = "—",
) -> Markup:
    """Values over time (evenly spaced, oldest left), each point labelled with its value; an
    optional dashed threshold line."""
    left, right, top, bottom = 36.0, 16.0, 30.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    scale = maximum or max([p.value for p in points] + [threshold or 0.0, 1.0])
    out = _open(chart_id, title, desc, width, height)
    base = top + plot_h
    for fraction in (0.0, 0.5, 1.0):
        y = base - plot_h * fraction
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{TARGET_COLOUR}">'
            f"{_number(scale * fraction)}</text>"
        )
    if threshold is not None:
        y = base - plot_h * threshold / scale
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LATE_COLOUR}" '
            f'stroke-dasharray="5 3"/><text x="{width - right}" y="{y - 4:.1f}" text-anchor="end" '
            f'fill="{LATE_COLOUR}">{escape(threshold_label)}</text>'
        )
    if not points:
        out.append(
            f'<text x="{left + 8}" y="{top + plot_h / 2:.1f}" fill="{TARGET_COLOUR}">{escape(empty)}</text>'
        )
    step = plot_w / max(1, len(points) - 1)
    coords = [
        (left + (step * i if len(points) > 1 else plot_w / 2), base - plot_h * p.value / scale)
        for i, p in enumerate(points)
    ]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{BAR_COLOUR}" stroke-width="2"/>')
    every = max(1, len(points) // 8)  # at most about eight labels under the axis
    for index, ((x, y), point) in enumerate(zip(coords, points, strict=True)):
        shown = point.text if point.text is not None else _number(point.value)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BAR_COLOUR}"/>'
            f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle" fill="{TARGET_COLOUR}">'
            f"{escape(shown)}</text>"
        )
        if index % every == 0:
            out.append(
                f'<text x="{x:.1f}" y="{base + 16:.1f}" text-anchor="middle" fill="{TARGET_COLOUR}">'
                f"{escape(point.label)}</text>"
            )
    out.append("</svg>")
    return Markup("".join(out))
