"""Problems found in a plan, each with file, line and column, and the outcome of validating one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eventguard.errors import InvalidInput
from eventguard.i18n import Message
from eventguard.plans.rules import Rule, Severity
from eventguard.plans.schemas import PlanSpec

PathPart = str | int
Path = tuple[PathPart, ...]


@dataclass(frozen=True)
class Position:
    """1-based line and column of a YAML node; ``block`` for ``|`` / ``>`` scalars (text starts below)."""

    line: int
    column: int
    block: bool = False

    def inner(self, text_line: int) -> Position:
        """The position of line ``text_line`` (1-based) inside this scalar's text."""
        return Position(self.line + (1 if self.block else 0) + text_line - 1, self.column)


START = Position(1, 1)


def format_path(path: Path) -> str:
    """``("teams", 2, "lead")`` -> ``teams[2].lead``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class PlanIssue:
    """One problem: where it is, a stable code and a translatable message."""

    file: str
    line: int
    column: int
    code: str
    message: Message
    severity: Severity = "error"
    path: Path = ()

    def format(self, language: str | None = None) -> str:
        """``FILE:LINE:COL: message`` as the CLI prints it (warnings say so)."""
        prefix = f"{self.file}:{self.line}:{self.column}: "
        if self.severity == "warning":
            prefix += Message("warning:").render(language) + " "
        return f"{prefix}{self.message.render(language)} [{self.code}]"

    def to_dict(self, language: str | None = None) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "path": format_path(self.path),
            "message": self.message.render(language),
            "message_i18n": self.message.both(),
        }


@dataclass(frozen=True)
class Locator:
    """Turns a path in the plan into a file position, using the nearest node the YAML has."""

    file: str
    positions: Mapping[Path, Position] = field(default_factory=dict)
    lines: tuple[str, ...] = ()  # the source, to point inside multi-line texts

    def position(self, path: Path) -> Position:
        known: Path = ()
        for part in path:
            # Parts the document lacks (a missing key, a union tag in a Pydantic loc) are skipped.
            if (*known, part) in self.positions:
                known = (*known, part)
        return self.positions.get(known, START)

    def issue(
        self,
        rule: Rule,
        path: Path = (),
        *,
        text_line: int | None = None,
        find: str | None = None,
        **params: Any,
    ) -> PlanIssue:
        """An issue at ``path``; ``text_line`` (and the text to ``find`` on it) point inside a scalar."""
        position = self.position(path)
        if text_line is not None:
            position = position.inner(text_line)
        if find and 0 < position.line <= len(self.lines) and find in self.lines[position.line - 1]:
            position = Position(position.line, self.lines[position.line - 1].index(find) + 1)
        return PlanIssue(
            file=self.file,
            line=position.line,
            column=position.column,
            code=rule.code,
            message=Message(rule.msgid, params),
            severity=rule.severity,
            path=path,
        )


@dataclass(frozen=True)
class ValidationResult:
    """What validating a plan found; ``spec`` is set only when there is no error."""

    errors: list[PlanIssue]
    warnings: list[PlanIssue]
    spec: PlanSpec | None

    @property
    def valid(self) -> bool:
        return not self.errors

    @classmethod
    def from_issues(cls, issues: list[PlanIssue], spec: PlanSpec | None) -> ValidationResult:
        ordered = sorted(issues, key=lambda issue: (issue.line, issue.column, issue.code))
        errors = [issue for issue in ordered if issue.severity == "error"]
        warnings = [issue for issue in ordered if issue.severity == "warning"]
        return cls(errors=errors, warnings=warnings, spec=None if errors else spec)


class PlanInvalid(InvalidInput):
    """A plan that does not validate; ``details`` lists every error with its line and column."""

    code = "plan_invalid"

    def __init__(self, result: ValidationResult, language: str | None = "en") -> None:
        super().__init__(
            Message("The plan has {count} error(s).", {"count": len(result.errors)}),
            details=[issue.to_dict(language) for issue in result.errors],
        )
        self.result = result
