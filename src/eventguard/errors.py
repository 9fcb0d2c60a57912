"""Domain errors. Each maps once to an HTTP status and the JSON envelope
``{"error": {"code", "message", "details"}}`` (see ``eventguard.app``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from eventguard.i18n import Message


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON error envelope every answer that is an error has."""
    return {"error": {"code": code, "message": message, "details": details}}


class AnswerInstead(Exception):
    """Raised by a dependency or a route to answer with ``response`` as it is (the app's handler
    returns it): the console's redirect to sign in, its 403 page."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class EventGuardError(Exception):
    """``message`` is plain text or an ``i18n.Message`` rendered in the reader's language."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str | Message, *, details: Any = None, code: str | None = None) -> None:
        self.text = message
        self.message = message.render("en") if isinstance(message, Message) else message
        super().__init__(self.message)
        self.details = details
        if code is not None:
            self.code = code

    def render(self, lang: str | None) -> str:
        return self.text.render(lang) if isinstance(self.text, Message) else self.text

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before trying again (``details.retry_after``), sent as ``Retry-After``."""
        found = self.details.get("retry_after") if isinstance(self.details, dict) else None
        return found if isinstance(found, int) and not isinstance(found, bool) and found >= 0 else None

    def headers(self) -> dict[str, str]:
        """Headers of the answer: how to authenticate (401), when to try again (``retry_after``)."""
        found = {"WWW-Authenticate": "Bearer"} if self.status_code == 401 else {}
        if self.retry_after is not None:
            found["Retry-After"] = str(self.retry_after)
        return found

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "message": self.render(lang), "details": self.details}


class InvalidInput(EventGuardError):
    status_code = 422
    code = "invalid_input"


class Unauthorized(EventGuardError):
    status_code = 401
    code = "unauthorized"


class Forbidden(EventGuardError):
    status_code = 403
    code = "forbidden"


class NotFound(EventGuardError):
    status_code = 404
    code = "not_found"


class Conflict(EventGuardError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(EventGuardError):
    status_code = 413
    code = "payload_too_large"
