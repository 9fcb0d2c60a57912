"""Public routes (no sign-in): the status page, its Statuspage-shaped JSON and Atom feed — answered
from the page cache with ETag / Last-Modified / Cache-Control — and subscribing, confirming and
unsubscribing. The language is ``?lang=``, else ``Accept-Language``, else the default."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from eventguard.comms.models import SubscriberKind
from eventguard.comms.schemas import SubscribedRead, SubscribeIn
from eventguard.comms.statuspage import render
from eventguard.comms.statuspage.cache import answer, cache_of
from eventguard.comms.statuspage.render import Kind
from eventguard.comms.subscribers import service as subscribers
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, from_accept_language, normalize_language, t
from eventguard.inputs import CleanStr, FormText
from eventguard.openapi import errors, page_errors
from eventguard.plans import service as plans

router = APIRouter(tags=["status page"])


def page_language(request: Request) -> str:
    """``?lang=``, else ``Accept-Language``, else the default (no cookie: caches vary by header only)."""
    explicit = request.query_params.get("lang")
    if explicit:
        return normalize_language(explicit)
    settings: Settings = request.app.state.settings
    return from_accept_language(request.headers.get("accept-language")) or settings.default_language


async def _serve(request: Request, slug: str, kind: Kind) -> Response:
    lang = page_language(request)
    cache = cache_of(request.app)
    doc = cache.peek(slug, kind, lang)
    if doc is None:  # stale or never rendered: load (and maybe render) off the event loop
        doc = await run_in_threadpool(cache.document, slug, kind, lang)
    return answer(request.headers, doc, head=request.method == "HEAD")


@router.get("/status/{slug}.json", responses=errors(404))
@router.head("/status/{slug}.json", include_in_schema=False)
async def status_json(slug: str, request: Request) -> Response:
    """The page in the shape of Statuspage's ``summary.json``: page, status (indicator), components,
    unresolved incidents, upcoming and running maintenances (and the active backup plans)."""
    return await _serve(request, slug, "json")


@router.get("/status/{slug}/feed.atom", responses=errors(404))
@router.head("/status/{slug}/feed.atom", include_in_schema=False)
async def status_feed(slug: str, request: Request) -> Response:
    """Atom feed of the published updates of the last 90 days."""
    return await _serve(request, slug, "atom")


@router.get("/status/{slug}", response_class=HTMLResponse, responses=errors(404))
@router.head("/status/{slug}", include_in_schema=False)
async def status_page(slug: str, request: Request) -> Response:
    """The public status page: overall state, backup plans in use, incidents with their public
    updates, maintenance, services and 90 days of history. No JavaScript; zh-CN or en."""
    return await _serve(request, slug, "html")


def _page(
    request: Request,
    db: DbSession,
    slug: str,
    heading: str,
    text: str,
    status_code: int = 200,
    *,
    action: str | None = None,
    button: str = "",
) -> HTMLResponse:
    lang = page_language(request)
    event = events.find_by_slug(db=db, slug=slug)
    name = plans.get_active_plan(db=db, event_id=event.id).event.name.get(lang) if event else slug
    body = render.message_page(
        lang=lang,
        event_name=name,
        heading=t(heading, lang),
        text=text,
        back=f"/status/{slug}?lang={lang}",
        action=action,
        button=t(button, lang) if button else "",
    )
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": render.PAGE_POLICY}
    return HTMLResponse(body, status_code=status_code, headers=headers)


@router.post("/status/{slug}/subscribe", response_class=HTMLResponse, responses=page_errors(404, 409, 422))
def subscribe_form(
    slug: str,
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    email: FormText = "",
    components: list[CleanStr] = Form(default=[]),
    language: FormText = "",
) -> HTMLResponse:
    """The status page's subscribe form: queues the confirmation e-mail (double opt-in)."""
    lang = normalize_language(language) if language else page_language(request)
    try:
        event = events.get_by_slug(db=db, slug=slug)
        spec = plans.get_active_plan(db=db, event_id=event.id)
        subscribers.subscribe_email(
            db=db,
            event=event,
            spec=spec,
            address=email,
            components=components,
            language=lang,
            settings=settings,
            clock=clock,
        )
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        return _page(request, db, slug, "That did not work", exc.render(lang), exc.status_code)
    text = t("If the address can receive e-mail, a confirmation link is on its way. Open it to start.", lang)
    return _page(request, db, slug, "Check your mailbox", text)


