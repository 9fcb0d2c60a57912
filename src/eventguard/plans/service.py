"""Plan versions: validating, applying (immutable, numbered versions), reading the plan in force,
exporting and comparing. Keyword-only functions that take the session; they flush, callers commit.

Other domains read the plan in force with ``get_active_plan`` (cached per plan content) and ask
``current_phase``; auth asks ``two_factor_roles``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from threading import Lock

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.domains import hook_functions
from eventguard.errors import Conflict, NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.plans import diff as plan_diff
from eventguard.plans import export, security, validate
from eventguard.plans.issues import PlanInvalid, ValidationResult
from eventguard.plans.models import PlanVersion
from eventguard.plans.schemas import PlanSpec, Security
from eventguard.plans.types import PhaseName

_CACHE_SIZE = 64
_USER_ACTORS = ("user", "token")  # both carry the user's id
_spec_cache: OrderedDict[str, PlanSpec] = OrderedDict()
_cache_lock = Lock()


def validate_source(*, source: str, filename: str) -> ValidationResult:
    """Every error and warning in a plan's YAML, each with file, line and column; never raises."""
    return validate.validate_source(source=source, filename=filename)


def apply_plan(
    *,
    db: Session,
    source: str,
    filename: str,
    actor: Actor,
    clock: Clock,
    comment: str | None = None,
    language: str | None = "en",
    role: Role | None = None,
) -> PlanVersion:
    """Store ``source`` as the event's newest plan version (creating or updating the event).

    Raises ``PlanInvalid`` (422, every error in ``details``) if it does not validate. Applying a plan
    that means the same as the newest version changes nothing and returns that version.

    ``role`` is the caller's effective role (a user's or token's; None for the command line and the
    system). A plan that changes the security policy (``plans.security``) is refused with 403
    ``security_policy_admin_only`` below admin, before anything is stored; an admin's change is
    audited (``plan.security_change``, before and after).
    """
    result = validate.validate_source(source=source, filename=filename)
    if result.spec is None:
        raise PlanInvalid(result, language)
    spec = result.spec
    existing = events.find_by_slug(db=db, slug=spec.event.slug)
    newest = _newest(db=db, event_id=existing.id) if existing is not None else None
    before_security = spec_of(newest).security if newest is not None else Security()
    changed = security.check_change(actor=actor, role=role, before=before_security, after=spec.security)
    event = events.upsert(
        db=db, slug=spec.event.slug, name=spec.event.name.zh_cn, timezone=spec.event.timezone, clock=clock
    )
    document = export.normalized(spec)
    digest = export.digest(document)
    if newest is not None and newest.checksum == digest:
        return newest
    version = PlanVersion(
        event_id=event.id,
        number=(newest.number if newest else 0) + 1,
        source=source,
        spec=document,
        checksum=digest,
        author_id=actor.id if actor.type in _USER_ACTORS else None,
        author_name=actor.name,
        comment=comment,
        created_at=clock.now(),
    )
    _insert(db, version)
    record(
        db=db,
        actor=actor,
        action="plan.apply",
        target_type="event",
        target_id=spec.event.slug,
        before={"version": newest.number, "checksum": newest.checksum} if newest else None,
        after={"version": version.number, "checksum": digest, "comment": comment},
        clock=clock,
    )
    if changed:
        record(
            db=db,
            actor=actor,
            action="plan.security_change",
            target_type="event",
            target_id=spec.event.slug,
            before={"version": newest.number if newest else None, **security.policy(before_security)},
            after={"version": version.number, "fields": changed, **security.policy(spec.security)},
            clock=clock,
        )
    before = spec_of(newest) if newest is not None else None
    for hook in hook_functions("plan_applied"):  # the risk register follows, the readiness gate checks
        hook(db, event_id=event.id, before=before, after=spec, actor=actor, clock=clock)
    return version


def _insert(db: Session, version: PlanVersion) -> None:
    try:
        with db.begin_nested():  # two applies at once: the loser gets a Conflict, not a 500
            db.add(version)
    except IntegrityError as exc:
        raise Conflict(
            Message("Another plan version was applied at the same moment; apply again."),
            code="plan_version_taken",
        ) from exc


def _newest(*, db: Session, event_id: int) -> PlanVersion | None:
    query = select(PlanVersion).where(PlanVersion.event_id == event_id).order_by(PlanVersion.number.desc())
    return db.scalars(query.limit(1)).first()


def spec_of(version: PlanVersion) -> PlanSpec:
    """The parsed plan of ``version``; parsed once per plan content and then served from memory."""
    return _cached_spec(version.checksum) or _cache_spec(version)


