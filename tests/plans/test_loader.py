from __future__ import annotations

import re
import tracemalloc
from collections.abc import Iterator

import pytest
import yaml

from eventguard.plans import loader
from eventguard.plans.loader import MAX_DEPTH, MAX_PLAN_BYTES, load_plan


def test_it_records_the_line_and_column_of_every_key_and_item() -> None:
    loaded = load_plan("event:\n  slug: demo\nteams:\n  - id: tech\n    members: [a, b]\n", "p.yaml")
    positions = loaded.locator.positions
    assert loaded.issues == []
    assert (positions[("event", "slug")].line, positions[("event", "slug")].column) == (2, 9)
    assert positions[("teams", 0)].line == 4
    assert (positions[("teams", 0, "members", 1)].line, positions[("teams", 0, "members", 1)].column) == (
        5,
        18,
    )


def test_it_reports_a_yaml_syntax_error_at_the_line_of_the_mistake() -> None:
    loaded = load_plan("event:\n  slug: demo\n  name: [unclosed\nteams: []\n", "p.yaml")
    assert loaded.data is None
    [issue] = loaded.issues
    assert issue.code == "yaml_syntax"
    # The bracket of line 3 is never closed; PyYAML notices on line 4. The "]" is missing at line 3's end.
    assert (issue.file, issue.line, issue.column) == ("p.yaml", 3, 18)
    assert (
        issue.message.render("en")
        == 'A list in square brackets is not closed: a "]" or a "," is missing here.'
    )


def test_it_reports_a_tab_indentation_as_a_syntax_error_not_a_traceback() -> None:
    [issue] = load_plan("event:\n\tslug: demo\n", "p.yaml").issues
    assert (issue.code, issue.line) == ("yaml_syntax", 2)
    assert issue.message.render("en") == "Line 2 is indented with a tab; YAML indents with spaces only."


def test_it_flags_a_duplicate_key_at_the_second_occurrence() -> None:
    loaded = load_plan("event:\n  slug: a\n  name: x\n  slug: b\n", "p.yaml")
    [issue] = loaded.issues
    assert (issue.code, issue.line, issue.column) == ("duplicate_key", 4, 3)
    assert issue.message.render("en") == 'Key "slug" appears twice in this mapping (first at line 2).'
    assert issue.message.render("zh-CN") == "键“slug”在此映射中出现了两次(首次出现在第 2 行)。"


def test_it_reports_an_empty_file() -> None:
    [issue] = load_plan("# only a comment\n", "p.yaml").issues
    assert issue.code == "empty_plan"


def test_it_reports_a_document_that_is_not_a_mapping() -> None:
    [issue] = load_plan("- a\n- b\n", "p.yaml").issues
    assert (issue.code, issue.line) == ("not_a_mapping", 1)


def test_it_reports_several_documents_as_a_syntax_error() -> None:
    [issue] = load_plan("a: 1\n---\nb: 2\n", "p.yaml").issues
    assert issue.code == "yaml_syntax"


def test_it_accepts_anchors_aliases_and_merge_keys_without_calling_them_duplicates() -> None:
    source = "base: &base {role: lead, team: tech}\nnotify:\n  - <<: *base\n    role: all\n  - *base\n"
    loaded = load_plan(source, "p.yaml")
    assert loaded.issues == []
    assert loaded.data["notify"] == [{"role": "all", "team": "tech"}, {"role": "lead", "team": "tech"}]


def test_it_reports_an_alias_that_contains_itself() -> None:
    loaded = load_plan("a: &x [1, *x]\n", "p.yaml")
    assert [issue.code for issue in loaded.issues] == ["recursive_alias"]


def test_it_refuses_python_specific_tags() -> None:
    [issue] = load_plan("a: !!python/object:os.system echo\n", "p.yaml").issues
    assert (issue.code, issue.line) == ("yaml_syntax", 1)


def test_it_reads_timestamps_and_numbers_like_yaml_does() -> None:
    data = load_plan("start: 2026-06-16T08:00:00+08:00\nlevel: 1\nname: '1'\n", "p.yaml").data
    assert data["start"].utcoffset().total_seconds() == 8 * 3600
    assert (data["level"], data["name"]) == (1, "1")


