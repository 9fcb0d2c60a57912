"""The words all channels share: headline, drill banner, cutting to size."""

from __future__ import annotations

from eventguard.notify.channels.render import compose_within, fit_bytes, headline
from tests.notify.channels.samples import sample_notification


def test_the_headline_carries_the_drill_banner_and_the_level_once() -> None:
    assert headline(sample_notification()) == "[L1] 直播中断"
    assert headline(sample_notification(title="[L1] 技术故障: 直播中断")) == "[L1] 技术故障: 直播中断"
    assert headline(sample_notification(is_drill=True)) == "【演练】 [L1] 直播中断"
    assert headline(sample_notification(is_drill=True, language="en", level=None)) == "[DRILL] 直播中断"


def test_cutting_to_bytes_never_splits_a_character() -> None:
    cut = fit_bytes("演练" * 10, 10)

    assert cut == "演练…"  # 6 bytes of text + 3 of the ellipsis; a 4th byte would split 演
    assert len(cut.encode()) <= 10
    assert fit_bytes("short", 10) == "short"


def test_only_the_body_is_cut_to_fit() -> None:
    whole = compose_within("HEAD", "b" * 100, "TAIL", 30)

    assert whole.startswith("HEAD\n\n") and whole.endswith("\n\nTAIL")
    assert len(whole.encode()) == 30