@router.post(
    "/status/{slug}/subscribers", response_model=SubscribedRead, status_code=202, responses=errors(404, 409)
)
def subscribe(
    slug: str,
    body: SubscribeIn,
    request: Request,
    response: Response,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> SubscribedRead:
    """Subscribe by e-mail (202: a confirmation link is sent; the answer is the same whether or not the
    address was subscribed) or webhook (201: the answer shows the signing secret once)."""
    event = events.get_by_slug(db=db, slug=slug)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    lang = body.language or page_language(request)
    if body.kind is SubscriberKind.email:
        subscribers.subscribe_email(
            db=db,
            event=event,
            spec=spec,
            address=body.address,
            components=body.components,
            language=lang,
            settings=settings,
            clock=clock,
        )
        db.commit()
        return SubscribedRead(status="confirmation_sent")
    hook = subscribers.subscribe_webhook(
        db=db,
        event=event,
        spec=spec,
        url=body.address,
        components=body.components,
        language=lang,
        clock=clock,
    )
    db.commit()
    response.status_code = 201
    leave = subscribers.link(settings, slug, hook, "unsubscribe", clock)
    return SubscribedRead(status="subscribed", id=hook.id, secret=hook.secret, unsubscribe_url=leave)


_ACTIONS = {
    "confirm": (
        "Confirm your subscription",
        "Confirm",
        "Subscription confirmed",
        "You will get the updates.",
    ),
    "unsubscribe": ("Unsubscribe", "Unsubscribe", "Unsubscribed", "You will get no more updates."),
}


@router.get(
    "/status/{slug}/{action}/{token}", response_class=HTMLResponse, responses=page_errors(403, 404, 409, 422)
)
def subscription_link(
    slug: str,
    action: str,
    token: str,
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The page a confirm or unsubscribe link opens: one button, because mail scanners and link
    previews only GET (the POST does it)."""
    lang = page_language(request)
    if action not in _ACTIONS:
        return _page(request, db, slug, "That did not work", t("This link is not valid.", lang), 404)
    try:
        subscribers.read_token(settings, token, action, clock)
    except EventGuardError as exc:
        return _page(request, db, slug, "That did not work", exc.render(lang), exc.status_code)
    heading, button, _done, _text = _ACTIONS[action]
    action_url = f"/status/{slug}/{action}/{token}?lang={lang}"
    return _page(request, db, slug, heading, "", action=action_url, button=button)


@router.post(
    "/status/{slug}/{action}/{token}", response_class=HTMLResponse, responses=page_errors(403, 404, 409, 422)
)
def subscription_action(
    slug: str,
    action: str,
    token: str,
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Confirm or unsubscribe. Also the RFC 8058 one-click target of ``List-Unsubscribe-Post``."""
    lang = page_language(request)
    try:
        event = events.get_by_slug(db=db, slug=slug)
        if action == "confirm":
            subscribers.confirm(db=db, event=event, value=token, settings=settings, clock=clock)
        elif action == "unsubscribe":
            subscribers.unsubscribe(db=db, event=event, value=token, settings=settings, clock=clock)
        else:
            raise InvalidInput(Message("This link is not valid."), code="subscription_link_invalid")
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        return _page(request, db, slug, "That did not work", exc.render(lang), exc.status_code)
    _heading, _button, done, text = _ACTIONS[action]
    return _page(request, db, slug, done, t(text, lang))