# --- Syntax errors: the line of the mistake, in our words, with both of PyYAML's parsers -------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both parsers PyYAML has: libyaml's (where installed) and the pure-Python fallback, which word
    their problems differently and mark some of them elsewhere."""
    if request.param == "libyaml":
        # The pinned PyYAML wheel (requirements.lock) ships libyaml: its absence is a broken install.
        assert hasattr(yaml, "CSafeLoader"), "PyYAML was installed without libyaml"
        monkeypatch.setattr(loader, "_YAML_LOADER", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(loader, "_YAML_LOADER", yaml.SafeLoader)
    yield request.param


@pytest.mark.parametrize(
    ("source", "line", "column", "english"),
    [
        # PyYAML notices a key without its colon on the next line; the mistake is the key's line.
        ("event:\n  slug: demo\n  name\n  timezone: UTC\n", 3, 3, 'the ":" after the key is missing'),
        # An unclosed quote is noticed at the end of the file; it is named where it opens.
        ('event:\n  slug: "demo\n  timezone: UTC\n', 2, 9, "never closed"),
        ("event:\n  name: {en: x\nteams: []\n", 2, 15, "curly braces is not closed"),
        ("event:\n  slug: demo\n timezone: UTC\n", 3, 2, "indented differently"),
        ("event:\n  slug: a: b\n", 2, 10, 'A ": " cannot stand in an unquoted value'),
        ("event:\n  slug: @demo\n", 2, 9, 'The character "@" cannot start a value'),
        ('event:\n  slug: "a\\qb"\n', 2, None, "Unknown backslash escape"),
        ("event:\n  owner: *nobody\n", 2, 10, "refers to no anchor"),
        ("event: {}\n---\nteams: []\n", 2, 1, "one YAML document"),
        ("event:\n  owner: !secret x\n", 2, 10, "YAML tags"),
        ("event:\n  slug: demo\n\tname: x\n", 3, 1, "Line 3 is indented with a tab"),
    ],
)
def test_a_syntax_error_names_the_line_of_the_mistake_in_both_languages(
    yaml_parser: str, source: str, line: int, column: int | None, english: str
) -> None:
    [issue] = load_plan(source, "p.yaml").issues
    assert issue.code == "yaml_syntax"
    assert issue.line == line, issue.format("en")
    if column is not None:
        assert issue.column == column, issue.format("en")
    assert english in issue.message.render("en")
    chinese = issue.message.render("zh-CN")
    assert _CJK.search(chinese) and "found" not in chinese and "expected" not in chinese, chinese


def test_a_problem_without_words_of_our_own_falls_back_to_pyyaml_s_in_both_languages(
    yaml_parser: str,
) -> None:
    [issue] = load_plan("event:\n  description: |x\n    text\n", "p.yaml").issues
    assert (issue.code, issue.line) == ("yaml_syntax", 2)
    assert issue.message.render("en").startswith("YAML syntax error: ")
    assert issue.message.render("zh-CN").startswith("YAML 语法错误")


def test_a_tab_inside_a_line_is_not_called_indentation() -> None:
    assert load_plan("event:\n  slug: a\tb\n", "p.yaml").issues == []


# --- What a plan may cost ---------------------------------------------------------------------------

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefghi", "bcdefghij", strict=True)
)


def test_nested_aliases_that_would_expand_to_billions_are_refused_quickly_at_their_line() -> None:
    source = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + LAUGHS  # ~400 bytes, 9**10 values
    tracemalloc.start()
    try:
        loaded = load_plan(source, "p.yaml")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # refused before expanding: the expansion would take gigabytes
    assert loaded.data is None
    [issue] = loaded.issues
    assert issue.code == "alias_expansion_too_large"
    assert 2 <= issue.line <= 10 and source.splitlines()[issue.line - 1].count("*") == 9
    assert "100000" in issue.message.render("en") and "别名" in issue.message.render("zh-CN")


def test_an_alias_repeating_a_long_text_counts_its_characters() -> None:
    source = 'a: &a "' + "x" * 100_000 + '"\nb: [' + ", ".join(["*a"] * 100) + "]\n"
    [issue] = load_plan(source, "p.yaml").issues
    assert (issue.code, issue.line) == ("alias_expansion_too_large", 2)


def test_ordinary_use_of_aliases_and_merge_keys_stays_within_the_bounds() -> None:
    base = "base: &base {role: lead, team: tech, within: 5m}\n"
    source = base + "notify:\n" + "".join(f"  - <<: *base\n    role: r{i}\n" for i in range(2_000))
    loaded = load_plan(source, "p.yaml")
    assert loaded.issues == [] and len(loaded.data["notify"]) == 2_000


@pytest.mark.parametrize(
    "source",
    [
        "event:\n  name: " + "[" * 900 + "]" * 900 + "\n",  # flow style, 900 deep
        "".join("  " * i + "a:\n" for i in range(900)) + "  " * 900 + "b: 1\n",  # block style, 900 deep
        "event: " + "[" * 5_000 + "\n",  # deeper than libyaml goes
    ],
    ids=["flow", "block", "beyond-libyaml"],
)
def test_deep_nesting_is_an_issue_not_a_recursion_error(yaml_parser: str, source: str) -> None:
    loaded = load_plan(source, "p.yaml")
    assert loaded.data is None
    [issue] = loaded.issues
    assert issue.code == "nesting_too_deep"
    assert issue.message.render("en") == f"The plan nests deeper than {MAX_DEPTH} levels here."


def test_a_plan_larger_than_the_limit_is_refused_before_it_is_parsed() -> None:
    source = "notes: |\n" + ("  " + "汉" * 99 + "\n") * (MAX_PLAN_BYTES // 300 + 1)
    assert len(source) < MAX_PLAN_BYTES < len(source.encode())  # the limit counts bytes, not characters
    [issue] = load_plan(source, "p.yaml").issues
    assert (issue.code, issue.line) == ("plan_too_large", 1)


# --- Control characters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column", "code"),
    [
        ("event:\n  slug: demo\n  name: a\x07b\n", 3, 10, "0007"),  # raw: YAML refuses it too
        ("名字: 中文\nevent:\n  name: a\x00b\n", 3, 10, "0000"),  # column in characters, not bytes
        ('event:\n  name: "a\\x07b"\n', 2, 9, "0007"),  # escaped: YAML would accept it
        ('event:\n  name: "a\\0b"\n', 2, 9, "0000"),
        ('event:\n  "a\\x1bb": 1\n', 2, 3, "001B"),  # in a key
        ("event:\n  name: a\ud800b\n", 2, 10, "D800"),  # a lone surrogate (from JSON) crashes libyaml
    ],
)
def test_control_characters_are_refused_at_their_line(
    yaml_parser: str, source: str, line: int, column: int, code: str
) -> None:
    issues = load_plan(source, "p.yaml").issues
    assert [(i.code, i.line, i.column) for i in issues] == [("control_character", line, column)]
    assert f"U+{code}" in issues[0].message.render("en") and "控制字符" in issues[0].message.render("zh-CN")


def test_a_key_that_is_a_list_or_a_mapping_is_refused() -> None:
    [issue] = load_plan("event:\n  ? [a, b]\n  : 1\n", "p.yaml").issues
    assert (issue.code, issue.line) == ("complex_key", 2)
