"""A document as Markdown, HTML (one self-contained file: CSS and SVG charts inline, nothing
fetched) and PDF (WeasyPrint, A4, the CJK font Debian's fonts-wqy-microhei provides).

The HTML is the document's Markdown rendered by markdown-it-py with raw HTML turned off (the
texts people wrote stay text), the charts placed after its opening facts."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from eventguard.errors import InvalidInput
from eventguard.i18n import Message, t
from eventguard.reports.documents import Document

FORMATS = ("md", "html", "pdf")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# "js-default": CommonMark with tables and strikethrough, raw HTML off.
_markdown = MarkdownIt("js-default")


def split_intro(text: str) -> tuple[str, str]:
    """(the title and facts before the first ``## `` section, the sections)."""
    head, marker, rest = text.partition("\n## ")
    return (head, marker.lstrip("\n") + rest) if marker else (text, "")


def html(document: Document) -> str:
    intro, sections = split_intro(document.markdown)
    lang = document.language
    return _env.get_template("document.html").render(
        lang=lang,
        title=document.title,
        intro=Markup(_markdown.render(intro)),
        sections=Markup(_markdown.render(sections)),
        charts=document.charts,
        charts_heading=t("Charts", lang),
        generated=t(
            "Exported {moment} by EventGuard",
            lang,
            moment=document.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        ),
    )


def pdf(document: Document) -> bytes:
    # Imported on use: it loads Pango.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The document holds everything it shows: no protocol is allowed, so an image link in a text
    # someone wrote is never fetched (WeasyPrint's "URL Fetchers": allowed_protocols).
    refuse_all = URLFetcher(allowed_protocols=())
    rendered: bytes = HTML(string=html(document), url_fetcher=refuse_all).write_pdf()
    return rendered


def render(document: Document, fmt: str) -> bytes:
    """The document in ``fmt`` (md, html or pdf) as bytes."""
    if fmt == "md":
        return document.markdown.encode("utf-8")
    if fmt == "html":
        return html(document).encode("utf-8")
    if fmt == "pdf":
        return pdf(document)
    raise InvalidInput(
        Message("Unknown format {format}: use md, html or pdf.", {"format": fmt}), code="invalid_format"
    )


def filename(document: Document, fmt: str) -> str:
    return f"{document.filename}.{fmt}"
