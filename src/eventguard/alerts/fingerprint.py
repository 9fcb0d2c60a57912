"""Identities for alerts whose sender gives none.

Alertmanager and Grafana send a per-alert ``fingerprint`` and PagerDuty-style senders a
``dedup_key``; we use those as they are. Otherwise an alert is identified by its label set, hashed
with our own scheme (it is not meant to equal Alertmanager's FNV-based fingerprint).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping

# Bumping the version changes every computed fingerprint; only do so with a data migration.
_DOMAIN = b"eventguard.labels.v1\x00"


def fingerprint_labels(labels: Mapping[str, str]) -> str:
    """16 lowercase hex digits identifying the label set, whatever the order of its keys.

    The hash is SHA-256 over a canonical JSON encoding of the sorted (name, value) pairs, so no two
    different label sets share an encoding.
    """
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(_DOMAIN + canonical.encode("utf-8")).hexdigest()[:16]


def random_dedup_key() -> str:
    """A fresh dedup key for a PagerDuty-style trigger that came without one (UUID4, hex)."""
    return uuid.uuid4().hex
