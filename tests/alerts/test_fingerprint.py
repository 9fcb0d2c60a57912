"""Fingerprints of label sets for senders that give none."""

from __future__ import annotations

import re

from eventguard.alerts.fingerprint import fingerprint_labels, random_dedup_key

LABELS = {"alertname": "HLSPlaylistStale", "event": "spring-gala-2026", "instance": "edge-3:443"}


def test_it_is_sixteen_lowercase_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint_labels(LABELS))


def test_label_order_does_not_matter() -> None:
    reordered = dict(reversed(list(LABELS.items())))

    assert fingerprint_labels(reordered) == fingerprint_labels(LABELS)


def test_different_labels_give_different_fingerprints() -> None:
    other_instance = {**LABELS, "instance": "edge-7:443"}
    extra_label = {**LABELS, "severity": "critical"}

    assert (
        len({fingerprint_labels(LABELS), fingerprint_labels(other_instance), fingerprint_labels(extra_label)})
        == 3
    )


def test_names_and_values_cannot_be_shifted_into_each_other() -> None:
    assert fingerprint_labels({"a": "b,c=d"}) != fingerprint_labels({"a": "b", "c": "d"})
    assert fingerprint_labels({"ab": ""}) != fingerprint_labels({"a": "b"})


def test_it_is_stable_across_releases() -> None:
    # Stored alerts are matched by this value: changing the hash needs a data migration.
    assert fingerprint_labels(LABELS) == "47a8bc2ed1779698"
    assert fingerprint_labels({}) == "6dfb5326f76e6881"


def test_random_dedup_keys_are_fresh_uuid4_hex() -> None:
    first, second = random_dedup_key(), random_dedup_key()

    assert re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{19}", first)
    assert first != second
