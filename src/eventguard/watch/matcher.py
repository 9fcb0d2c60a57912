"""The sensitive-word matcher: one Aho-Corasick automaton (pyahocorasick) over every word of the
plan's lists, so a message is scanned once whatever the number of words. Matching is
case-insensitive (``str.casefold``); a word of an English list matches whole words only (the
letters or digits around it end the match: "ass" is not found in "class"), a Chinese word anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick

from eventguard.plans.schemas import ContentWatch

_WORDISH = re.compile(r"[0-9a-z_]")


class WordMatcher:
    def __init__(self, words: Iterable[tuple[str, bool]]) -> None:
        """``words``: (word, whole_words_only) pairs."""
        self._automaton = ahocorasick.Automaton()
        for word, whole in words:
            key = word.casefold().strip()
            if key:
                self._automaton.add_word(key, (key, whole))
        self.size = len(self._automaton)
        if self.size:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[str]:
        """The words found in ``text``, each once, in the order found."""
        if not self.size:
            return []
        folded = text.casefold()
        found: dict[str, None] = {}
        for end, (word, whole) in self._automaton.iter(folded):
            if whole:
                start = end - len(word) + 1
                if (start > 0 and _WORDISH.match(folded[start - 1])) or (
                    end + 1 < len(folded) and _WORDISH.match(folded[end + 1])
                ):
                    continue
            found[word] = None
        return list(found)


@lru_cache(maxsize=64)
def _cached(words: tuple[tuple[str, bool], ...]) -> WordMatcher:
    return WordMatcher(words)


def matcher_for(watch: ContentWatch) -> WordMatcher:
    """The matcher of a plan's word lists (built once per distinct set of lists)."""
    words = tuple((w, wl.language == "en") for wl in watch.words for w in wl.words)
    return _cached(words)
