"""Surveys in the console: the complaint ranking across events with the action that turns a complaint
into a risk, CSV import with column mapping (responder and up), the newest answers with their tags,
the complaint tags' editor (commander: a new plan version, every answer tagged anew) —
and the public per-event feedback form (no login; a limit per IP address, a honeypot field, no
personal data asked)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eventguard.auth.models import Role
from eventguard.bodylimit import body_limit
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import CleanStr, FormText
from eventguard.risks import service as risks
from eventguard.surveys import service
from eventguard.surveys.api import MAX_CSV_BYTES
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may
from eventguard.web.pages import page_language, render
from eventguard.web.prepare_common import act, event_and_plan

router = APIRouter(include_in_schema=False)


@router.get("/events/{slug}/surveys", response_class=HTMLResponse)
def surveys_page(
    request: Request, slug: str, db: DbSession, settings: SettingsDep, principal: SignedIn
) -> Response:
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    tag_of = service.matcher(spec.surveys.tags)
    names = {tag.id: tag.name.get(lang) for tag in spec.surveys.tags}
    token = csrf.FormToken(request, settings)
    ranking = service.ranking(db=db, event_id=event.id, spec=spec)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "ranking": ranking,
        "top": max((item.total for item in ranking.tags), default=0),
        "answers": [
            (row, [names.get(tag, tag) for tag in tag_of(row.text)])
            for row in service.responses(db=db, event_id=event.id, limit=50)
        ],
        "can_edit": may(principal, Role.responder),
        "can_edit_tags": may(principal, Role.commander),
        "categories": [(c, risks.category_label(spec, c, lang)) for c in risks.categories(spec)],
        "error": request.query_params.get("error"),
        "imported": request.query_params.get("imported"),
        "retagged": request.query_params.get("retagged"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/surveys.html", context))


@router.post("/events/{slug}/surveys/import")
@body_limit(MAX_CSV_BYTES + 64 * 1024)
def import_page(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    text_column: FormText = "",
    rating_column: FormText = "",
    submitted_at_column: FormText = "",
    encoding: FormText = "auto",
    csv_file: UploadFile | None = File(None),
) -> Response:
    def work(principal: Any, event: Any, spec: Any) -> str:
        if csv_file is None or not csv_file.filename:
            raise InvalidInput(Message("Choose a CSV file."), code="csv_missing")
        if encoding not in ("auto", "utf-8", "gb18030"):
            raise InvalidInput(Message("Unknown encoding."), code="csv_encoding")
        mapping = {"text": text_column.strip()}
        if rating_column.strip():
            mapping["rating"] = rating_column.strip()
        if submitted_at_column.strip():
            mapping["submitted_at"] = submitted_at_column.strip()
        result = service.import_csv(
            db=db,
            event_id=event.id,
            raw=csv_file.file.read(MAX_CSV_BYTES + 1)[:MAX_CSV_BYTES],
            mapping=mapping,
            encoding=encoding,  # type: ignore[arg-type]
            actor=principal.actor,
            clock=clock,
        )
        return f"/events/{slug}/surveys?imported={result.imported}"

    return act(
        request, db, clock, settings, csrf_token, Role.responder, f"/events/{slug}/surveys", work, slug
    )


@router.post("/events/{slug}/surveys/complaints/{tag}")
def complaint_page(
    request: Request,
    slug: str,
    tag: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Make the complaint a risk of the register and open it."""

    def work(principal: Any, event: Any, spec: Any) -> str:
        entry = service.complaint_to_risk(
            db=db, event_id=event.id, spec=spec, tag_id=tag, actor=principal.actor, clock=clock
        )
        return f"/events/{slug}/risks/{entry.key}"

    return act(
        request, db, clock, settings, csrf_token, Role.responder, f"/events/{slug}/surveys", work, slug
    )


def _form_page(
    request: Request,
    db: DbSession,
    slug: str,
    status: int = 200,
    error: str | None = None,
    thanks: bool = False,
) -> Response:
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    if not spec.surveys.public_form:
        return error_page(request, 404, Message("This event has no feedback form.").render(lang))
    context = {"user": None, "event": event, "spec": spec, "error": error, "thanks": thanks}
    return render(request, "prepare/feedback.html", context, status)


@router.get("/events/{slug}/feedback", response_class=HTMLResponse)
def feedback_form(request: Request, slug: str, db: DbSession) -> Response:
    """The public feedback form of the event (no login)."""
    return _form_page(request, db, slug, thanks=request.query_params.get("thanks") == "1")


@router.post("/events/{slug}/feedback", response_class=HTMLResponse)
def feedback_submit(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    text: FormText = "",
    rating: FormText = "",
    website: FormText = "",
) -> Response:
    """Store an answer (``website`` is the honeypot: people never see it, robots fill it in)."""
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
        value = int(rating) if rating.strip().isdigit() else None
        service.submit_form(
            db=db,
            event_id=event.id,
            spec=spec,
            text=text,
            rating=value,
            honeypot=website,
            ip=request.client.host if request.client else "unknown",
            secret=settings.secret_key.get_secret_value(),
            clock=clock,
        )
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code == 404:
            return error_page(request, 404, exc.render(lang))
        return _form_page(request, db, slug, exc.status_code, exc.render(lang))
    return RedirectResponse(f"/events/{slug}/feedback?thanks=1", status_code=303)


_KEYWORD_SEPARATORS = re.compile(r"[,，、;；\n]+")


def _keywords(text: str) -> list[str]:
    return [word.strip() for word in _KEYWORD_SEPARATORS.split(text) if word.strip()]


@router.post("/events/{slug}/surveys/tags")
def tags_page(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    tag_id: list[CleanStr] = Form(default=[]),
    name_zh: list[CleanStr] = Form(default=[]),
    name_en: list[CleanStr] = Form(default=[]),
    keywords_zh: list[CleanStr] = Form(default=[]),
    keywords_en: list[CleanStr] = Form(default=[]),
    category: list[CleanStr] = Form(default=[]),
    scenario: list[CleanStr] = Form(default=[]),
    remove: list[CleanStr] = Form(default=[]),
    comment: FormText = "",
) -> Response:
    """The tag editor's rows (an empty id leaves a row out, ``remove`` lists ids to drop) as the plan's
    new ``surveys.tags``: a new plan version (commander and up), answers tagged anew at once."""

    def column(values: list[str], n: int) -> str:
        return values[n].strip() if n < len(values) else ""

    def work(principal: Any, event: Any, spec: Any) -> str:
        tags = []
        for n, raw_id in enumerate(tag_id):
            key = raw_id.strip()
            if not key or key in remove:
                continue
            zh, en = column(name_zh, n), column(name_en, n)
            tag: dict[str, Any] = {
                "id": key,
                "name": {"zh-CN": zh or en or key, "en": en or zh or key},
                "keywords_zh": _keywords(column(keywords_zh, n)),
                "keywords_en": _keywords(column(keywords_en, n)),
                "category": column(category, n) or "participation",
            }
            if column(scenario, n):
                tag["scenario"] = column(scenario, n)
            tags.append(tag)
        result = service.edit_tags(
            db=db,
            slug=event.slug,
            tags=tags,
            actor=principal.actor,
            clock=clock,
            comment=comment or None,
            role=principal.role,
            language=page_language(request),
        )
        return f"/events/{event.slug}/surveys?retagged={result.retagged}#tags"

    return act(
        request, db, clock, settings, csrf_token, Role.commander, f"/events/{slug}/surveys#tags", work, slug
    )
