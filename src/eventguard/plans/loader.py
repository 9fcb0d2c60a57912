"""Reading a plan's YAML into plain data plus the line and column of every key and item.

PyYAML's composer gives the node tree with marks; we build the Python values from it ourselves so a
duplicate key is an error (a plain ``safe_load`` silently keeps the last one) and every path in the
data has a position for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eventguard.plans import rules
from eventguard.plans.issues import Locator, Path, PlanIssue, Position

MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml parses ~50 times faster and gives the same marks; the pure-Python loader is the fallback.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LoadedPlan:
    """The plan's data (``None`` if it could not be read) and where each part of it is."""

    data: Any
    locator: Locator
    issues: list[PlanIssue] = field(default_factory=list)


def _position(node: Node) -> Position:
    block = isinstance(node, ScalarNode) and node.style in ("|", ">")
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, block)


class _Builder:
    def __init__(self, locator: Locator, positions: dict[Path, Position]) -> None:
        self.locator = locator
        self.positions = positions
        self.issues: list[PlanIssue] = []
        self.constructor = SafeConstructor()
        self.active: set[int] = set()

    def build(self, node: Node, path: Path) -> Any:
        if id(node) in self.active:
            self.issues.append(self.locator.issue(rules.RECURSIVE_ALIAS, path))
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            return self.constructor.construct_object(node, deep=True)
        finally:
            self.active.discard(id(node))

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
            key = self.constructor.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                key = str(key)
            key_position = _position(key_node)
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
    locator = Locator(filename, positions, tuple(source.splitlines()))
    try:
        root = yaml.compose(source, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        return LoadedPlan(None, locator, [_syntax_issue(exc, filename)])
    except yaml.YAMLError as exc:
        return LoadedPlan(None, locator, [locator.issue(rules.YAML_SYNTAX, problem=str(exc))])
    if root is None:
        return LoadedPlan(None, locator, [locator.issue(rules.EMPTY_PLAN)])
    positions[()] = _position(root)
    if not isinstance(root, MappingNode):
        return LoadedPlan(None, locator, [locator.issue(rules.NOT_A_MAPPING)])
    builder = _Builder(locator, positions)
    try:
        data = builder.build(root, ())
    except ConstructorError as exc:
        return LoadedPlan(None, locator, [_syntax_issue(exc, filename)])
    return LoadedPlan(data, locator, builder.issues)


def _syntax_issue(exc: yaml.MarkedYAMLError, filename: str) -> PlanIssue:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(part for part in (exc.context, exc.problem) if part) or "unreadable YAML"
    position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    return Locator(filename, {(): position}).issue(rules.YAML_SYNTAX, problem=problem)
