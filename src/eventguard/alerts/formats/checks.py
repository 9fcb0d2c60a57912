"""Reading untrusted JSON field by field, collecting every problem instead of stopping at the first.

Each reader returns the value when it is valid and None otherwise (recording why), so a format reads
all of its fields, then calls ``finish()``, which raises ``PayloadInvalid`` if anything was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from eventguard.alerts.formats.base import (
    MAX_ALERTS,
    MAX_KEY,
    MAX_PAIRS,
    MAX_PROBLEMS,
    MAX_URL,
    Loc,
    PayloadInvalid,
    Problem,
)
from eventguard.i18n import Message

GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)

# RFC 3339 / ISO 8601 with a time zone: Go writes up to 9 fractional digits (nanoseconds), which
# datetime.fromisoformat() refuses, and PagerDuty's own examples use "+0000" offsets without a colon.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)"
)


# The shapes senders write most — "2026-02-16T12:00:31Z", with .mmm or .uuuuuu — by length: these
# are read by datetime.fromisoformat (in C) once the separators are where the pattern puts them.
_ZULU_LENGTHS = frozenset((20, 24, 27))


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from RFC 3339 / ISO 8601 text with a time zone; ValueError otherwise.

    Fractions beyond microseconds are cut (not rounded), so ``.512345678Z`` is ``.512345``.
    """
    if (
        len(text) in _ZULU_LENGTHS
        and text[-1] == "Z"
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == "T"
        and text[13] == ":"
        and text[16] == ":"
        and (len(text) == 20 or text[19] == ".")
        and text.isascii()
    ):
        try:
            return datetime.fromisoformat(text)  # aware (UTC) for a "Z" suffix
        except ValueError:
            pass  # the pattern below decides, and says why
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        tz = UTC
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        tz = timezone(-offset if sign == "-" else offset)  # ValueError beyond ±24 h
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    try:
        return local.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00
        raise ValueError(f"timestamp out of range: {text!r}") from exc


_URL_ODDITIES = re.compile(r"[\x00-\x20\x7f\[\]\\]")


def is_web_url(text: str) -> bool:
    """True for an absolute http(s) URL: the only links we will ever show as clickable."""
    # urlsplit's own reading, in the fewest steps, for the plain ASCII URLs senders write; anything
    # it would clean or refuse (tabs and newlines, brackets, backslashes, other scripts) goes to it.
    if text.startswith(("http://", "https://")) and text.isascii() and not _URL_ODDITIES.search(text):
        rest = text[7:] if text[4] == ":" else text[8:]
        return bool(rest) and rest[0] not in "/?#"  # urlsplit's netloc: up to the first of these
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


