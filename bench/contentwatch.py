"""Content watch throughput (issue 13: ≥ 20,000 messages/s against a 10,000-word list on one core).

One process, one core, three figures in the same run:

- **matcher**: ``WordMatcher.find`` (pyahocorasick automaton, case folding, whole-word checks for
  English words) over realistic chat messages (Chinese and English, 2 % containing a listed word)
  with 10,000 listed words (half Chinese, half English);
- **raw automaton**: ``Automaton.iter`` alone over the same case-folded texts (the library's speed:
  the ceiling of the matcher);
- **ingest**: ``watch.service.ingest`` — word matching, flood counting and storing — in batches of
  1,000 into a SQLite file (WAL), committed per batch, like ``POST /api/v1/watch/messages``.

    .venv/bin/python -m bench contentwatch [--messages 200000] [--ingest-messages 20000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, machine, write_results

PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
_HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
_PHRASES_ZH = ["老师讲得太好了", "画面有点卡", "请问回放在哪里看", "支持一下", "这个案例很实用", "声音小了点"]
_PHRASES_EN = [
    "great talk",
    "the stream is lagging",
    "where are the slides",
    "thanks for sharing",
    "hello from",
]


def _words(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    chinese = {"".join(rng.choice(_HAN) for _ in range(rng.randint(2, 4))) for _ in range(count)}
    letters = "abcdefghijklmnopqrstuvwxyz"
    english = {"".join(rng.choice(letters) for _ in range(rng.randint(5, 10))) for _ in range(count)}
    return sorted(chinese)[: count // 2], sorted(english)[: count // 2]


def _messages(rng: random.Random, count: int, chinese: list[str], english: list[str]) -> list[str]:
    texts = []
    for n in range(count):
        if n % 2:
            text = f"{rng.choice(_PHRASES_ZH)}{rng.choice(_HAN)}{rng.choice(_HAN)}{rng.randint(1, 999)}"
            if rng.random() < 0.02:
                text += rng.choice(chinese)
        else:
            text = f"{rng.choice(_PHRASES_EN)} #{rng.randint(1, 9999)} room {rng.randint(1, 40)}"
            if rng.random() < 0.02:
                text += " " + rng.choice(english)
        texts.append(text)
    return texts


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 0)


def _ingest(chinese: list[str], english: list[str], texts: list[str]) -> dict[str, Any]:
    from eventguard.audit.service import Actor
    from eventguard.clock import SystemClock
    from eventguard.db import Database, migrate
    from eventguard.events import service as events
    from eventguard.plans import service as plans
    from eventguard.watch import service as watch

    document = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    document["content_watch"] = {
        "retention": "72h",
        "window": "1m",
        "sender_max_messages": 20,
        "overall_max_messages": 1_000_000,
        "words": [
            {"id": "zh-bench", "language": "zh-CN", "words": chinese},
            {"id": "en-bench", "language": "en", "words": english},
        ],
        "content_alert": {"threshold": 1_000_000, "labels": {"alertname": "SensitiveContentDetected"}},
        "flood_alert": {"threshold": 1_000_000, "labels": {"alertname": "ChatSpamFlood"}},
    }
    source = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        database = Database(url)
        clock = SystemClock()
        with database.session(write=True) as db:
            version = plans.apply_plan(
                db=db, source=source, filename="bench.yaml", actor=Actor.cli("bench"), clock=clock
            )
            db.commit()
            event_id = version.event_id
        batches = [texts[i : i + 1000] for i in range(0, len(texts), 1000)]
        queued = 0
        started_cpu, started = time.process_time(), time.perf_counter()
        for n, batch in enumerate(batches):
            messages = [
                watch.MessageIn(sender=f"u-{(n * 1000 + i) % 5000}", text=t) for i, t in enumerate(batch)
            ]
            with database.session(write=True) as db:
                event = events.get(db=db, event_id=event_id)
                queued += watch.ingest(db=db, event=event, messages=messages, clock=clock).queued
                db.commit()
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        database.dispose()
    return {
        "messages": len(texts),
        "queued": queued,
        "messages_per_s": _rate(len(texts), wall),
        "cpu_percent_of_one_core": round(cpu / wall * 100, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench contentwatch", description=__doc__)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--ingest-messages", type=int, default=20_000)
    args = parser.parse_args(argv)

    from eventguard.watch.matcher import WordMatcher

    rng = random.Random(13)
    chinese, english = _words(rng, args.words)
    texts = _messages(rng, args.messages, chinese, english)
    matcher = WordMatcher([(w, False) for w in chinese] + [(w, True) for w in english])
    results: dict[str, Any] = {"machine": machine(), "words": matcher.size, "messages": len(texts)}

    started = time.process_time()
    hits = sum(1 for text in texts if matcher.find(text))
    matcher_s = time.process_time() - started
    automaton = matcher._automaton
    folded = [text.casefold() for text in texts]
    started = time.process_time()
    raw_hits = sum(1 for text in folded if sum(1 for _ in automaton.iter(text)))
    raw_s = time.process_time() - started
    results["matcher"] = {"messages_with_hits": hits, "messages_per_s_one_core": _rate(len(texts), matcher_s)}
    results["raw_automaton"] = {
        "messages_with_hits": raw_hits,
        "messages_per_s_one_core": _rate(len(texts), raw_s),
    }
    results["ingest"] = _ingest(chinese, english, texts[: args.ingest_messages])
    matched, raw, ingest = results["matcher"], results["raw_automaton"], results["ingest"]
    print(
        f"{matcher.size} words, {len(texts)} messages\n"
        f"matcher:       {matched['messages_per_s_one_core']:>12,.0f} messages/s (CPU time, one core),"
        f" {hits} with a hit\n"
        f"raw automaton: {raw['messages_per_s_one_core']:>12,.0f} messages/s,"
        f" {raw_hits} with any hit (no whole-word check)\n"
        f"ingest:        {ingest['messages_per_s']:>12,.0f} messages/s (match, count, store),"
        f" CPU {ingest['cpu_percent_of_one_core']} %"
    )
    print(f"results: {write_results('contentwatch', results)}")
    return 0
