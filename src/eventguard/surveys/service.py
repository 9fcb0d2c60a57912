"""Survey answers: CSV import (column mapping; UTF-8 or GB18030), the public form (no login, a limit
per IP, a honeypot, no personal data), complaint tags from the plan's zh/en keyword rules, the
ranking across events, and a complaint made into a risk. Keyword-only functions that take the
session; they flush, callers commit.

Tags are computed when read, with the plan in force (edit the rules, and every answer — of this
event and of past ones — is tagged anew). Chinese keywords match anywhere in the text, English ones
as whole words; both case-insensitive.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.errors import EventGuardError, InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec, SurveyTag
from eventguard.risks import service as risks
from eventguard.risks.models import RiskEntry
from eventguard.risks.schemas import RiskCreate
from eventguard.surveys.models import SurveyResponse

Encoding = Literal["auto", "utf-8", "gb18030"]
MAX_TEXT = 4000
MAX_ROWS = 50_000
FORM_WINDOW = timedelta(hours=1)


class RateLimited(EventGuardError):
    status_code = 429
    code = "rate_limited"


def decode(raw: bytes, encoding: Encoding = "auto") -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in: ``auto`` tries UTF-8 (with or without
    a BOM), then GB18030 (which covers GBK and GB2312)."""
    tried = (
        ("utf-8-sig", "gb18030")
        if encoding == "auto"
        else ("utf-8-sig" if encoding == "utf-8" else encoding,)
    )
    for name in tried:
        try:
            return raw.decode(name), "utf-8" if name == "utf-8-sig" else name
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        Message("The file is not {encoding} text.", {"encoding": " / ".join(tried)}), code="csv_encoding"
    )


@dataclass
class ImportResult:
    imported: int
    skipped: int
    encoding: str
    errors: list[dict[str, Any]] = field(default_factory=list)


def _moment(value: str, zone: ZoneInfo) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def import_csv(
    *,
    db: Session,
    event_id: int,
    raw: bytes,
    mapping: dict[str, str],
    encoding: Encoding,
    actor: Actor,
    clock: Clock,
) -> ImportResult:
    """Import the answers of a CSV file into the event. ``mapping`` names the file's column of each
    field: ``text`` (required), ``rating`` (1–5) and ``submitted_at`` (ISO 8601; without an offset,
    the event's time zone). Empty answers are skipped; bad ratings or times are reported by line and
    left empty."""
    text, used = decode(raw, encoding)
    reader = csv.DictReader(io.StringIO(text))
    headers = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = headers
    if "text" not in mapping:
        raise InvalidInput(Message("The column mapping needs the text column."), code="mapping_incomplete")
    for name, column in mapping.items():
        if name not in ("text", "rating", "submitted_at"):
            raise InvalidInput(
                Message("Unknown field {field} in the mapping.", {"field": name}), code="mapping_field"
            )
        if column not in headers:
            raise InvalidInput(
                Message("The file has no column {column}.", {"column": column}),
                code="csv_column_missing",
                details={"columns": headers},
            )
    zone = ZoneInfo(events.get(db=db, event_id=event_id).timezone)
    batch, now = secrets.token_hex(8), clock.now()
    result = ImportResult(0, 0, used)
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise InvalidInput(
                Message("A file may hold at most {limit} answers.", {"limit": MAX_ROWS}), code="csv_too_long"
            )
        answer = (row.get(mapping["text"]) or "").strip()[:MAX_TEXT]
        if not answer:
            result.skipped += 1
            continue
        rating = None
        if "rating" in mapping and (row.get(mapping["rating"]) or "").strip():
            value = (row.get(mapping["rating"]) or "").strip()
            if value.isdigit() and 1 <= int(value) <= 5:
                rating = int(value)
            else:
                result.errors.append({"line": number, "field": "rating", "value": value})
        moment = None
        if "submitted_at" in mapping:
            value = row.get(mapping["submitted_at"]) or ""
            moment = _moment(value, zone)
            if moment is None and value.strip():
                result.errors.append({"line": number, "field": "submitted_at", "value": value})
        db.add(
            SurveyResponse(
                event_id=event_id,
                source="csv",
                rating=rating,
                text=answer,
                submitted_at=moment or now,
                batch=batch,
            )
        )
        result.imported += 1
    db.flush()
    record(
        db=db,
        actor=actor,
        action="survey.import",
        target_type="event",
        target_id=event_id,
        after={"batch": batch, "imported": result.imported, "skipped": result.skipped, "encoding": used},
        clock=clock,
    )
    return result