def spec_of_version_id(*, db: Session, version_id: int) -> PlanSpec:
    """The parsed plan of the version with this row id (e.g. the one a drill run started with)."""
    return spec_of(db.get_one(PlanVersion, version_id))


def _cached_spec(digest: str) -> PlanSpec | None:
    with _cache_lock:
        spec = _spec_cache.get(digest)
        if spec is not None:
            _spec_cache.move_to_end(digest)
        return spec


def _cache_spec(version: PlanVersion) -> PlanSpec:
    spec = PlanSpec.model_validate(version.spec)
    with _cache_lock:
        _spec_cache[version.checksum] = spec
        while len(_spec_cache) > _CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return spec


def _spec_by_row(db: Session, version_id: int, digest: str) -> PlanSpec:
    # The cache is keyed by content, not by row id: ids are reused when a database is emptied.
    return _cached_spec(digest) or _cache_spec(db.get_one(PlanVersion, version_id))


def get_active_plan(*, db: Session, event_id: int) -> PlanSpec:
    """The plan in force for the event: its newest version. NotFound if no plan was applied."""
    query = (
        select(PlanVersion.id, PlanVersion.checksum)
        .where(PlanVersion.event_id == event_id)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )
    row = db.execute(query).first()
    if row is None:
        raise NotFound(Message("No plan has been applied to this event."), code="plan_not_found")
    return _spec_by_row(db, row.id, row.checksum)


def list_versions(*, db: Session, slug: str) -> Sequence[PlanVersion]:
    """Every version of the event's plan, newest first."""
    event = events.get_by_slug(db=db, slug=slug)
    query = select(PlanVersion).where(PlanVersion.event_id == event.id).order_by(PlanVersion.number.desc())
    return db.scalars(query).all()


def get_version(*, db: Session, slug: str, number: int | None = None) -> PlanVersion:
    """Version ``number`` of the event's plan (the newest when None); NotFound otherwise."""
    event = events.get_by_slug(db=db, slug=slug)
    if number is None:
        version = _newest(db=db, event_id=event.id)
    else:
        query = select(PlanVersion).where(PlanVersion.event_id == event.id, PlanVersion.number == number)
        version = db.scalars(query).first()
    if version is None and number is None:
        raise NotFound(Message("No plan has been applied to this event."), code="plan_not_found")
    if version is None:
        raise NotFound(
            Message('Event "{slug}" has no plan version {number}.', {"slug": slug, "number": number}),
            code="plan_version_not_found",
            details={"slug": slug, "number": number},
        )
    return version


def newest_number(*, db: Session, slug: str) -> int | None:
    """The number of the event's newest plan version; None if the event or its plan does not exist."""
    event = events.find_by_slug(db=db, slug=slug)
    if event is None:
        return None
    return db.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.event_id == event.id))


def export_yaml(*, db: Session, slug: str, number: int | None = None) -> str:
    """The YAML of a version (the newest when ``number`` is None); applying it changes nothing."""
    return export.export_yaml(spec_of(get_version(db=db, slug=slug, number=number)))


def diff_versions(*, db: Session, slug: str, a: int, b: int) -> plan_diff.PlanDiff:
    """What changed from version ``a`` to version ``b`` of the event's plan."""
    before = get_version(db=db, slug=slug, number=a)
    after = get_version(db=db, slug=slug, number=b)
    return plan_diff.compare(
        spec_of(before), spec_of(after), before_label=f"{slug}@v{a}", after_label=f"{slug}@v{b}"
    )


def two_factor_roles(*, db: Session) -> set[str]:
    """Roles that must use two-factor authentication: the union over every event's plan in force."""
    newest = (
        select(PlanVersion.event_id, func.max(PlanVersion.number).label("number"))
        .group_by(PlanVersion.event_id)
        .subquery()
    )
    query = select(PlanVersion.id, PlanVersion.checksum).join(
        newest, (PlanVersion.event_id == newest.c.event_id) & (PlanVersion.number == newest.c.number)
    )
    roles: set[str] = set()
    for row in db.execute(query):
        roles.update(_spec_by_row(db, row.id, row.checksum).security.require_2fa_for)
    return roles


def current_phase(*, spec: PlanSpec, at: datetime) -> PhaseName | None:
    """The phase (prep, live, post) whose window holds ``at``; None outside every phase."""
    for phase in spec.event.phases:
        if phase.start <= at < phase.end:
            return phase.name
    return None
