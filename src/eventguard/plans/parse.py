"""From plain data to a ``PlanSpec``, with each Pydantic error turned into a located, translatable issue.

When the plan has shape errors we still build a partial spec from every part that is valid on its
own (one team, one scenario …), so the meaning checks can run too and a user sees all the problems
at once. References to a part that failed are not reported again as unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from typing import Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from eventguard.plans import rules
from eventguard.plans.issues import Locator, Path, PlanIssue
from eventguard.plans.schemas import TIME_OF_DAY_PATTERN, PlanSpec
from eventguard.plans.types import ID_PATTERN, SLUG_PATTERN, URL_PATTERN


@dataclass
class ParsedPlan:
    """The spec (partial when ``issues`` is not empty), the path of each of its parts, and what broke."""

    spec: PlanSpec
    issues: list[PlanIssue]
    paths: dict[int, Path] = field(default_factory=dict)
    broken_sections: set[str] = field(default_factory=set)
    broken_ids: set[tuple[str, str]] = field(default_factory=set)

    def path_of(self, model: BaseModel) -> Path:
        return self.paths.get(id(model), ())


@lru_cache(maxsize=1)
def _section_adapters() -> dict[str, tuple[bool, TypeAdapter[Any]]]:
    """Per top-level key: (is a list, adapter of one item or of the whole value)."""
    adapters: dict[str, tuple[bool, TypeAdapter[Any]]] = {}
    for name, info in PlanSpec.model_fields.items():
        annotation: Any = info.annotation
        if get_origin(annotation) is list:
            adapters[name] = (True, TypeAdapter(get_args(annotation)[0]))
        else:
            adapters[name] = (False, TypeAdapter(annotation))
    return adapters


def parse_plan(data: dict[Any, Any], locator: Locator) -> ParsedPlan:
    """Validate ``data`` against ``PlanSpec``; every error becomes an issue at its line."""
    try:
        spec = PlanSpec.model_validate(data)
    except ValidationError as exc:
        issues = [_issue_for(error, locator) for error in exc.errors()]
        parsed = _partial(data, issues)
    else:
        parsed = ParsedPlan(spec, [])
    _index_paths(parsed.spec, (), parsed.paths)
    return parsed


def _partial(data: dict[Any, Any], issues: list[PlanIssue]) -> ParsedPlan:
    values: dict[str, Any] = {}
    broken_sections: set[str] = set()
    broken_ids: set[tuple[str, str]] = set()
    paths: dict[int, Path] = {}
    for name, (is_list, adapter) in _section_adapters().items():
        if name not in data:
            if PlanSpec.model_fields[name].is_required():
                broken_sections.add(name)
            continue
        raw = data[name]
        if not is_list:
            try:
                values[name] = adapter.validate_python(raw)
            except ValidationError:
                broken_sections.add(name)
            continue
        if not isinstance(raw, list):
            broken_sections.add(name)
            continue
        items = []
        for index, raw_item in enumerate(raw):
            try:
                item = adapter.validate_python(raw_item)
            except ValidationError:
                if isinstance(raw_item, dict) and isinstance(raw_item.get("id"), str):
                    broken_ids.add((name, raw_item["id"]))
                if name == "levels":  # a broken level must not also read as a missing one
                    broken_sections.add(name)
                continue
            _index_paths(item, (name, index), paths)
            items.append(item)
        values[name] = items
    spec = PlanSpec.model_construct(**values)
    return ParsedPlan(spec, issues, paths, broken_sections, broken_ids)


def _index_paths(model: BaseModel, path: Path, paths: dict[int, Path]) -> None:
    if id(model) in paths:
        return
    paths[id(model)] = path
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        key = info.alias or name
        if isinstance(value, BaseModel):
            _index_paths(value, (*path, key), paths)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _index_paths(item, (*path, key, index), paths)


@lru_cache(maxsize=1)
def _known_keys() -> tuple[str, ...]:
    schema = PlanSpec.model_json_schema()
    keys = set(schema["properties"])
    for definition in schema.get("$defs", {}).values():
        keys.update(definition.get("properties", {}))
    return tuple(sorted(keys))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


_PATTERN_RULES = {
    ID_PATTERN: rules.INVALID_ID,
    URL_PATTERN: rules.INVALID_URL,
    SLUG_PATTERN: rules.INVALID_SLUG,
    TIME_OF_DAY_PATTERN: rules.INVALID_TIME_OF_DAY,
}
_TYPE_RULES = {
    "string_type": rules.EXPECTED_TEXT,
    "int_type": rules.EXPECTED_INTEGER,
    "int_parsing": rules.EXPECTED_INTEGER,
    "int_from_float": rules.EXPECTED_INTEGER,
    "float_type": rules.EXPECTED_NUMBER,
    "float_parsing": rules.EXPECTED_NUMBER,
    "bool_type": rules.EXPECTED_BOOLEAN,
    "bool_parsing": rules.EXPECTED_BOOLEAN,
    "list_type": rules.EXPECTED_LIST,
    "dict_type": rules.EXPECTED_MAPPING,
    "model_type": rules.EXPECTED_MAPPING,
    "model_attributes_type": rules.EXPECTED_MAPPING,
    "datetime_type": rules.INVALID_DATETIME,
    "datetime_parsing": rules.INVALID_DATETIME,
    "datetime_from_date_parsing": rules.INVALID_DATETIME,
    "timezone_aware": rules.NAIVE_DATETIME,
    "invalid_duration": rules.INVALID_DURATION,
    "invalid_timezone": rules.INVALID_TIMEZONE,
    "invalid_target": rules.INVALID_TARGET,
    "string_too_short": rules.EMPTY_TEXT,
}


_QUOTING_RULES = frozenset({"invalid_duration", "invalid_timezone"})


def _issue_for(error: ErrorDetails, locator: Locator) -> PlanIssue:
    kind, path, ctx, value = error["type"], tuple(error["loc"]), error.get("ctx", {}), error["input"]
    if kind == "missing":
        return locator.issue(rules.MISSING_KEY, path, key=path[-1])
    if kind == "extra_forbidden":
        return _unknown_key(locator, path)
    if kind == "model_type" and ctx.get("class_name") == "LocalizedText":
        return locator.issue(rules.EXPECTED_LOCALIZED, path, value=_show(value))
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        return locator.issue(rules.INVALID_CHOICE, path, value=_show(value), expected=expected)
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "")).strip("'")
        return locator.issue(
            rules.INVALID_CHOICE,
            (*path, key),
            value=_show(ctx.get("tag")),
            expected=ctx.get("expected_tags", ""),
        )
    if kind == "union_tag_not_found":
        return locator.issue(rules.MISSING_KEY, path, key=str(ctx.get("discriminator", "")).strip("'"))
    if kind == "string_pattern_mismatch":
        rule = _PATTERN_RULES.get(str(ctx.get("pattern")))
        if rule is not None:
            return locator.issue(rule, path, value=value)
    if kind in ("greater_than_equal", "greater_than"):
        return locator.issue(rules.TOO_SMALL, path, value=_show(value), limit=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return locator.issue(rules.TOO_LARGE, path, value=_show(value), limit=ctx.get("le", ctx.get("lt")))
    if kind in _QUOTING_RULES:  # their message puts the value in quotes already
        return locator.issue(_TYPE_RULES[kind], path, value=_show(value).strip('"'))
    if kind in _TYPE_RULES:
        return locator.issue(_TYPE_RULES[kind], path, value=_show(value))
    return locator.issue(rules.INVALID_VALUE, path, detail=error["msg"])


def _unknown_key(locator: Locator, path: Path) -> PlanIssue:
    key = str(path[-1])
    close = get_close_matches(key, _known_keys(), n=1, cutoff=0.75)
    if close:
        return locator.issue(rules.UNKNOWN_KEY_SUGGESTION, path, key=key, suggestion=close[0])
    return locator.issue(rules.UNKNOWN_KEY, path, key=key)
