"""Reading a plan's YAML into plain data plus the line and column of every key and item.

PyYAML's composer gives the node tree with marks; we build the Python values from it ourselves so a
duplicate key is an error (a plain ``safe_load`` silently keeps the last one) and every path in the
data has a position for error messages.

What a plan may cost is bounded before it reaches the validator: its size in bytes, its nesting depth,
and how much its aliases may repeat (a 400-byte "billion laughs" of nested aliases would otherwise
expand to gigabytes). Control characters are refused, raw or escaped. A YAML syntax error is reported
at the line of the mistake, in our own words (zh-CN and en) for the problems people make.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eventguard.inputs import control_character
from eventguard.plans import rules
from eventguard.plans.issues import Locator, Path, PlanIssue, Position
from eventguard.plans.rules import Rule

MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml parses ~50 times faster and gives the same marks; the pure-Python loader is the fallback.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_PLAN_BYTES = 2 * 1024 * 1024
"""The largest plan, in UTF-8 bytes (the API, the console and the CLI all read plans through here)."""
MAX_DEPTH = 32
"""Mappings and lists inside each other; a real plan needs about 7."""
MAX_ALIAS_VALUES = 100_000
"""Values that aliases may repeat in all (an alias to a list of ten values repeats eleven)."""
MAX_ALIAS_CHARACTERS = MAX_PLAN_BYTES
"""Characters of text that aliases may repeat in all."""


@dataclass
class LoadedPlan:
    """The plan's data (``None`` if it could not be read) and where each part of it is."""

    data: Any
    locator: Locator
    issues: list[PlanIssue] = field(default_factory=list)


def _position(node: Node) -> Position:
    block = isinstance(node, ScalarNode) and node.style in ("|", ">")
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, block)


class _Stop(Exception):
    """Building cannot go on (too deep, aliases repeat too much): the plan is refused with ``issue``."""

    def __init__(self, issue: PlanIssue) -> None:
        super().__init__(issue.code)
        self.issue = issue


class _Builder:
    def __init__(self, locator: Locator, positions: dict[Path, Position]) -> None:
        self.locator = locator
        self.positions = positions
        self.issues: list[PlanIssue] = []
        self.constructor = SafeConstructor()
        self.active: set[int] = set()
        self.built: set[int] = set()  # nodes built once: building one again is an alias repeating it
        self.repeated_values = 0
        self.repeated_characters = 0
        self.repeating: Path | None = None  # the outermost alias being expanded, while it is

    def build(self, node: Node, path: Path) -> Any:
        if len(path) > MAX_DEPTH:
            raise _Stop(self.locator.issue(rules.NESTING_TOO_DEEP, path, limit=MAX_DEPTH))
        if id(node) in self.active:
            self.issues.append(self.locator.issue(rules.RECURSIVE_ALIAS, path))
            return None
        repeated = id(node) in self.built
        outermost = repeated and self.repeating is None
        if outermost:
            self.repeating = path
        if repeated:
            self.repeated_values += 1
            if self.repeated_values > MAX_ALIAS_VALUES:
                raise _Stop(self._expansion_issue())
        self.built.add(id(node))
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            value = self.constructor.construct_object(node, deep=True)
            if isinstance(value, str):
                if repeated:
                    self._repeat_characters(len(value))
                elif control_character(value):
                    self.issues.append(self._control_issue(value, path))
            return value
        finally:
            self.active.discard(id(node))
            if outermost:
                self.repeating = None

    def _repeat_characters(self, count: int) -> None:
        self.repeated_characters += count
        if self.repeated_characters > MAX_ALIAS_CHARACTERS:
            raise _Stop(self._expansion_issue())

    def _expansion_issue(self) -> PlanIssue:
        """At the alias that expands too much: its key's line, or for a list item the list's (the marks
        of an aliased item are its anchor's)."""
        path = self.repeating or ()
        if path and isinstance(path[-1], int):
            path = path[:-1]
        return self.locator.issue(
            rules.ALIAS_EXPANSION, path, limit=MAX_ALIAS_VALUES, characters=MAX_ALIAS_CHARACTERS
        )

    def _control_issue(self, text: str, path: Path) -> PlanIssue:
        found = control_character(text)
        code = f"{ord(found.group()):04X}" if found else "?"
        return self.locator.issue(rules.CONTROL_CHARACTER, path, code=code)

    def _sequence(self, node: SequenceNode, path: Path) -> list[Any]:
        items = []
        for index, child in enumerate(node.value):
            self.positions[(*path, index)] = _position(child)
            items.append(self.build(child, (*path, index)))
        return items

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        explicit = [pair for pair in node.value if pair[0].tag != MERGE_TAG]
        self.constructor.flatten_mapping(node)  # resolves "<<: *anchor" merges in place
        merged = node.value[: len(node.value) - len(explicit)]
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in merged + explicit:
            key_position = _position(key_node)
            if not isinstance(key_node, ScalarNode):
                self.issues.append(Locator(self.locator.file, {(): key_position}).issue(rules.COMPLEX_KEY))
                continue
            key = self.constructor.construct_object(key_node, deep=True)
            if isinstance(key, str) and control_character(key):
                self.positions.setdefault((*path, key), key_position)
                self.issues.append(self._control_issue(key, (*path, key)))
            if key in first_line:
                self.positions[(*path, key)] = key_position
                self.issues.append(
                    self.locator.issue(rules.DUPLICATE_KEY, (*path, key), key=key, first_line=first_line[key])
                )
            if (key_node, value_node) in explicit:
                first_line.setdefault(key, key_position.line)
            scalar = isinstance(value_node, ScalarNode)
            self.positions.setdefault((*path, key), _position(value_node) if scalar else key_position)
            result[key] = self.build(value_node, (*path, key))
        return result