def ip_hash(ip: str, secret: str) -> str:
    """A keyed hash of the sender's address: enough to count per address, not to find the address."""
    return hmac.new(secret.encode(), ip.encode(), hashlib.sha256).hexdigest()


def submit_form(
    *,
    db: Session,
    event_id: int,
    spec: PlanSpec,
    text: str,
    rating: int | None,
    honeypot: str,
    ip: str,
    secret: str,
    clock: Clock,
) -> bool:
    """Store one form answer; False (nothing stored, and the sender is not told) when the honeypot
    field was filled in. 429 after the plan's number of answers from one address in an hour; 404 when
    the plan has no public form."""
    if not spec.surveys.public_form:
        raise NotFound(Message("This event has no feedback form."), code="form_closed")
    answer = text.strip()
    if not answer:
        raise InvalidInput(Message("Please write your feedback."), code="text_required")
    if len(answer) > MAX_TEXT:
        raise InvalidInput(
            Message("Feedback may be at most {limit} characters.", {"limit": MAX_TEXT}), code="text_too_long"
        )
    if rating is not None and not 1 <= rating <= 5:
        raise InvalidInput(Message("The rating is from 1 to 5."), code="rating_range")
    now, key = clock.now(), ip_hash(ip, secret)
    recent = db.scalar(
        select(func.count()).where(
            SurveyResponse.ip_hash == key, SurveyResponse.submitted_at > now - FORM_WINDOW
        )
    )
    if (recent or 0) >= spec.surveys.form_limit_per_hour:
        raise RateLimited(
            Message("Too many answers from this address; please try again later."),
            details={"retry_after": int(FORM_WINDOW.total_seconds())},
        )
    if honeypot.strip():
        return False
    db.add(
        SurveyResponse(
            event_id=event_id, source="form", rating=rating, text=answer, submitted_at=now, ip_hash=key
        )
    )
    db.flush()
    return True


@dataclass(frozen=True)
class Matcher:
    tags: tuple[tuple[str, tuple[str, ...], re.Pattern[str] | None], ...]

    def __call__(self, text: str) -> list[str]:
        lowered = text.lower()
        found = []
        for tag_id, chinese, english in self.tags:
            if any(word in lowered for word in chinese) or (english is not None and english.search(lowered)):
                found.append(tag_id)
        return found


def matcher(tags: Sequence[SurveyTag]) -> Matcher:
    """The tagger of the plan's rules."""
    built = []
    for tag in tags:
        english = None
        if tag.keywords_en:
            words = "|".join(re.escape(word.lower()) for word in tag.keywords_en)
            english = re.compile(rf"(?<![a-z0-9])(?:{words})(?![a-z0-9])")
        built.append((tag.id, tuple(word.lower() for word in tag.keywords_zh), english))
    return Matcher(tuple(built))


def responses(*, db: Session, event_id: int, limit: int | None = None) -> Sequence[SurveyResponse]:
    query = (
        select(SurveyResponse)
        .where(SurveyResponse.event_id == event_id)
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
    )
    return db.scalars(query.limit(limit) if limit else query).all()


@dataclass
class EventColumn:
    slug: str
    name: str
    responses: int


