"""Shared test data: the recorded payloads under ``payloads/`` and a fixed receipt time."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from eventguard.alerts import PayloadInvalid

PAYLOADS = Path(__file__).parent / "payloads"
RECEIVED_AT = datetime(2026, 2, 16, 12, 30, 0, tzinfo=UTC)


@cache
def _read(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def load(name: str) -> Any:
    """A fresh copy of ``payloads/<name>.json``, safe to edit in a test."""
    return copy.deepcopy(_read(name))


def problems_of(excinfo: pytest.ExceptionInfo[PayloadInvalid]) -> dict[tuple[str | int, ...], str]:
    """location -> English message of every problem a ``PayloadInvalid`` lists."""
    return {tuple(item["loc"]): item["msg"] for item in excinfo.value.details}
