"""Keeping the kit directory current, like the static status page (``comms.statuspage.static``):
when ``settings.kit_export_dir`` is set, the worker's periodic pass (the ``worker_pass`` hook) looks
at most once a second at every event's newest plan version (one query) and rewrites the event's kit
(HTML and PDF, each replaced atomically) when the file there is missing or of an older plan. A plan
change is therefore in the directory within about a second of the next worker pass; a directory
set up later, a deleted file or an export that failed is repaired the same way."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.kit import service
from eventguard.kit.render import read_stamp
from eventguard.logs import get_logger
from eventguard.plans.models import PlanVersion
from eventguard.worker.context import WorkerContext

CHECK_EVERY = timedelta(seconds=1)
log = get_logger("eventguard.kit")
# path -> (modification time, plan version, checksum) of the kit file last read or written there,
# so that a check reads no file that has not changed.
_SEEN: dict[Path, tuple[int, int, str]] = {}


def _file_version(path: Path) -> tuple[int, str] | None:
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    seen = _SEEN.get(path)
    if seen is not None and seen[0] == mtime:
        return seen[1], seen[2]
    stamp = read_stamp(path.read_text(encoding="utf-8", errors="replace"))
    if stamp is None:
        return None
    found = int(stamp.get("plan_version", 0)), str(stamp.get("plan_checksum", ""))
    _SEEN[path] = (mtime, *found)
    return found


def keep_current(*, database: Database, context: WorkerContext) -> list[Path]:
    """Rewrite every event's kit that is missing or stale in the export directory; returns the
    files written (none when no directory is set or the last check was under ``CHECK_EVERY`` ago)."""
    out = context.settings.kit_export_dir
    now, last = context.clock.now(), context.marks.get("kit_check")
    if out is None or (last is not None and last <= now < last + CHECK_EVERY):
        return []
    context.marks["kit_check"] = now
    newest = (
        select(PlanVersion.event_id, func.max(PlanVersion.number).label("number"))
        .group_by(PlanVersion.event_id)
        .subquery()
    )
    query = (
        select(Event.slug, PlanVersion.number, PlanVersion.checksum)
        .join(newest, newest.c.event_id == Event.id)
        .join(PlanVersion, (PlanVersion.event_id == Event.id) & (PlanVersion.number == newest.c.number))
    )
    written: list[Path] = []
    with database.session() as db:
        for slug, number, checksum in db.execute(query).all():
            html, pdf = out / f"{slug}-kit.html", out / f"{slug}-kit.pdf"
            if _file_version(html) == (number, checksum) and pdf.is_file():
                continue
            try:
                kit = service.make(
                    db=db, slug=slug, clock=context.clock, language=context.settings.default_language
                )
                paths = service.write(kit, out)
            except Exception:  # one broken event must not keep the other kits stale; retried next check
                log.exception("kit_export_failed", slug=slug)
                continue
            _SEEN.pop(html, None)
            written += paths
            log.info("kit_exported", slug=slug, version=number, files=[str(p) for p in paths])
    return written