def load_plan(source: str, filename: str) -> LoadedPlan:
    """Parse ``source``; YAML problems become issues with their line and column, never exceptions."""
    positions: dict[Path, Position] = {(): Position(1, 1)}
    lines = tuple(source.splitlines())
    locator = Locator(filename, positions, lines)

    def refused(issue: PlanIssue) -> LoadedPlan:
        return LoadedPlan(None, locator, [issue])

    if len(source) > MAX_PLAN_BYTES or len(source.encode("utf-8", "surrogatepass")) > MAX_PLAN_BYTES:
        return refused(locator.issue(rules.PLAN_TOO_LARGE, limit=MAX_PLAN_BYTES))
    raw = control_character(source)  # YAML refuses these too, but a lone surrogate crashes libyaml
    if raw is not None:
        at = _offset_position(source, raw.start())
        return refused(_at(filename, at, rules.CONTROL_CHARACTER, code=f"{ord(raw.group()):04X}"))
    try:
        root = yaml.compose(source, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        return refused(_syntax_issue(exc, lines, filename))
    except yaml.YAMLError as exc:
        return refused(locator.issue(rules.YAML_SYNTAX, problem=str(exc)))
    except RecursionError:  # the pure-Python composer recurses per level (libyaml stops at 1,000)
        return refused(locator.issue(rules.NESTING_TOO_DEEP, limit=MAX_DEPTH))
    if root is None:
        return refused(locator.issue(rules.EMPTY_PLAN))
    positions[()] = _position(root)
    if not isinstance(root, MappingNode):
        return refused(locator.issue(rules.NOT_A_MAPPING))
    builder = _Builder(locator, positions)
    try:
        data = builder.build(root, ())
    except ConstructorError as exc:
        return refused(_syntax_issue(exc, lines, filename))
    except _Stop as stop:
        return LoadedPlan(None, locator, [*builder.issues, stop.issue])
    return LoadedPlan(data, locator, builder.issues)


def _at(filename: str, position: Position, rule: Rule, **params: Any) -> PlanIssue:
    return Locator(filename, {(): position}).issue(rule, **params)


def _offset_position(source: str, offset: int) -> Position:
    line_start = source.rfind("\n", 0, offset) + 1
    return Position(source.count("\n", 0, offset) + 1, offset - line_start + 1)


def _mark_position(mark: Mark | None) -> Position:
    return Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)


def _tab_indent(lines: tuple[str, ...], candidates: list[int]) -> Position | None:
    """The first tab in the indentation of one of the ``candidates`` lines (1-based), if any."""
    for number in candidates:
        if not 0 < number <= len(lines) or not lines[number - 1].strip():
            continue
        text = lines[number - 1]
        indentation = text[: len(text) - len(text.lstrip(" \t"))]
        if "\t" in indentation:
            return Position(number, indentation.index("\t") + 1)
    return None


def _line_end_before(lines: tuple[str, ...], number: int) -> Position | None:
    """Just after the last character of the last non-blank line above line ``number`` (1-based)."""
    for above in range(min(number - 1, len(lines)), 0, -1):
        text = lines[above - 1].rstrip()
        if text and not text.lstrip().startswith("#"):
            return Position(above, len(text) + 1)
    return None


