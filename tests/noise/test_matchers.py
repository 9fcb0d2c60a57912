"""Matchers with Alertmanager's semantics: the four operators, anchored regexes, a missing label as
the empty value, and the silence-level check that refuses a set matching every alert."""

from __future__ import annotations

import pytest

from eventguard.noise.matchers import Matcher, MatcherError, all_match, check_set

LABELS = {"alertname": "HLSPlaylistStale", "instance": "edge-12:443", "env": "prod"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('alertname="HLSPlaylistStale"', True),
        ("alertname=HLSPlaylist", False),  # equality is exact
        ("env!=staging", True),
        ("env!=prod", False),
        ('instance=~"edge-[0-9]+:443"', True),
        ('instance=~"edge-1"', False),  # anchored at both ends: no substring match
        ('instance=~"edge-1.*"', True),
        ('instance!~"edge-.*"', False),
        ('instance!~"origin-.*"', True),
        ('region=""', True),  # a missing label has the empty value
        ("region!=eu", True),
        ('region=~".+"', False),
        ('region!~".+"', True),
    ],
)
def test_each_operator_as_alertmanager_reads_it(text: str, expected: bool) -> None:
    assert Matcher.parse(text).matches(LABELS) is expected


def test_quoted_values_keep_escaped_quotes_and_round_trip() -> None:
    matcher = Matcher.parse(r'summary="say \"hi\""')
    assert matcher.value == 'say "hi"'
    assert Matcher.parse(str(matcher)) == matcher


def test_all_matchers_must_match() -> None:
    both = [Matcher.parse("env=prod"), Matcher.parse('instance=~"edge-.*"')]
    assert all_match(both, LABELS)
    assert not all_match([*both, Matcher.parse("alertname=Other")], LABELS)


def test_a_bad_label_name_is_refused_and_a_value_may_start_with_equals() -> None:
    with pytest.raises(MatcherError, match="not a matcher"):
        Matcher.parse("9lives=x")
    with pytest.raises(MatcherError, match="not a label name"):
        Matcher.build("bad-name", "=", "x")
    assert Matcher.parse("env==prod").value == "=prod"


def test_a_bad_regex_is_refused_with_its_reason() -> None:
    with pytest.raises(MatcherError, match="not valid"):
        Matcher.build("instance", "=~", "edge-(")


def test_a_set_that_would_match_every_alert_is_refused() -> None:
    with pytest.raises(MatcherError, match="at least one matcher is needed"):
        check_set([])
    with pytest.raises(MatcherError, match="empty value"):
        check_set([Matcher.parse('instance=~".*"'), Matcher.parse("env!=staging")])
    check_set([Matcher.parse('instance=~".*"'), Matcher.parse("env=prod")])


def test_the_indexed_ruleset_finds_the_first_matching_rule_in_order() -> None:
    from eventguard.noise.service import Rule, Ruleset

    def rule(key: str, *texts: str) -> Rule:
        return Rule("silence", key, key, tuple(Matcher.parse(text) for text in texts))

    rules = Ruleset(
        [
            rule("a", "alertname=Other"),
            rule("b", 'instance=~"edge-1.*"'),  # not indexed (no equality)
            rule("c", "alertname=HLSPlaylistStale", "env=prod"),
            rule("d", "env=prod"),
        ]
    )
    assert rules.match(LABELS).key == "b"  # type: ignore[union-attr]
    assert rules.match({**LABELS, "instance": "origin-1"}).key == "c"  # type: ignore[union-attr]
    assert rules.match({"env": "prod"}).key == "d"  # type: ignore[union-attr]
    assert rules.match({"env": "staging", "alertname": "HLSPlaylistStale"}) is None
    assert not Ruleset([]) and Ruleset([]).match(LABELS) is None
