"""The 5 × 5 heat map (likelihood across, impact up) as a self-contained SVG, rendered on the server
so it reads without JavaScript. Each cell counts the risks there, names them in its ``<title>`` and
links to the list filtered to it."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from eventguard.i18n import t
from eventguard.risks.models import RiskEntry

CELL = 64
LEFT = 56
TOP = 28
BOTTOM = 48


def cell_colour(score: int) -> str:
    """Red from 15, orange from 8, yellow from 4, green below (colour-blind safe with the counts)."""
    if score >= 15:
        return "#d73027"
    if score >= 8:
        return "#fc8d59"
    if score >= 4:
        return "#fee08b"
    return "#91cf60"


def render_svg(risks: Sequence[RiskEntry], *, lang: str, link: str = "") -> str:
    """The SVG document; ``link`` is the list's URL the cells link to (with ``likelihood``/``impact``)."""
    language = "en" if lang == "en" else "zh-CN"
    width, height = LEFT + 5 * CELL + 8, TOP + 5 * CELL + BOTTOM
    title = t("Risk heat map", lang)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-labelledby="heatmap-title" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="heatmap-title">{escape(title)}</title>',
    ]
    for impact in range(5, 0, -1):
        for likelihood in range(1, 6):
            here = [risk for risk in risks if risk.likelihood == likelihood and risk.impact == impact]
            x, y = LEFT + (likelihood - 1) * CELL, TOP + (5 - impact) * CELL
            names = "; ".join(f"{risk.key}: {risk.title.get(language, '')}" for risk in here)
            label = t(
                "Likelihood {likelihood}, impact {impact}: {count} risks",
                lang,
                likelihood=likelihood,
                impact=impact,
                count=len(here),
            )
            cell = (
                f'<g class="cell" data-likelihood="{likelihood}" data-impact="{impact}" '
                f'data-count="{len(here)}">'
                f"<title>{escape(label)}{escape(': ' + names) if names else ''}</title>"
                f'<rect x="{x}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" rx="4" '
                f'fill="{cell_colour(likelihood * impact)}" stroke="#fff"/>'
            )
            if here:
                cell += (
                    f'<text x="{x + CELL / 2 - 1}" y="{y + CELL / 2 + 6}" text-anchor="middle" '
                    f'font-size="20" font-weight="bold" fill="#1a1a1a">{len(here)}</text>'
                )
            cell += "</g>"
            if here and link:
                href = escape(f"{link}?likelihood={likelihood}&impact={impact}")
                cell = f'<a href="{href}">{cell}</a>'
            parts.append(cell)
    for number in range(1, 6):
        column = LEFT + (number - 1) * CELL + CELL / 2 - 1
        row = TOP + (5 - number) * CELL + CELL / 2 + 4
        parts.append(f'<text x="{column}" y="{TOP + 5 * CELL + 16}" text-anchor="middle">{number}</text>')
        parts.append(f'<text x="{LEFT - 12}" y="{row}" text-anchor="middle">{number}</text>')
    parts.append(
        f'<text x="{LEFT + 5 * CELL / 2}" y="{TOP + 5 * CELL + 38}" text-anchor="middle" '
        f'font-weight="bold">{escape(t("Likelihood", lang))} →</text>'
    )
    parts.append(
        f'<text x="14" y="{TOP + 5 * CELL / 2}" text-anchor="middle" font-weight="bold" '
        f'transform="rotate(-90 14 {TOP + 5 * CELL / 2})">{escape(t("Impact", lang))} →</text>'
    )
    parts.append(f'<text x="{LEFT}" y="16" font-weight="bold">{escape(title)}</text>')
    parts.append("</svg>")
    return "".join(parts)