# (words in PyYAML's problem or context, our rule); the C and the pure-Python parsers word some of
# their problems differently, so each entry holds a part both share. The first match wins.
_KNOWN_PROBLEMS: tuple[tuple[str, Rule], ...] = (
    ("could not find expected ':'", rules.YAML_MISSING_COLON),
    ("mapping values are not allowed", rules.YAML_COLON_IN_VALUE),
    ("did not find expected '-' indicator", rules.YAML_EXPECTED_ITEM),
    ("did not find expected key", rules.YAML_BAD_INDENT),
    ("expected <block end>", rules.YAML_BAD_INDENT),
    ("',' or ']'", rules.YAML_UNCLOSED_LIST),
    ("',' or '}'", rules.YAML_UNCLOSED_MAPPING),
    ("unknown escape", rules.YAML_BAD_ESCAPE),
    ("found undefined alias", rules.YAML_UNDEFINED_ALIAS),
    ("found duplicate anchor", rules.YAML_DUPLICATE_ANCHOR),
    ("expected a single document", rules.YAML_SEVERAL_DOCUMENTS),
    ("could not determine a constructor", rules.YAML_TAG),
    ("expected a mapping for merging", rules.YAML_BAD_MERGE),
    ("expected a mapping or list of mappings for merging", rules.YAML_BAD_MERGE),
    ("cannot start any token", rules.YAML_BAD_CHARACTER),
    ("maximum nesting depth", rules.NESTING_TOO_DEEP),
)
_UNCLOSED_AT_END = {
    "quoted scalar": rules.YAML_UNCLOSED_QUOTE,
    "flow sequence": rules.YAML_UNCLOSED_LIST,
    "flow mapping": rules.YAML_UNCLOSED_MAPPING,
}
_END_OF_STREAM = re.compile(r"end of stream|<stream end>")


def _syntax_issue(exc: yaml.MarkedYAMLError, lines: tuple[str, ...], filename: str) -> PlanIssue:
    """The issue of a YAML error, at the line of the mistake.

    PyYAML's ``problem_mark`` is where the parser noticed; for some problems that is past the
    mistake: a key without its colon is noticed on the next line, an unclosed quote or bracket at the
    end of the file or on the next key. Then the ``context_mark`` (where the key, the quote or the
    bracket starts) or the end of the line above is the line to name."""
    context, problem = exc.context or "", exc.problem or ""
    noticed, started = exc.problem_mark, exc.context_mark
    words = f"{context} | {problem}"
    candidates = [m.line + 1 for m in (noticed, started) if m is not None]
    tab = _tab_indent(lines, [*candidates[:1], *(c - 1 for c in candidates[:1]), *candidates[1:]])
    if tab is not None and ("token" in words or "indentation" in words or "expected" in words):
        return _at(filename, tab, rules.YAML_TAB_INDENT, line=tab.line)
    position = _mark_position(noticed or started)
    rule = next((rule for part, rule in _KNOWN_PROBLEMS if part in words), None)
    if started is not None and ("simple key" in context or _END_OF_STREAM.search(problem)):
        position = _mark_position(started)  # the key without its colon; the quote or bracket never closed
        rule = rule or next((r for part, r in _UNCLOSED_AT_END.items() if part in context), None)
    elif rule in (rules.YAML_UNCLOSED_LIST, rules.YAML_UNCLOSED_MAPPING) and noticed and started:
        above = _line_end_before(lines, noticed.line + 1)
        if (
            noticed.line > started.line
            and above is not None
            and not lines[above.line - 1].rstrip().endswith(",")
        ):
            position = above  # the bracket is still open when the next line begins: it misses its end there
    if rule is None:
        problem_text = " ".join(part for part in (context, problem) if part) or "unreadable YAML"
        return _at(filename, position, rules.YAML_SYNTAX, problem=problem_text)
    if rule is rules.NESTING_TOO_DEEP:
        return _at(filename, position, rule, limit=MAX_DEPTH)
    if rule is rules.YAML_BAD_CHARACTER:
        return _at(filename, position, rule, character=_character_at(lines, position))
    return _at(filename, position, rule)


def _character_at(lines: tuple[str, ...], position: Position) -> str:
    if 0 < position.line <= len(lines) and 0 < position.column <= len(lines[position.line - 1]):
        return lines[position.line - 1][position.column - 1]
    return "?"
