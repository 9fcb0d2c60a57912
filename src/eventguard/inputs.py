"""The value types every request schema and route parameter is written in, so that no input reaches
the database or a renderer in a shape they cannot take.

- ``Id`` and ``Count``: whole numbers bounded to what an ``INTEGER`` column holds (PostgreSQL's
  int4; SQLite's is larger). A bigger id cannot exist and is answered 422 like any bad value, never a
  database overflow (a 500). Use them in path and query parameters as
  ``Annotated[Id, Query(...)] = default``: a bare ``= Query(...)`` default drops the bounds.
- ``SafeStr``: text without control characters (tab, line feed and carriage return are kept). NUL
  is refused by PostgreSQL's text columns, and XML — the Atom feed — cannot hold any C0 control
  character, so one such character in a maintenance title broke the public feed for everyone.
  ``strip_control`` removes the same characters from text already stored, for the renderers.
- ``FormText`` (and ``list[CleanStr] = Form(default=[])``): a field of a console or status-page
  form, where the same characters are dropped instead (a person cannot see them to take them out,
  and those pages answer with messages of their own, not a validation error). Secrets (passwords,
  the CSRF token) stay plain ``str``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from annotated_types import Interval
from fastapi import Form
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MAX_INT = 2**31 - 1
"""The largest value of an ``INTEGER`` column on every database EventGuard runs on."""

Id = Annotated[int, Interval(ge=1, le=MAX_INT)]
"""A database id (path, query or body)."""

Count = Annotated[int, Interval(ge=0, le=MAX_INT)]
"""An offset, a count or an id cursor that may be 0."""

# C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates (not encodable as UTF-8);
# the non-characters U+FFFE and U+FFFF (not allowed in XML).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def control_character(value: str) -> re.Match[str] | None:
    """The first character of ``value`` that no text of EventGuard may hold, if any."""
    return CONTROL_CHARACTERS.search(value)


def refuse_control(value: str) -> str:
    """``value`` unchanged, or a validation error naming the first control character and where it is."""
    found = control_character(value)
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "Text must not contain control characters; found U+{code} at position {position}.",
            {"code": f"{ord(found.group()):04X}", "position": found.start() + 1},
        )
    return value


def strip_control(value: str) -> str:
    """``value`` without the characters ``SafeStr`` refuses (for text stored before it did)."""
    return CONTROL_CHARACTERS.sub("", value) if control_character(value) else value


def strip_control_deep(value: Any) -> Any:
    """``strip_control`` applied to every string (and mapping key) in a JSON-like value."""
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, dict):
        return {strip_control_deep(key): strip_control_deep(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(strip_control_deep(item) for item in value)
    return value


SafeStr = Annotated[str, AfterValidator(refuse_control)]
"""Text a person or a sender typed: no control characters but tab, line feed and carriage return."""

CleanStr = Annotated[str, AfterValidator(strip_control)]
"""Text with control characters dropped (but tab, line feed and carriage return)."""

FormText = Annotated[CleanStr, Form()]
"""A text field of an HTML form: ``name: FormText = ""``."""
