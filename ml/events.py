"""The trainer's progress report: one JSON object per line, flushed, each with ``event`` and ``time``.

Events, in order: ``started``, ``data_loaded``, ``progress`` (throttled), ``epoch`` (after each
epoch), then exactly one of ``succeeded`` or ``failed``. Non-finite numbers are written as
``null`` so every line is strict JSON.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1.0
"""Seconds between time-driven progress events; each tenth of an epoch also reports once."""


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


class Reporter:
    """Writes events to ``stream``. A closed stream (the reader went away) stops reporting but not
    the run: training finishes and publishes its artifacts."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._last_progress = -math.inf
        self._epochs = 1
        self.closed = False

    def emit(self, event: str, **fields: Any) -> None:
        """Write one event line now."""
        if self.closed:
            return
        record = {"event": event, "time": datetime.now(UTC).isoformat(timespec="milliseconds"), **fields}
        try:
            self._stream.write(json.dumps(_clean(record), allow_nan=False) + "\n")
            self._stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.closed = True
            log.warning("the event stream is closed; continuing without progress events")

    def started(self, *, epochs: int, **fields: Any) -> None:
        """The run began (``job_id``, ``model_type``, ``device``, ``threads``, ``seed``, ``pid``)."""
        self._epochs = max(epochs, 1)
        self.emit("started", **fields)

    def data_loaded(self, dataset: dict[str, Any]) -> None:
        """The data was read and split; ``dataset`` is the fingerprint with the split sizes."""
        self.emit("data_loaded", dataset=dataset)

    def progress(self, epoch: int, step: int, steps: int, loss: float | Callable[[], float]) -> None:
        """Step ``step`` of ``steps`` in epoch ``epoch`` (1-based) is done. Reports when a tenth of the
        epoch is crossed or ``PROGRESS_INTERVAL`` has passed; ``loss`` may be a function, called only
        when reporting."""
        now = self._clock()
        tenth = step * 10 // steps > (step - 1) * 10 // steps
        if not tenth and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        fraction = min(1.0, ((epoch - 1) + step / steps) / self._epochs)
        value = loss() if callable(loss) else loss
        self.emit(
            "progress", epoch=epoch, epochs=self._epochs, step=step, steps=steps, fraction=round(fraction, 6),
            loss=float(value),
        )  # fmt: skip

    def epoch(self, epoch: int, metrics: dict[str, float], seconds: float) -> None:
        """Epoch ``epoch`` ended with ``metrics`` (loss, accuracy, val_loss, val_accuracy)."""
        self.emit("epoch", epoch=epoch, epochs=self._epochs, metrics=metrics, seconds=round(seconds, 3))

    def succeeded(self, **fields: Any) -> None:
        """The run finished and its artifacts are published."""
        self.emit("succeeded", **fields)

    def failed(self, error: str, reason: str) -> None:
        """The run stopped: ``error`` is a stable code, ``reason`` a sentence for people."""
        self.emit("failed", error=error, reason=reason)
