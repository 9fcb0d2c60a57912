"""Exporting the kit of an event's current plan, and telling whether a kit file is stale."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.kit.content import KitStamp
from eventguard.kit.render import html_document, pdf_document, read_stamp
from eventguard.plans import service as plans


@dataclass(frozen=True)
class Kit:
    slug: str
    stamp: KitStamp
    html: str

    def file_name(self, suffix: str) -> str:
        return f"{self.slug}-kit-v{self.stamp.plan_version}.{suffix}"

    def pdf(self) -> bytes:
        return pdf_document(self.html)


def make(*, db: Session, slug: str, clock: Clock, language: str = "zh-CN") -> Kit:
    """The kit of the event's newest plan version (404 when the event or its plan does not exist)."""
    version = plans.get_version(db=db, slug=slug)
    spec = plans.spec_of(version)
    stamp = KitStamp(
        slug=slug,
        plan_version=version.number,
        plan_checksum=version.checksum,
        exported_at=clock.now(),
        language=language,
    )
    return Kit(slug=slug, stamp=stamp, html=html_document(spec, stamp))


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".eventguard-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)  # a reader never sees half a kit


def write(kit: Kit, out: Path, *, pdf: bool = True) -> list[Path]:
    """Write ``{slug}-kit.html`` (and ``.pdf``) under ``out``, atomically; returns the paths."""
    paths = [out / f"{kit.slug}-kit.html"]
    _write(paths[0], kit.html.encode("utf-8"))
    if pdf:
        paths.append(out / f"{kit.slug}-kit.pdf")
        _write(paths[1], kit.pdf())
    return paths


@dataclass(frozen=True)
class Verdict:
    slug: str
    file_version: int
    current_version: int
    exported_at: str
    stale: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.slug,
            "file_version": self.file_version,
            "current_version": self.current_version,
            "exported_at": self.exported_at,
            "stale": self.stale,
        }


def verify_text(*, db: Session, text: str) -> Verdict:
    """Compare a kit file's stamp with the event's newest plan version."""
    stamp = read_stamp(text)
    if stamp is None:
        raise InvalidInput(Message("This is not an EventGuard kit file."), code="not_a_kit")
    slug = str(stamp.get("event", ""))
    events.get_by_slug(db=db, slug=slug)
    version = plans.get_version(db=db, slug=slug)
    number = int(stamp.get("plan_version", 0))
    stale = number < version.number or (
        number == version.number and stamp.get("plan_checksum") != version.checksum
    )
    return Verdict(
        slug=slug,
        file_version=number,
        current_version=version.number,
        exported_at=str(stamp.get("exported_at", "")),
        stale=stale,
    )
