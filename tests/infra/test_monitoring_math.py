"""The arithmetic of monitoring: counters to increments, histograms to percentiles, drift verdicts."""

from __future__ import annotations

import pytest

from services.infra.monitor import add_buckets, combine, difference, parse
from services.infra.views import percentile

SCRAPE = """
# HELP prediction_count_total Requests.
# TYPE prediction_count_total counter
prediction_count_total{model="digits",outcome="success",version="1"} 90.0
prediction_count_total{model="digits",outcome="error",version="1"} 10.0
# HELP prediction_latency_seconds Latency.
# TYPE prediction_latency_seconds histogram
prediction_latency_seconds_bucket{le="0.001",model="digits",version="1"} 50.0
prediction_latency_seconds_bucket{le="0.01",model="digits",version="1"} 90.0
prediction_latency_seconds_bucket{le="+Inf",model="digits",version="1"} 100.0
prediction_latency_seconds_count{model="digits",version="1"} 100.0
prediction_latency_seconds_sum{model="digits",version="1"} 0.4
"""


def test_a_scrape_gives_requests_errors_and_cumulative_buckets() -> None:
    assert parse(SCRAPE) == {
        "requests": 100.0,
        "errors": 10.0,
        "latency": {"0.001": 50.0, "0.01": 90.0, "+Inf": 100.0},
    }


def test_increments_between_scrapes_and_after_a_restart() -> None:
    before = {"requests": 60.0, "errors": 5.0, "latency": {"0.001": 30.0, "0.01": 55.0, "+Inf": 60.0}}
    assert difference(parse(SCRAPE), before) == {
        "requests": 40,
        "errors": 5,
        "latency": {"0.001": 20, "0.01": 35, "+Inf": 40},
    }
    restarted = {"requests": 500.0, "errors": 0.0, "latency": {"+Inf": 500.0}}
    assert difference(parse(SCRAPE), restarted)["requests"] == 100, (
        "a counter that went down restarted at zero"
    )


def test_percentiles_interpolate_within_a_bucket() -> None:
    buckets = {"0.001": 50.0, "0.01": 90.0, "+Inf": 100.0}
    assert percentile(buckets, 0.5) == pytest.approx(1.0)
    assert percentile(buckets, 0.7) == pytest.approx(1 + 9 * 0.5)
    assert percentile(buckets, 0.99) == pytest.approx(10.0), "beyond the last bound: the last bound"
    assert percentile({}, 0.5) is None
    assert add_buckets({"0.01": 1.0}, {"0.01": 2.0, "+Inf": 3.0}) == {"0.01": 3.0, "+Inf": 3.0}


def test_one_drift_verdict_from_several_replicas() -> None:
    calm = {"status": "ok", "drifted": False, "window": 300, "avg_confidence": 0.9, "reference_confidence": 0.95,
            "features": {"mean_intensity": {"psi": 0.05, "ks": 0.02}}, "drifted_features": []}  # fmt: skip
    shifted = {"status": "drift", "drifted": True, "window": 100, "avg_confidence": 0.5, "reference_confidence": 0.95,
               "features": {"mean_intensity": {"psi": 3.1, "ks": 0.8}}, "drifted_features": ["mean_intensity"]}  # fmt: skip
    verdict = combine([calm, shifted, {"status": "insufficient_data", "window": 3}])
    assert verdict is not None and verdict["drifted"] and verdict["drifted_features"] == ["mean_intensity"]
    assert verdict["avg_confidence"] == pytest.approx((0.9 * 300 + 0.5 * 100) / 400)
    assert verdict["drift_score"] == 3.1 and verdict["window"] == 400
    assert combine([{"status": "insufficient_data", "window": 10}]) is None
