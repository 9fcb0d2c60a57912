"""TOTP (RFC 6238) two-factor codes: secrets, provisioning URIs, QR codes, and checking a code.

Times are always passed in (the injected clock), never read from the system.
"""

from __future__ import annotations

import hmac
import io
from datetime import datetime

import pyotp
import qrcode
from qrcode.image.pil import PilImage

ISSUER = "EventGuard"
DIGITS = 6
# Codes of the previous and next 30-second step are accepted too, for clock drift and typing time.
VALID_WINDOW = 1


def new_secret() -> str:
    """A random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str) -> str:
    """The ``otpauth://`` URI an authenticator app imports (issuer "EventGuard")."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_png(uri: str) -> bytes:
    """The provisioning URI as a PNG QR code."""
    code = qrcode.QRCode(box_size=6, border=2)
    code.add_data(uri)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def accepted_step(secret: str, code: str, *, at: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to if it is valid at ``at``, else None.

    Steps at or before ``last_step`` (the last code accepted) are refused, so a code seen once, or an
    older one still inside the window, cannot be replayed."""
    normalized = code.replace(" ", "").strip()
    if len(normalized) != DIGITS or not normalized.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(totp.timecode(at))
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(str(totp.generate_otp(step)), normalized):
            return step
    return None
