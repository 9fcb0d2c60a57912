"""zh-CN / en for every user-facing text.

Messages are written in English in the code (the msgid, with ``{name}`` placeholders) and
translated to zh-CN in gettext catalogs under ``i18n/zh_CN/*.po`` (one per domain), read with Babel.
``Message`` keeps a text untranslated until it is shown, so one error can be rendered in either language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from babel.messages.pofile import read_po

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE: Language = "zh-CN"
CATALOG_DIR = Path(__file__).parent / "zh_CN"


@lru_cache(maxsize=1)
def zh_catalog() -> dict[str, str]:
    """msgid -> zh-CN text, merged from every ``*.po`` file."""
    merged: dict[str, str] = {}
    for po_file in sorted(CATALOG_DIR.glob("*.po")):
        with po_file.open("rb") as fh:
            catalog = read_po(fh, locale="zh_CN")
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string:
                merged[message.id] = str(message.string)
    return merged


def normalize_language(value: str | None) -> Language:
    """Map ``zh``, ``zh-cn``, ``zh_CN``, ``en-US``… to a supported language (default zh-CN)."""
    if not value:
        return DEFAULT_LANGUAGE
    lowered = value.strip().lower().replace("_", "-")
    if lowered.startswith("en"):
        return "en"
    return "zh-CN"


def from_accept_language(header: str | None) -> Language | None:
    """The first supported language in an ``Accept-Language`` header, by quality."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            if param.strip().startswith("q="):
                try:
                    quality = float(param.strip()[2:])
                except ValueError:
                    quality = 0.0
        if tag.startswith(("zh", "en")):
            ranked.append((-quality, index, tag))
    if not ranked:
        return None
    return normalize_language(sorted(ranked)[0][2])


def t(msgid: str, lang: str | None = None, /, **params: Any) -> str:
    """Translate ``msgid`` into ``lang`` and fill its ``{placeholders}``."""
    language = normalize_language(lang)
    text = zh_catalog().get(msgid, msgid) if language == "zh-CN" else msgid
    return text.format(**params) if params else text


@dataclass(frozen=True)
class Message:
    """A translatable text with its parameters, rendered when the reader's language is known."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        return t(self.msgid, lang, **self.params)

    def both(self) -> dict[str, str]:
        return {language: self.render(language) for language in LANGUAGES}
