"""Chat app secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key
derived from ``EVENTGUARD_SECRET_KEY`` with HKDF, so a database dump alone reveals no token."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eventguard.errors import Conflict
from eventguard.i18n import Message


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"eventguard-chat", info=b"chat-app-secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, value: dict[str, Any] | str) -> str:
    """Encrypt a JSON value (an object of secrets, or one token)."""
    return _fernet(secret_key).encrypt(json.dumps(value).encode()).decode()


def unseal(secret_key: str, token: str) -> Any:
    """Decrypt what :func:`seal` made; a changed secret key is a clear error, never a crash."""
    try:
        return json.loads(_fernet(secret_key).decrypt(token.encode()))
    except InvalidToken as exc:
        raise Conflict(
            Message("The chat app's secrets cannot be read with this secret key; set them again."),
            code="chat_secrets_unreadable",
        ) from exc
