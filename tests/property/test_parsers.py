"""Property tests (Hypothesis): the plan parser and the four alert parsers take any input without an
unexpected exception — a plan always ends in a list of line-numbered issues or a plan, an alert body
in a parsed batch or ``PayloadInvalid`` — and what they accept keeps its identity."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventguard.alerts.formats.base import ParsedBatch, PayloadInvalid, checked_payload, plain_json
from eventguard.plans.validate import validate_source
from eventguard.plugins import alert_formats
from tests.conftest import EXAMPLE_PLAN

RECEIVED = datetime(2026, 6, 16, 4, 0, tzinfo=UTC)
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
FIELDS = [
    "version",
    "alerts",
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "fingerprint",
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "summary",
    "severity",
    "source",
    "title",
    "groupKey",
    "orgId",
    "truncatedAlerts",
    "generatorURL",
    "url",
    "starts_at",
]
# Bodies shaped like the real ones (known keys), with any values: the parsers' checks get exercised.
shaped = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=6),
    max_leaves=30,
)


def _parse_any(name: str, payload: Any) -> None:
    try:
        batch = alert_formats()[name].parse(payload, received_at=RECEIVED)
    except PayloadInvalid as exc:
        assert exc.problems, "an invalid payload names its problems"
        return
    assert isinstance(batch, ParsedBatch)
    for alert in batch.alerts:
        assert alert.fingerprint and alert.status in ("firing", "resolved")


@FAST
@given(
    payload=json_values | shaped, name=st.sampled_from(["alertmanager", "grafana", "pagerduty", "generic"])
)
def test_every_alert_parser_takes_any_json(payload: Any, name: str) -> None:
    _parse_any(name, payload)


@FAST
@given(
    labels=st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True), st.text(min_size=1, max_size=20), max_size=5
    ),
    name=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
)
def test_an_alertmanager_alert_keeps_its_identity_whatever_its_labels(
    labels: dict[str, str], name: str
) -> None:
    alert = {
        "status": "firing",
        "labels": {**labels, "alertname": name},
        "annotations": {},
        "startsAt": "2026-06-16T04:00:31Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    body = {"version": "4", "status": "firing", "alerts": [alert, dict(reversed(list(alert.items())))]}
    try:
        batch = alert_formats()["alertmanager"].parse(body, received_at=RECEIVED)
    except PayloadInvalid:
        return  # e.g. a label value made only of control characters: refused with its reason
    first, second = batch.alerts
    assert first.fingerprint == second.fingerprint  # computed from the label set, not its order


@FAST
@given(text=st.text(max_size=300))
def test_the_plan_validator_takes_any_text(text: str) -> None:
    result = validate_source(source=text, filename="fuzz.yaml")
    assert result.errors or result.spec is not None
    for issue in result.errors:
        assert issue.line >= 1


_EXAMPLE = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))


@settings(FAST, max_examples=40)  # the whole example plan each time (~0.2 s)
@given(section=st.sampled_from(sorted(_EXAMPLE)), value=json_values)
def test_a_plan_with_any_section_replaced_is_validated_with_line_numbers(section: str, value: Any) -> None:
    source = yaml.safe_dump({**_EXAMPLE, section: value}, allow_unicode=True)
    result = validate_source(source=source, filename="fuzz.yaml")
    assert result.errors or result.spec is not None
    assert all(issue.line >= 1 for issue in result.errors)


json_texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
nested_values = st.recursive(
    st.none() | st.booleans() | st.integers() | json_texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_texts, inner, max_size=4),
    max_leaves=30,
)


@FAST
@given(nested_values, st.booleans())
def test_a_body_called_plain_is_one_the_check_lets_through_unchanged(value: Any, ascii_only: bool) -> None:
    """``plain_json`` may say "walk it" too often, never too rarely: a plain body's payload is
    exactly what ``checked_payload`` returns (the accept path skips the walk for it)."""
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    payload = json.loads(body)
    if plain_json(body):
        assert checked_payload(payload, "test") is payload
    if checked_payload(payload, "test") is not payload:
        assert not plain_json(body)


# --- The plan parser on YAML-shaped text: any text gives a plan or line-numbered issues ----------

_EXAMPLE_LINES = EXAMPLE_PLAN.read_text(encoding="utf-8").splitlines()
_PLAN_KEYS = sorted(_EXAMPLE)
_TOKENS = [
    *(f"{key}:" for key in _PLAN_KEYS),
    "- ",
    "  ",
    "\t",
    "&a ",
    "*a",
    "<<: *a",
    "!!python/object:os.system ",
    "!!binary ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "? ",
    ": ",
    "#",
    '"',
    "'",
    "|",
    ">",
    "---",
    "...",
    "%YAML 1.1",
    "id: x",
    "level: 1",
    "99999999999999999999",
    "\x00",
    "\u200b",
    "中文",
    "\n",
    "\r\n",
]
yaml_like = st.lists(st.sampled_from(_TOKENS) | st.text(max_size=8), max_size=60).map("".join)


# The whole example plan is validated in each case of these (~0.1 s each): fewer cases.
FEWER = settings(FAST, max_examples=30)


def _assert_validated(source: str) -> None:
    result = validate_source(source=source, filename="fuzz.yaml")
    assert result.errors or result.spec is not None
    last_line = source.count("\n") + 2  # an issue may point just past the last line (end of stream)
    for issue in [*result.errors, *result.warnings]:
        assert 1 <= issue.line <= last_line, (issue, source[:200])
        assert issue.code and issue.message


@FAST
@given(source=yaml_like)
def test_the_plan_validator_takes_any_yaml_shaped_text(source: str) -> None:
    _assert_validated(source)


@FEWER
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(_EXAMPLE_LINES) - 1),
            st.sampled_from(["delete", "duplicate", "indent", "dedent", "tab", "insert"]),
            st.sampled_from(_TOKENS),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_example_plan_with_any_lines_broken_gives_line_numbered_issues(
    edits: list[tuple[int, str, str]],
) -> None:
    lines = list(_EXAMPLE_LINES)
    for position, edit, token in edits:
        at = min(position, len(lines) - 1)
        if edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "indent":
            lines[at] = "  " + lines[at]
        elif edit == "dedent":
            lines[at] = lines[at][2:]
        elif edit == "tab":
            lines[at] = "\t" + lines[at].lstrip(" ")
        else:
            lines[at] = lines[at] + token
    _assert_validated("\n".join(lines) + "\n")


@FEWER
@given(depth=st.integers(min_value=1, max_value=3000), flow=st.booleans())
def test_a_plan_nested_to_any_depth_is_refused_with_a_line_not_a_crash(depth: int, flow: bool) -> None:
    nested = (
        ("[" * depth + "]" * depth) if flow else "".join(f"{'  ' * n}k:\n" for n in range(min(depth, 400)))
    )
    _assert_validated(f"format_version: 1\nevent: {nested}\n" if flow else f"format_version: 1\n{nested}")


@settings(FAST, max_examples=8)  # up to the bound: 100,000 repeated values (seconds)
@given(levels=st.integers(min_value=1, max_value=9), width=st.integers(min_value=2, max_value=10))
def test_alias_expansion_is_bounded_whatever_its_shape(levels: int, width: int) -> None:
    """A "billion laughs" of any shape is refused (or harmless), never expanded without bound."""
    lines = ["format_version: 1", 'a0: &a0 ["lol"]']
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]")
    lines.append(f"event: *a{levels}")
    _assert_validated("\n".join(lines) + "\n")


def test_plain_json_reads_escapes_in_pairs() -> None:
    """An escaped backslash before b, f or u is a backslash and a letter, not a control character;
    a real \\b, \\f or \\u escape (also after an escaped backslash) still asks for the walk."""
    assert plain_json(rb'{"a": "C:\\build\\file\\user"}')
    assert not plain_json(rb'{"a": "bell\bhere"}')
    assert not plain_json(rb'{"a": "x\u0001"}')
    assert not plain_json(rb'{"a": "\\\u0001"}')
    assert not plain_json(rb'{"a": "\\\\\f"}')
    for body in (rb'{"a": "C:\\build"}', rb'{"a": "\\\u0001"}', rb'{"a": "\u00e9"}'):
        payload = json.loads(body)
        assert (checked_payload(payload, "test") is payload) or not plain_json(body)
