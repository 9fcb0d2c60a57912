"""What changed between two plans: a list of changes by path, plus a unified diff of their YAML.

List items are matched by their id (``level`` for levels, ``name`` for phases), so the path of a
change reads ``scenarios[data-leak].runbook[contain].owner`` and moving an item is a reorder,
not a removal and an addition.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any, Literal

from eventguard.plans.export import export_yaml, normalized
from eventguard.plans.schemas import PlanSpec

ChangeKind = Literal["added", "removed", "changed", "reordered"]
_ITEM_KEYS = ("id", "level", "name")


@dataclass(frozen=True)
class Change:
    path: str
    kind: ChangeKind
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class PlanDiff:
    changes: list[Change]
    text: str  # unified diff of the two exported YAML files

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [asdict(change) for change in self.changes], "text": self.text}


def compare(before: PlanSpec, after: PlanSpec, *, before_label: str, after_label: str) -> PlanDiff:
    """Every change from ``before`` to ``after``."""
    changes: list[Change] = []
    _compare(normalized(before), normalized(after), "", changes)
    lines = difflib.unified_diff(
        export_yaml(before).splitlines(keepends=True),
        export_yaml(after).splitlines(keepends=True),
        fromfile=before_label,
        tofile=after_label,
    )
    return PlanDiff(changes, "".join(lines))


def _compare(old: Any, new: Any, path: str, changes: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(key for key in new if key not in old)]:
            child = f"{path}.{key}" if path else str(key)
            if key not in new:
                changes.append(Change(child, "removed", before=old[key]))
            elif key not in old:
                changes.append(Change(child, "added", after=new[key]))
            else:
                _compare(old[key], new[key], child, changes)
        return
    if isinstance(old, list) and isinstance(new, list):
        item_key = _item_key(old, new)
        if item_key is not None:
            _compare_keyed(old, new, item_key, path, changes)
            return
    if old != new:
        changes.append(Change(path, "changed", before=old, after=new))


def _item_key(old: list[Any], new: list[Any]) -> str | None:
    """The field that identifies the items of both lists, if every item has a distinct one."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in _ITEM_KEYS:
        if all(isinstance(item.get(key), str | int) for item in items) and all(
            len({item[key] for item in side}) == len(side) for side in (old, new)
        ):
            return key
    return None


def _compare_keyed(old: list[Any], new: list[Any], key: str, path: str, changes: list[Change]) -> None:
    old_by_key = {item[key]: item for item in old}
    new_by_key = {item[key]: item for item in new}
    for item_id, item in old_by_key.items():
        child = f"{path}[{item_id}]"
        if item_id in new_by_key:
            _compare(item, new_by_key[item_id], child, changes)
        else:
            changes.append(Change(child, "removed", before=item))
    for item_id, item in new_by_key.items():
        if item_id not in old_by_key:
            changes.append(Change(f"{path}[{item_id}]", "added", after=item))
    kept_old = [item_id for item_id in old_by_key if item_id in new_by_key]
    kept_new = [item_id for item_id in new_by_key if item_id in old_by_key]
    if kept_old != kept_new:
        changes.append(Change(path, "reordered", before=kept_old, after=kept_new))
