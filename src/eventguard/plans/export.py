"""A plan written back: normalised JSON (stored and hashed), YAML (exported) and the JSON Schema."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from eventguard.plans.schemas import PlanSpec
from eventguard.plans.types import format_duration

_EMPTY: tuple[Any, ...] = (None, [], {})


def normalized(spec: PlanSpec) -> dict[str, Any]:
    """Every key of the plan with defaults filled in, as JSON data: what a version stores."""
    return spec.model_dump(mode="json", by_alias=True)


def checksum(spec: PlanSpec) -> str:
    """sha256 of the normalised plan: equal for plans that mean the same, however they were written."""
    return digest(normalized(spec))


def digest(document: dict[str, Any]) -> str:
    """sha256 of a normalised plan (``normalized(spec)``)."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def to_document(spec: PlanSpec) -> dict[str, Any]:
    """The plan as YAML-ready data, without keys left at an empty default (null, [] or {})."""
    return _prune(spec, normalized(spec))


def _prune(model: BaseModel, dumped: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        key = info.alias or name
        value = getattr(model, name)
        if value in _EMPTY and info.get_default(call_default_factory=True) in _EMPTY:
            continue
        document[key] = _prune_value(value, dumped[key])
    return document


def _prune_value(value: Any, dumped: Any) -> Any:
    if isinstance(value, BaseModel):
        return _prune(value, dumped)
    if isinstance(value, list):
        return [_prune_value(item, item_dumped) for item, item_dumped in zip(value, dumped, strict=True)]
    return dumped


class _PlanDumper(yaml.SafeDumper):
    """Block style with indented lists, multi-line text as ``|`` blocks (templates stay readable)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PlanDumper.add_representer(str, _represent_str)


def export_yaml(spec: PlanSpec) -> str:
    """The plan as YAML; validating it gives back an equal spec."""
    header = "# EventGuard plan (docs/plan-format.md), exported.\n"
    body = yaml.dump(
        to_document(spec),
        Dumper=_PlanDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,  # one line per text, so a diff shows the sentence that changed
    )
    return header + body


class _SchemaGenerator(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the plan format (docs/plan.schema.json)."""
    schema = PlanSpec.model_json_schema(by_alias=True, schema_generator=_SchemaGenerator)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
