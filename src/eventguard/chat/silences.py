"""Silences from the war room: ``silence MATCHER… DURATION [COMMENT]`` (``静默 …``), ``silences``
(``静默列表``) and ``unsilence ID`` (``取消静默 ID``). The text is read into the API's own request
shape (``noise.schemas.SilenceCreate``, so it is validated exactly as the API validates it) and
created, listed and expired with the services the API routes call (``eventguard.noise.silencing``),
the platform as the silence's source and the actor type of its audit entry."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.noise import silencing
from eventguard.noise.matchers import Matcher, MatcherError
from eventguard.noise.models import Silence
from eventguard.noise.schemas import SilenceCreate
from eventguard.plans.types import parse_duration

# A word of the text: runs of non-space characters and double-quoted parts (`region=~"sh bj|gz"`).
_TOKEN = re.compile(r'(?:[^\s"]|"(?:[^"\\]|\\.)*"?)+')
_WHOLE = re.compile(r'(?:[^\s"]|"(?:[^"\\]|\\.)*")+')
_MATCHER_START = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)")
# Quotes that phones and chat clients put in for `"` (curly, full width).
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\uff02": '"', "\u201e": '"'})
# Slack escapes &, < and > in message text and wraps links as <url|text> or <url>.
_SLACK_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>|<((?:https?|mailto):[^<>]*)>")
_ID = re.compile(r"^#?(\d{1,9})$")


def _slack_plain(text: str) -> str:
    text = _SLACK_LINK.sub(lambda m: m.group(2) if m.group(1) else m.group(3), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def read(args: str, platform: str) -> tuple[list[dict[str, str]], str, str]:
    """(matchers, duration text, comment) of ``silence``'s arguments; InvalidInput saying what is wrong."""
    text = (_slack_plain(args) if platform == "slack" else args).translate(_QUOTES).strip()
    matchers: list[dict[str, str]] = []
    position = 0
    for found in _TOKEN.finditer(text):
        word = found.group(0)
        if not _MATCHER_START.match(word):
            break
        try:
            if not _WHOLE.fullmatch(word):
                raise MatcherError(f"the quote in {word} is not closed")
            matchers.append(Matcher.parse(word).as_dict())
        except MatcherError as exc:
            raise InvalidInput(
                Message("Bad matchers: {problem}.", {"problem": str(exc)}), code="invalid_matchers"
            ) from None
        position = found.end()
    rest = text[position:].strip()
    if not matchers:
        first = rest.split(maxsplit=1)[0] if rest else ""
        raise InvalidInput(
            Message(
                'Bad matchers: {value} is not a matcher (like alertname=X or region=~"sh|bj").',
                {"value": first or "—"},
            ),
            code="invalid_matchers",
        )
    duration, _, comment = rest.replace("\n", " ").partition(" ")
    if not duration:
        raise InvalidInput(
            Message("Say how long the silence lasts after the matchers: 30m, 2h, 1d …"),
            code="silence_end_missing",
        )
    return matchers, duration, comment.strip()


def _when(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") + f" ({timezone})"


def _shown(silence: Silence) -> str:
    return ", ".join(str(Matcher.build(m["name"], m["op"], m["value"])) for m in silence.matchers)


def _problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def create(
    *,
    db: Session,
    event_id: int,
    incident_id: int,
    args: str,
    actor: Actor,
    platform: str,
    lang: str,
    clock: Clock,
) -> tuple[Silence, str]:
    """Create the silence the text asks for; (it, the confirmation in ``lang``)."""
    matchers, duration_text, comment = read(args, platform)
    try:
        duration = parse_duration(duration_text)
    except ValueError:
        raise InvalidInput(
            Message("Bad duration {value}: use 30m, 2h, 1d …", {"value": duration_text}),
            code="invalid_duration",
        ) from None
    default = f"from {platform} by {actor.name} in the war room of incident #{incident_id}"
    try:  # the API's request shape: its bounds (50 matchers, lengths, control characters) apply
        body = SilenceCreate.model_validate(
            {"matchers": matchers, "duration": duration, "comment": comment or default}
        )
    except ValidationError as exc:
        raise InvalidInput(
            Message("Bad silence: {problem}.", {"problem": _problem(exc)}), code="invalid_silence"
        ) from None
    assert body.duration is not None
    start = clock.now()
    silence = silencing.create_silence(
        db=db,
        event_id=event_id,
        matchers=[m.model_dump() for m in body.matchers],
        starts_at=start,
        ends_at=start + body.duration,
        comment=body.comment,
        actor=actor,
        source=platform,
        clock=clock,
    )
    event = events.get(db=db, event_id=event_id)
    text = t(
        "Silence {id} created until {end}: {matchers}.",
        lang,
        id=silence.id,
        end=_when(silence.ends_at, event.timezone),
        matchers=_shown(silence),
    )
    return silence, text


def listing(*, db: Session, event_id: int, lang: str, clock: Clock) -> str:
    """The event's pending and active silences, ending soonest first (at most 20 shown)."""
    now = clock.now()
    found = silencing.list_silences(db=db, event_id=event_id, at=now)
    if not found:
        return t("No active silences.", lang)
    timezone = events.get(db=db, event_id=event_id).timezone
    lines = [t("Silences ({count}):", lang, count=len(found))]
    for silence in found[:20]:
        pending = silencing.silence_state(silence, now) == "pending"
        lines.append(
            t(
                "#{id} {matchers} until {end}{pending}, by {who}: {comment}",
                lang,
                id=silence.id,
                matchers=_shown(silence),
                end=_when(silence.ends_at, timezone),
                pending=t(" (not started)", lang) if pending else "",
                who=silence.created_by,
                comment=silence.comment,
            )
        )
    if len(found) > 20:
        lines.append(t("… and {count} more in the console.", lang, count=len(found) - 20))
    return "\n".join(lines)


def expire(
    *, db: Session, event_id: int, args: str, actor: Actor, lang: str, clock: Clock
) -> tuple[Silence, str]:
    """Expire the silence ``args`` names (``12`` or ``#12``); (it, the confirmation in ``lang``)."""
    found = _ID.match(args.strip().split(maxsplit=1)[0] if args.strip() else "")
    if found is None:
        raise InvalidInput(
            Message("Name the silence to expire by its id: unsilence 12."), code="invalid_silence_id"
        )
    silence = silencing.expire_silence(
        db=db, event_id=event_id, silence_id=int(found.group(1)), actor=actor, clock=clock
    )
    return silence, t("Silence {id} expired.", lang, id=silence.id)