class PayloadCheck:
    """The problems found in one payload so far, with typed readers for its fields."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.problems: list[Problem] = []
        self._unlisted = 0

    def problem(self, loc: Loc, message: Message) -> None:
        """Record a problem (only the first ``MAX_PROBLEMS`` are listed)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(loc, message))
        else:
            self._unlisted += 1

    @property
    def found(self) -> int:
        """How many problems were recorded, listed or not."""
        return len(self.problems) + self._unlisted

    def finish(self) -> None:
        """Raise ``PayloadInvalid`` if any problem was recorded."""
        if not self.problems:
            return
        problems = list(self.problems)
        if self._unlisted:
            problems.append(
                Problem((), Message("{count} more problems were not listed.", {"count": self._unlisted}))
            )
        raise PayloadInvalid(self.sender, problems)

    def fail(self, loc: Loc, message: Message) -> PayloadInvalid:
        """A ``PayloadInvalid`` for one problem that stops reading (wrong version, too many alerts)."""
        return PayloadInvalid(self.sender, [*self.problems, Problem(loc, message)])

    def object(self, value: Any, loc: Loc) -> dict[str, Any] | None:
        """``value`` if it is a JSON object."""
        if isinstance(value, dict):
            return value
        self.problem(loc, Message("Must be a JSON object."))
        return None

    def _present(self, container: dict[str, Any], key: str, loc: Loc, required: bool) -> bool:
        if container.get(key) is not None:
            return True
        if required:
            self.problem((*loc, key), Message("Field required."))
        return False

    def text(
        self,
        container: dict[str, Any],
        key: str,
        loc: Loc,
        *,
        limit: int,
        required: bool = False,
        blank_ok: bool = True,
    ) -> str | None:
        """The string at ``container[key]``; JSON null counts as missing."""
        value = container.get(key)
        if value is None:
            if required:
                self.problem((*loc, key), Message("Field required."))
            return None
        if type(value) is str and len(value) <= limit and (blank_ok or value.strip()):
            return value
        where = (*loc, key)
        if not isinstance(value, str):
            self.problem(where, Message("Must be a string."))
        elif not blank_ok and not value.strip():
            self.problem(where, Message("Must not be empty."))
        elif len(value) > limit:
            self.problem(where, Message("Must be at most {limit} characters.", {"limit": limit}))
        else:
            return value
        return None

    def choice(
        self, container: dict[str, Any], key: str, loc: Loc, choices: Sequence[str], *, required: bool
    ) -> str | None:
        """One of ``choices`` (exact spelling) at ``container[key]``."""
        if not self._present(container, key, loc, required):
            return None
        value = container[key]
        if isinstance(value, str) and value in choices:
            return value
        self.problem((*loc, key), Message("Must be one of: {choices}.", {"choices": ", ".join(choices)}))
        return None

    def count(self, container: dict[str, Any], key: str, loc: Loc) -> int | None:
        """A non-negative integer at ``container[key]`` (not a bool, not a float)."""
        if not self._present(container, key, loc, False):
            return None
        value = container[key]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        self.problem((*loc, key), Message("Must be an integer of 0 or more."))
        return None

    def string_map(
        self,
        container: dict[str, Any],
        key: str,
        loc: Loc,
        *,
        value_limit: int,
        required: bool = False,
        non_empty: bool = False,
    ) -> dict[str, str] | None:
        """An object of string -> string at ``container[key]``; ``{}`` when optional and missing."""
        if not self._present(container, key, loc, required):
            return None if required else {}
        where = (*loc, key)
        found = self.object(container[key], where)
        if found is None:
            return None
        if non_empty and not found:
            self.problem(where, Message("Must hold at least one label."))
            return None
        if len(found) > MAX_PAIRS:
            limits = {"count": len(found), "limit": MAX_PAIRS}
            self.problem(where, Message("Too many entries ({count}); the limit is {limit}.", limits))
            return None
        return self._pairs(found, where, value_limit)

    def _pairs(self, found: dict[str, Any], where: Loc, value_limit: int) -> dict[str, str] | None:
        if not found:
            return {}
        # The usual case, all valid, in loops that run in C: every value a str within its limit,
        # every name (a str: JSON keys are) not blank and within MAX_KEY.
        values = found.values()
        if (
            set(map(type, values)) == {str}
            and max(map(len, values)) <= value_limit
            and max(map(len, found)) <= MAX_KEY
            and all(map(str.strip, found))
        ):
            return dict(found)
        valid = True
        for name, value in found.items():
            if not name.strip() or len(name) > MAX_KEY:
                self.problem(
                    (*where, name), Message("Names must be 1 to {limit} characters.", {"limit": MAX_KEY})
                )
            elif not isinstance(value, str):
                self.problem((*where, name), Message("Must be a string."))
            elif len(value) > value_limit:
                limit = {"limit": value_limit}
                self.problem((*where, name), Message("Must be at most {limit} characters.", limit))
            else:
                continue
            valid = False
        return dict(found) if valid else None

    def timestamp(
        self,
        container: dict[str, Any],
        key: str,
        loc: Loc,
        *,
        required: bool = False,
        zero_is_none: bool = False,
    ) -> datetime | None:
        """An aware UTC datetime at ``container[key]``. Go's zero time (``0001-01-01T00:00:00Z``)
        is None when ``zero_is_none``, a problem otherwise."""
        text = self.text(container, key, loc, limit=64, required=required)
        if text is None:
            return None
        try:
            moment = parse_timestamp(text)
        except ValueError:
            example = {"example": "2026-02-16T12:00:31Z"}
            message = Message("Must be an RFC 3339 timestamp with a time zone, e.g. {example}.", example)
            self.problem((*loc, key), message)
            return None
        if moment == GO_ZERO_TIME:
            if not zero_is_none:
                message = Message("Must be a real time, not the zero time 0001-01-01T00:00:00Z.")
                self.problem((*loc, key), message)
            return None
        return moment

    def url(
        self, container: dict[str, Any], key: str, loc: Loc, *, strict: bool, required: bool = False
    ) -> str | None:
        """An http(s) URL at ``container[key]``; blank is None. Other schemes are a problem when
        ``strict``, else quietly dropped (machine-made fields must not lose a whole alert group)."""
        text = self.text(container, key, loc, limit=MAX_URL, required=required, blank_ok=not required)
        if text is None or not text.strip():
            return None
        if is_web_url(text.strip()):
            return text.strip()
        if strict:
            self.problem((*loc, key), Message("Must be an http or https URL."))
        return None

    def alert_list(self, container: dict[str, Any], key: str, loc: Loc) -> list[Any] | None:
        """The non-empty list of alerts at ``container[key]``; more than ``MAX_ALERTS`` stops reading."""
        if not self._present(container, key, loc, True):
            return None
        value = container[key]
        where = (*loc, key)
        if not isinstance(value, list):
            self.problem(where, Message("Must be a list."))
            return None
        if not value:
            self.problem(where, Message("Must hold at least one alert."))
            return None
        if len(value) > MAX_ALERTS:
            message = Message(
                "Too many alerts in one request ({count}); the limit is {limit}.",
                {"count": len(value), "limit": MAX_ALERTS},
            )
            raise self.fail(where, message)
        return value
