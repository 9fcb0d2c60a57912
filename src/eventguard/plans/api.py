"""HTTP API of plans: validate, apply, read the plan in force, its versions, export and diff."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.bodylimit import body_limit
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.errors import InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import Id, SafeStr
from eventguard.openapi import errors
from eventguard.plans import service
from eventguard.plans.models import PlanVersion

router = APIRouter(prefix="/api/v1", tags=["plans"])

MAX_PLAN_BYTES = 2 * 1024 * 1024
DEFAULT_FILENAME = "plan.yaml"
YAML_MEDIA_TYPE = "application/yaml"


class PlanSubmission(BaseModel):
    """A plan sent as JSON (the YAML text in ``source``)."""

    source: str = Field(description="The plan's YAML.")
    filename: SafeStr = Field(
        default=DEFAULT_FILENAME, max_length=255, description="Name used in error positions."
    )
    comment: SafeStr | None = Field(
        default=None, max_length=2000, description="Why this version (apply only)."
    )


class ValidationReport(BaseModel):
    valid: bool
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class PlanVersionRead(BaseModel):
    event: str
    number: int
    checksum: str
    author_name: str
    author_id: int | None
    comment: str | None
    created_at: datetime


class PlanVersionDetail(PlanVersionRead):
    spec: dict[str, Any]


class ActivePlan(BaseModel):
    event: str
    version: int
    checksum: str
    spec: dict[str, Any]


class PlanChangeRead(BaseModel):
    path: str
    kind: str
    before: Any = None
    after: Any = None


class PlanDiffRead(BaseModel):
    event: str
    from_version: int
    to_version: int
    changes: list[PlanChangeRead]
    text: str


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            YAML_MEDIA_TYPE: {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": PlanSubmission.model_json_schema()},
        },
    }
}


async def plan_submission(request: Request) -> PlanSubmission:
    """The plan in the body: YAML text (``?filename=``, ``?comment=``) or JSON ``{"source": …}``."""
    raw = await request.body()  # at most MAX_PLAN_BYTES: the routes' body_limit
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            return PlanSubmission.model_validate(json.loads(raw))
        except (ValueError, RecursionError, ValidationError) as exc:  # RecursionError: nested too deep
            raise InvalidInput(
                Message('Send the plan as YAML text, or as JSON with the YAML in "source".'),
                code="invalid_body",
            ) from exc
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(Message("The plan must be UTF-8 text."), code="invalid_body") from exc
    params = request.query_params
    try:
        return PlanSubmission(
            source=source, filename=params.get("filename") or DEFAULT_FILENAME, comment=params.get("comment")
        )
    except ValidationError as exc:  # ?filename= or ?comment= too long, or with control characters
        name = str(exc.errors()[0]["loc"][0])
        raise InvalidInput(
            Message('"?{name}=" is too long or holds control characters.', {"name": name}),
            code="invalid_query",
            details={"parameter": name},
        ) from exc


Submission = Annotated[PlanSubmission, Depends(plan_submission)]
Viewer = CurrentPrincipal
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


def _read(version: PlanVersion, slug: str) -> PlanVersionRead:
    return PlanVersionRead(
        event=slug,
        number=version.number,
        checksum=version.checksum,
        author_name=version.author_name,
        author_id=version.author_id,
        comment=version.comment,
        created_at=version.created_at,
    )


@router.post("/plans/validate", openapi_extra=_BODY_DOC)
@body_limit(MAX_PLAN_BYTES)
def validate_plan(_principal: Viewer, submission: Submission, request: Request) -> ValidationReport:
    """Check a plan without storing it. Problems are the answer here (200), each with its line and column."""
    language = request_language(request)
    result = service.validate_source(source=submission.source, filename=submission.filename)
    return ValidationReport(
        valid=result.valid,
        errors=[issue.to_dict(language) for issue in result.errors],
        warnings=[issue.to_dict(language) for issue in result.warnings],
    )


@router.post("/plans", status_code=201, openapi_extra=_BODY_DOC, responses=errors(409))
@body_limit(MAX_PLAN_BYTES)
def apply_plan(
    principal: Commander, submission: Submission, request: Request, db: DbSession, clock: ClockDep
) -> PlanVersionRead:
    """Store a plan as its event's newest version (commander or above). 422 with every error if invalid;
    a plan equal to the newest version creates nothing and answers with that version.

    A plan that changes the security policy (``security``; an event's first plan sets it) needs an
    admin: 403 ``security_policy_admin_only`` naming the fields otherwise, and nothing is applied."""
    version = service.apply_plan(
        db=db,
        source=submission.source,
        filename=submission.filename,
        actor=principal.actor,
        clock=clock,
        comment=submission.comment,
        language=request_language(request),
        role=principal.role,
    )
    db.commit()
    return _read(version, _slug_of(version))


def _slug_of(version: PlanVersion) -> str:
    return str(version.spec["event"]["slug"])


@router.get("/events/{slug}/plan", responses=errors(404))
def get_plan(slug: str, db: DbSession, _principal: Viewer) -> ActivePlan:
    """The plan in force for the event (its newest version), normalised."""
    version = service.get_version(db=db, slug=slug)
    return ActivePlan(event=slug, version=version.number, checksum=version.checksum, spec=version.spec)


@router.get("/events/{slug}/plan/versions", responses=errors(404))
def list_plan_versions(slug: str, db: DbSession, _principal: Viewer) -> list[PlanVersionRead]:
    """Every version of the event's plan, newest first."""
    return [_read(version, slug) for version in service.list_versions(db=db, slug=slug)]


@router.get("/events/{slug}/plan/versions/{number}", responses=errors(404))
def get_plan_version(slug: str, number: Id, db: DbSession, _principal: Viewer) -> PlanVersionDetail:
    """One version with its normalised plan."""
    version = service.get_version(db=db, slug=slug, number=number)
    return PlanVersionDetail(**_read(version, slug).model_dump(), spec=version.spec)


@router.get(
    "/events/{slug}/plan/versions/{number}/export",
    response_class=Response,
    responses={200: {"content": {YAML_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def export_plan_version(slug: str, number: Id, db: DbSession, _principal: Viewer) -> Response:
    """The version as a YAML file; applying it again creates no new version."""
    text = service.export_yaml(db=db, slug=slug, number=number)
    disposition = f'attachment; filename="{slug}-v{number}.yaml"'
    return Response(
        text, media_type=f"{YAML_MEDIA_TYPE}; charset=utf-8", headers={"Content-Disposition": disposition}
    )


@router.get("/events/{slug}/plan/diff", responses=errors(404))
def diff_plan_versions(
    slug: str,
    db: DbSession,
    _principal: Viewer,
    from_version: Annotated[Id, Query(alias="from")],
    to_version: Annotated[Id, Query(alias="to")],
) -> PlanDiffRead:
    """What changed from version ``from`` to version ``to``: changes by path and a unified YAML diff."""
    diff = service.diff_versions(db=db, slug=slug, a=from_version, b=to_version)
    return PlanDiffRead(
        event=slug,
        from_version=from_version,
        to_version=to_version,
        changes=[PlanChangeRead(**vars(change)) for change in diff.changes],
        text=diff.text,
    )