@dataclass
class RankedTag:
    tag: str
    name: dict[str, str]
    total: int
    counts: list[int]
    shares: list[float]
    trend: float | None
    response_ids: list[int]


@dataclass
class Ranking:
    events: list[EventColumn]
    tags: list[RankedTag]
    untagged: int


def _event_start(db: Session, event_id: int, fallback: datetime) -> datetime:
    try:
        spec = plans.get_active_plan(db=db, event_id=event_id)
    except NotFound:
        return fallback
    starts = [phase.start for phase in spec.event.phases if phase.name == "live"]
    return min(starts) if starts else fallback


def ranking(*, db: Session, event_id: int, spec: PlanSpec) -> Ranking:
    """Every tag of the plan ranked by how many answers have it (all events together), with its count
    and share per event (events in the order of their live phase) and its trend: the share in this
    event minus the share in the event before it that has answers (None without two such events)."""
    tag_of = matcher(spec.surveys.tags)
    ordered = sorted(events.list_events(db=db), key=lambda e: (_event_start(db, e.id, e.created_at), e.id))
    columns: list[EventColumn] = []
    per_event: list[tuple[int, dict[str, int]]] = []
    ids: dict[str, list[int]] = {tag.id: [] for tag in spec.surveys.tags}
    untagged = 0
    for event in ordered:
        counts = {tag.id: 0 for tag in spec.surveys.tags}
        rows = responses(db=db, event_id=event.id)
        if not rows and event.id != event_id:
            continue
        for row in rows:
            found = tag_of(row.text)
            untagged += event.id == event_id and not found
            for tag_id in found:
                counts[tag_id] += 1
                if event.id == event_id:
                    ids[tag_id].append(row.id)
        columns.append(EventColumn(event.slug, event.name, len(rows)))
        per_event.append((event.id, counts))
    here = next((index for index, (eid, _c) in enumerate(per_event) if eid == event_id), None)
    ranked = []
    for tag in spec.surveys.tags:
        tag_counts = [found[tag.id] for _eid, found in per_event]
        shares = [
            round(count / column.responses, 4) if column.responses else 0.0
            for count, column in zip(tag_counts, columns, strict=True)
        ]
        trend = None
        if here is not None and columns[here].responses:
            earlier = [index for index in range(here) if columns[index].responses]
            if earlier:
                trend = round(shares[here] - shares[earlier[-1]], 4)
        ranked.append(
            RankedTag(
                tag.id,
                tag.name.model_dump(by_alias=True),
                sum(tag_counts),
                tag_counts,
                shares,
                trend,
                ids[tag.id],
            )
        )
    ranked.sort(key=lambda item: (-item.total, -(item.trend or 0.0), item.tag))
    return Ranking(columns, ranked, untagged)


def complaint_to_risk(
    *, db: Session, event_id: int, spec: PlanSpec, tag_id: str, actor: Actor, clock: Clock
) -> RiskEntry:
    """A complaint tag made into a risk of the register (source ``survey``), with its evidence: the
    counts per event and the ids of this event's answers. Likelihood from this event's share of
    answers (≥ 30 % → 4, ≥ 15 % → 3, ≥ 5 % → 2, else 1), impact 3; people adjust both afterwards."""
    tag = next((item for item in spec.surveys.tags if item.id == tag_id), None)
    if tag is None:
        raise NotFound(
            Message("The plan has no survey tag {tag}.", {"tag": tag_id}), code="survey_tag_not_found"
        )
    found = ranking(db=db, event_id=event_id, spec=spec)
    item = next(entry for entry in found.tags if entry.tag == tag_id)
    here = next(
        (
            i
            for i, column in enumerate(found.events)
            if column.slug == events.get(db=db, event_id=event_id).slug
        ),
        None,
    )
    share = item.shares[here] if here is not None else 0.0
    likelihood = 4 if share >= 0.3 else 3 if share >= 0.15 else 2 if share >= 0.05 else 1
    evidence = {
        "survey_tag": tag.id,
        "responses": item.response_ids[:200],
        "counts": {column.slug: count for column, count in zip(found.events, item.counts, strict=True)},
        "shares": {column.slug: value for column, value in zip(found.events, item.shares, strict=True)},
        "trend": item.trend,
    }
    data = RiskCreate.model_validate(
        {
            "key": f"complaint-{tag.id}"[:64],
            "category": tag.category,
            "title": {
                "zh-CN": f"参与者投诉:{tag.name.zh_cn}",
                "en": f"Participant complaints: {tag.name.en}",
            },
            "likelihood": likelihood,
            "impact": 3,
            "scenario_id": tag.scenario,
        }
    )
    return risks.create_risk(
        db=db,
        event_id=event_id,
        spec=spec,
        data=data,
        actor=actor,
        clock=clock,
        source="survey",
        evidence=evidence,
    )


