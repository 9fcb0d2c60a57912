"""What every chat platform shares: the credentials a call is made with, the incident card, the
error type (``permanent`` stops the retries) and the HTTP helper that reads status codes once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import httpx


class ChatError(Exception):
    """A platform call failed; ``permanent`` (bad credentials, unknown user) is not retried."""

    def __init__(self, message: str, *, permanent: bool = False, token_invalid: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.token_invalid = token_invalid  # the stored access token is no good: fetch a new one


@dataclass(frozen=True)
class Credentials:
    """An app's credentials as a call needs them (decrypted, in memory only)."""

    platform: str
    app_id: str
    base_url: str
    secrets: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    token_expires_at: datetime | None = None

    def secret(self, name: str) -> str:
        value = self.secrets.get(name)
        if not value:
            raise ChatError(f"the {self.platform} app has no {name}", permanent=True)
        return value


@dataclass(frozen=True)
class Button:
    action: str  # ack | resolve | backup:<id> | role:<role>
    label: str
    style: str = "default"  # default | primary | danger


@dataclass(frozen=True)
class RoomCard:
    """What is posted to a room: a title, lines of text, a link and the action buttons."""

    incident_id: int
    title: str
    lines: list[str]
    link: str | None = None
    buttons: list[Button] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join([self.title, *self.lines, *([self.link] if self.link else [])])


class Platform(Protocol):
    name: ClassVar[str]
    default_base_url: ClassVar[str]
    token_expires: ClassVar[bool]
    handle_is_mobile: ClassVar[bool]

    def fetch_token(self, creds: Credentials, http: httpx.Client) -> tuple[str, int] | None:
        """A new access token and its lifetime in seconds; None where the app's token never expires."""
        ...

    def create_room(
        self, creds: Credentials, http: httpx.Client, *, name: str, members: list[str]
    ) -> tuple[str, str | None]:
        """Create the group chat with ``members``; (chat id, link to open it)."""
        ...

    def invite(self, creds: Credentials, http: httpx.Client, *, chat_id: str, members: list[str]) -> None: ...

    def post(self, creds: Credentials, http: httpx.Client, *, chat_id: str, card: RoomCard) -> None: ...

    def lookup(
        self, creds: Credentials, http: httpx.Client, *, email: str | None, phone: str | None
    ) -> str | None:
        """The platform user id of a person found by e-mail or mobile, where the platform offers it."""
        ...

    def room_name(self, incident_id: int, title: str, is_drill: bool) -> str: ...


def call(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    platform: str,
    json: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> Any:
    """One HTTP call: network errors, 429 and 5xx are temporary, other 4xx permanent; the JSON body."""
    try:
        response = http.request(method, url, json=json, params=params, headers=headers, data=data)
    except httpx.HTTPError as exc:
        raise ChatError(f"{platform}: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise ChatError(f"{platform}: HTTP {response.status_code}")
    if response.status_code >= 400:
        try:  # an error code in the body says more (an expired token is worth a new one, not giving up)
            found = response.json()
        except ValueError:
            found = None
        if isinstance(found, dict) and found:
            return found
        raise ChatError(f"{platform}: HTTP {response.status_code}: {response.text[:200]}", permanent=True)
    try:
        return response.json()
    except ValueError as exc:
        raise ChatError(f"{platform}: the answer is not JSON") from exc


def slug(text: str, limit: int) -> str:
    """Lower-case letters, digits and dashes only (what channel names allow everywhere)."""
    out = []
    for char in text.lower():
        if char.isascii() and char.isalnum():
            out.append(char)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")[:limit].strip("-")
