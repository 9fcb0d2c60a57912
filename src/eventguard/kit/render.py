"""The kit as HTML (one file, nothing fetched: CSS and SVG inline) and as PDF (WeasyPrint, A4)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from eventguard.i18n import t
from eventguard.kit.content import KitStamp, build
from eventguard.plans.schemas import PlanSpec

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=False,
)
_STAMP = re.compile(r'<meta name="eventguard-kit" content="([^"]*)">')


def html_document(spec: PlanSpec, stamp: KitStamp) -> str:
    context = build(spec, stamp)
    lang = stamp.language

    def translate(msgid: str, **values: Any) -> str:
        return t(msgid, lang, **values)

    return _ENV.get_template("kit.html").render(**context, t=translate)


def pdf_document(html_text: str) -> bytes:
    """The HTML kit laid out on A4 pages (its print CSS) by WeasyPrint; CJK text needs a CJK font
    installed (Debian: fonts-wqy-microhei, see scripts/test-prereqs)."""
    from weasyprint import HTML  # imported here: loading Pango takes a while and most commands never print

    result = HTML(string=html_text).write_pdf()
    assert isinstance(result, bytes)
    return result


def read_stamp(text: str) -> dict[str, Any] | None:
    """The stamp a kit HTML file carries (None: not a kit file)."""
    found = _STAMP.search(text)
    if found is None:
        return None
    try:
        data = json.loads(html.unescape(found.group(1)))
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("format") == "eventguard-kit/1" else None
