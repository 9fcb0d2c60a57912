"""CSRF protection for console forms: a token signed with the secret key, bound to a browser cookie."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from eventguard.config import Settings
from eventguard.errors import Forbidden
from eventguard.i18n import Message

CSRF_COOKIE = "eg_csrf"
MAX_AGE = 12 * 3600


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="eventguard-csrf")


class FormToken:
    """A form token for this browser; ``bind`` puts the browser's random id in its cookie."""

    def __init__(self, request: Request, settings: Settings) -> None:
        self.browser = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        self.value = _serializer(settings).dumps(self.browser)
        self._secure = settings.base_url.lower().startswith("https://")

    def bind(self, response: Response) -> Response:
        response.set_cookie(
            CSRF_COOKIE, self.browser, httponly=True, samesite="strict", path="/", secure=self._secure
        )
        return response


def verify(request: Request, token: str | None, settings: Settings) -> None:
    """Forbidden unless ``token`` was issued to this browser within MAX_AGE."""
    browser = request.cookies.get(CSRF_COOKIE)
    try:
        signed = _serializer(settings).loads(token or "", max_age=MAX_AGE)
    except BadSignature:
        signed = None
    if not browser or not isinstance(signed, str) or not hmac.compare_digest(signed, browser):
        raise Forbidden(Message("The form has expired; reload the page and try again."), code="csrf_failed")
