"""Every user-facing message exists in zh-CN and en."""

from __future__ import annotations

import ast
from pathlib import Path

from eventguard.i18n import Message, from_accept_language, normalize_language, t, zh_catalog

SRC = Path(__file__).resolve().parent.parent / "src" / "eventguard"


def _msgids_in_code() -> set[tuple[str, str]]:
    """Literal first arguments of t(...) and Message(...) calls, with where they stand."""
    found: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            first = node.args[0]
            if name in {"t", "Message"} and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((first.value, f"{path.relative_to(SRC)}:{node.lineno}"))
    return found


def _msgids_in_templates() -> set[tuple[str, str]]:
    import re

    pattern = re.compile(r"""\bt\((["'])(.+?)\1""")
    found: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found.update((m.group(2), f"{path.relative_to(SRC)}:{number}") for m in pattern.finditer(line))
    return found


def test_every_text_in_the_console_templates_has_a_chinese_translation() -> None:
    catalog = zh_catalog()
    missing = sorted(where + "  " + msgid for msgid, where in _msgids_in_templates() if msgid not in catalog)
    assert missing == []


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    catalog = zh_catalog()
    missing = sorted(where + "  " + msgid for msgid, where in _msgids_in_code() if msgid not in catalog)
    assert missing == []


def test_translations_keep_the_placeholders_of_the_english_text() -> None:
    import string

    fields = string.Formatter()
    for msgid, zh in zh_catalog().items():
        english = {name for _, name, _, _ in fields.parse(msgid) if name}
        chinese = {name for _, name, _, _ in fields.parse(zh) if name}
        assert english == chinese, msgid


def test_it_renders_one_message_in_both_languages() -> None:
    message = Message("The request does not match the expected shape.")
    assert message.both() == {
        "zh-CN": "请求格式不符合要求。",
        "en": "The request does not match the expected shape.",
    }
    assert t("The request does not match the expected shape.", "en-US").startswith("The request")


def test_it_picks_the_language_from_accept_language() -> None:
    assert from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert from_accept_language("zh-TW;q=0.9, en;q=0.5") == "zh-CN"
    assert from_accept_language("fr-FR") is None
    assert normalize_language(None) == "zh-CN"
