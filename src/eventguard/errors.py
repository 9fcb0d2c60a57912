"""Domain errors. Each maps once to an HTTP status and the JSON envelope
``{"error": {"code", "message", "details"}}`` (see ``eventguard.app``)."""

from __future__ import annotations

from typing import Any


class EventGuardError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


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
