"""The event stream: strict JSON lines, progress throttling, a closed reader."""

from __future__ import annotations

import io
import json

from ml.events import Reporter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestProgress:
    def test_reports_each_tenth_and_each_second(self) -> None:
        stream, clock = io.StringIO(), Clock()
        reporter = Reporter(stream, clock)
        reporter.started(epochs=2, job_id="j")
        for step in range(1, 101):
            clock.now += 0.001 if step < 50 else 0.5
            reporter.progress(2, step, 100, lambda: 1.0)
        events = [json.loads(line) for line in stream.getvalue().splitlines()][1:]
        steps = [e["step"] for e in events]
        assert steps[:6] == [1, 10, 20, 30, 40, 50], "the first step, then tenths only while fast"
        later = steps[6:]
        assert {60, 70, 80, 90, 100} <= set(later) and 20 <= len(later) <= 30, "then about once a second"
        assert events[-1]["fraction"] == 1.0 and events[1]["fraction"] == 0.55

    def test_non_finite_numbers_become_null(self) -> None:
        stream = io.StringIO()
        Reporter(stream).epoch(1, {"loss": float("nan"), "accuracy": float("inf")}, 1.0)
        assert json.loads(stream.getvalue())["metrics"] == {"loss": None, "accuracy": None}

    def test_a_closed_reader_stops_reporting_only(self) -> None:
        stream = io.StringIO()
        reporter = Reporter(stream)
        stream.close()
        reporter.failed("internal_error", "x")
        assert reporter.closed
