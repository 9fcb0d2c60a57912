from __future__ import annotations

from eventguard.plans.loader import load_plan


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


def test_it_reports_a_yaml_syntax_error_with_its_line_and_column() -> None:
    loaded = load_plan("event:\n  slug: demo\n  name: [unclosed\nteams: []\n", "p.yaml")
    assert loaded.data is None
    [issue] = loaded.issues
    assert issue.code == "yaml_syntax"
    assert (issue.file, issue.line) == ("p.yaml", 4)
    assert "YAML" in issue.message.render("en")


def test_it_reports_a_tab_indentation_as_a_syntax_error_not_a_traceback() -> None:
    [issue] = load_plan("event:\n\tslug: demo\n", "p.yaml").issues
    assert (issue.code, issue.line) == ("yaml_syntax", 2)


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
