"""Every text the status page picks at run time (not a literal ``t("…")``) exists in both languages."""

from __future__ import annotations

from eventguard.comms.statuspage import components as status
from eventguard.comms.statuspage import labels, public_api
from eventguard.comms.updates import wording
from eventguard.i18n import t, zh_catalog


def test_every_status_word_and_built_in_text_has_a_chinese_translation() -> None:
    texts = [text for table in labels.ALL_LABELS for text in table.values()]
    texts += [*status.INDICATOR_TEXT.values(), status.MAINTENANCE_TEXT]
    texts += [text for pair in wording._BUILT_IN.values() for text in pair]
    texts += [text for row in public_api._ACTIONS.values() for text in row]
    texts += ["Check your mailbox", "That did not work"]
    missing = [text for text in texts if text not in zh_catalog()]
    assert missing == []


def test_the_vocabulary_reads_naturally_in_both_languages() -> None:
    assert labels.component_label("partial_outage", "en") == "Partial outage"
    assert labels.component_label("partial_outage", "zh-CN") == "部分中断"
    assert labels.incident_label("identified", "zh-CN") == "已定位"
    assert labels.maintenance_label("in_progress", "zh-CN") == "进行中"
    assert t(status.INDICATOR_TEXT["critical"], "zh-CN") == "服务严重中断"
