"""The soak benchmark's verdicts (bench/soak.py): the RSS trend line and the p99 stability, on
made-up samples (the soak itself runs 10 minutes: `python -m bench soak`)."""

from __future__ import annotations

from bench.soak import Sample, p99_stability, percentile, trend


def _samples(rss: list[float], p99: list[float]) -> list[Sample]:
    return [
        Sample(
            t_s=10.0 * n,
            phase="load",
            rss_api_mb=value,
            rss_worker_mb=100.0,
            p50_ms=5.0,
            p99_ms=p99[n],
            accepted=50 * n,
            notified=n,
        )
        for n, value in enumerate(rss)
    ]


def test_a_flat_rss_is_flat_and_a_leak_is_growing() -> None:
    flat = _samples([150.0 + (n % 3) for n in range(60)], [40.0] * 60)
    assert trend(flat, "rss_api_mb", 600)["verdict"] == "flat"
    leaking = _samples([150.0 + 0.5 * n for n in range(60)], [40.0] * 60)  # 3 MB a minute
    verdict = trend(leaking, "rss_api_mb", 600)
    assert verdict["verdict"] == "growing"
    assert verdict["slope_mb_per_min"] == 3.0


def test_the_warm_up_is_not_counted_as_growth() -> None:
    warming = _samples([120.0 + min(n, 8) * 4 for n in range(60)], [40.0] * 60)  # +32 MB, then flat
    assert trend(warming, "rss_api_mb", 600)["verdict"] == "flat"


def test_p99_is_stable_unless_the_last_third_doubles() -> None:
    assert p99_stability(_samples([150.0] * 30, [40.0] * 30))["verdict"] == "stable"
    assert (
        p99_stability(_samples([150.0] * 30, [40.0] * 10 + [60.0] * 10 + [120.0] * 10))["verdict"] == "rising"
    )


def test_percentiles() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) is None