# -- editing the complaint tags: a new plan version


_TOP_LEVEL_KEY = re.compile(r"^[^\s#-][^:]*:")


def replace_section(source: str, key: str, value: Any) -> str:
    """``source`` with its top-level ``key`` (block or flow style, up to the next top-level key; the
    comments just above that next key stay with it) replaced by ``value`` written as YAML; appended
    when the plan has no such key. Everything else of the file — comments, order, quoting — is kept."""
    import yaml

    written = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=100)
    lines = source.splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        tail = "" if source.endswith("\n") or not source else "\n"
        return f"{source}{tail}\n{written}"
    end = next((n for n in range(start + 1, len(lines)) if _TOP_LEVEL_KEY.match(lines[n])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return "".join(lines[:start]) + written + "".join(lines[end:])


@dataclass
class TagsEdited:
    version: int
    changed: bool
    retagged: int
    """Stored answers (of every event) whose tags are not the same under the new rules."""
    answers: int


def edit_tags(
    *,
    db: Session,
    slug: str,
    tags: Sequence[dict[str, Any]],
    actor: Actor,
    clock: Clock,
    comment: str | None = None,
    role: Role | None = None,
    language: str | None = "en",
) -> TagsEdited:
    """Replace the plan's ``surveys.tags`` by ``tags`` as a new plan version (validated like any plan:
    ``PlanInvalid`` with every error; the plan history, diff and audit hold the change). Tags are
    computed when answers are read, so every stored answer is tagged by the new rules at once; the
    answer says how many of them changed. Audited as ``survey.tags_edit`` (before and after)."""
    import yaml

    event = events.get_by_slug(db=db, slug=slug)
    current = plans.get_version(db=db, slug=slug)
    before = plans.spec_of(current)
    document = yaml.safe_load(current.source) or {}
    section = dict(document.get("surveys") or {})
    section["tags"] = [dict(tag) for tag in tags]
    source = replace_section(current.source, "surveys", section)
    version = plans.apply_plan(
        db=db,
        source=source,
        filename=f"{slug}.yaml",
        actor=actor,
        clock=clock,
        comment=comment or "Survey tags edited in EventGuard",
        language=language,
        role=role,
    )
    after = plans.spec_of(version)
    old_tags, new_tags = matcher(before.surveys.tags), matcher(after.surveys.tags)
    texts = db.scalars(select(SurveyResponse.text)).all()
    retagged = sum(1 for text in texts if old_tags(text) != new_tags(text))
    changed = version.id != current.id
    if changed:
        record(
            db=db,
            actor=actor,
            action="survey.tags_edit",
            target_type="event",
            target_id=event.slug,
            before={
                "version": current.number,
                "tags": [t.model_dump(mode="json") for t in before.surveys.tags],
            },
            after={
                "version": version.number,
                "tags": [t.model_dump(mode="json") for t in after.surveys.tags],
                "retagged": retagged,
            },
            clock=clock,
        )
    return TagsEdited(version=version.number, changed=changed, retagged=retagged, answers=len(texts))
