"""Label matchers with Alertmanager's semantics (``prometheus/alertmanager`` ``pkg/labels/matcher.go``):
``=`` equal, ``!=`` not equal, ``=~`` regex, ``!~`` not regex; a regex is anchored at both ends
(``^(?:re)$``), a label the alert lacks has the empty value, and a silence matches an alert when
every one of its matchers does."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Operator = Literal["=", "!=", "=~", "!~"]
OPERATORS: tuple[Operator, ...] = ("=", "!=", "=~", "!~")
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_REGEX = 1000
# name, operator, value: `name=value`, `name!~"re"` (the value may be double-quoted).
_TEXT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)


class MatcherError(ValueError):
    """A matcher that cannot be used (bad name, operator or regex); ``str()`` says why."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Operator
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, name: str, op: str, value: str) -> Matcher:
        if not LABEL_NAME.match(name):
            raise MatcherError(f"{name!r} is not a label name")
        if op not in OPERATORS:
            raise MatcherError(f"{op!r} is not an operator (=, !=, =~, !~)")
        regex = None
        if op in ("=~", "!~"):
            if len(value) > MAX_REGEX:
                raise MatcherError(f"the regex of {name} is longer than {MAX_REGEX} characters")
            try:
                regex = re.compile(f"^(?:{value})$")
            except re.error as exc:
                raise MatcherError(f"the regex of {name} is not valid: {exc}") from None
        return cls(name, op, value, regex)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """``alertname="HLSPlaylistStale"``, ``instance=~"edge-.*"``, ``env!=prod`` …"""
        found = _TEXT.match(text)
        if found is None:
            raise MatcherError(f"{text!r} is not a matcher (name, one of = != =~ !~, value)")
        name, op, value = found.groups()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return cls.build(name, op, value)

    def matches_value(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self._regex is not None
        found = self._regex.match(value) is not None
        return found if self.op == "=~" else not found

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.matches_value(labels.get(self.name, ""))

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def build_all(items: Iterable[Mapping[str, Any]]) -> list[Matcher]:
    return [Matcher.build(str(i["name"]), str(i["op"]), str(i["value"])) for i in items]


def check_set(matchers: list[Matcher]) -> None:
    """Alertmanager refuses a silence without matchers, or whose every matcher matches the empty
    value (it would silence every alert): at least one must need something of the alert."""
    if not matchers:
        raise MatcherError("at least one matcher is needed")
    if all(m.matches_value("") for m in matchers):
        raise MatcherError("at least one matcher must not match the empty value (it would match every alert)")


def all_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    for matcher in matchers:  # noqa: SIM110  (no generator object per alert in the hot loop)
        if not matcher.matches(labels):
            return False
    return True
