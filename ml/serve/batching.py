"""Adaptive batching: concurrent requests' instances share one model call on one worker thread.

A request's piece is queued; the model runs as soon as the worker is free, over as many queued
instances as fit in ``max_size`` (a piece is never split; a piece larger than ``max_size`` runs
alone). A lone request runs at once: the batcher waits for more, at most ``max_wait`` after the
first queued piece arrived, only while other requests have started arriving (their bodies are being
read or decoded) and the batch is not full. While the worker is busy, arrivals simply queue, so
batches grow with the load and the event loop never blocks on the model.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

Run = Callable[[list[Any]], list[Any]]


class Arrival:
    """A request on its way to the batcher (see ``Batcher.arriving``)."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending = True


@dataclass(slots=True)
class _Item:
    piece: Any
    count: int
    future: asyncio.Future[Any]
    arrived: float


class Batcher:
    """Runs ``run(pieces) -> results`` (one result per piece, or an exception instance for a piece
    that failed on its own) on ``executor``, one call at a time."""

    def __init__(self, run: Run, executor: Executor, max_size: int, max_wait: float) -> None:
        self._run, self._executor = run, executor
        self._max_size, self._max_wait = max_size, max_wait
        self._pending: deque[_Item] = deque()
        self._queued = 0
        self._arriving = 0
        self._busy = False
        self._handle: asyncio.Handle | None = None

    @contextmanager
    def arriving(self) -> Iterator[Arrival]:
        """Announce a request whose piece will be submitted within the block (or never, if it fails)."""
        arrival = Arrival()
        self._arriving += 1
        try:
            yield arrival
        finally:
            self._arrived(arrival)

    def _arrived(self, arrival: Arrival | None) -> None:
        if arrival is not None and arrival.pending:
            arrival.pending = False
            self._arriving -= 1

    async def submit(self, piece: Any, count: int, arrival: Arrival | None = None) -> Any:
        """Queue a piece of ``count`` instances; returns its result or raises its error."""
        loop = asyncio.get_running_loop()
        item = _Item(piece, count, loop.create_future(), loop.time())
        self._pending.append(item)
        self._queued += count
        self._arrived(arrival)
        if not self._busy:
            if self._handle is not None:
                self._handle.cancel()
            self._handle = loop.call_soon(self._dispatch)
        return await item.future

    def _dispatch(self) -> None:
        self._handle = None
        if self._busy or not self._pending:
            return
        loop = asyncio.get_running_loop()
        if self._queued < self._max_size and self._arriving > 0:
            remaining = self._pending[0].arrived + self._max_wait - loop.time()
            if remaining > 0:
                self._handle = loop.call_later(remaining, self._dispatch)
                return
        items = self._take()
        self._busy = True
        done = loop.run_in_executor(self._executor, self._run, [item.piece for item in items])
        done.add_done_callback(partial(self._finished, items))

    def _take(self) -> list[_Item]:
        items = [self._pending.popleft()]
        total = items[0].count
        while self._pending and total + self._pending[0].count <= self._max_size:
            item = self._pending.popleft()
            items.append(item)
            total += item.count
        self._queued -= total
        return items

    def _finished(self, items: list[_Item], done: asyncio.Future[list[Any]]) -> None:
        self._busy = False
        error = asyncio.CancelledError() if done.cancelled() else done.exception()
        results: list[Any] = [error] * len(items) if error is not None else done.result()
        for item, result in zip(items, results, strict=True):
            if item.future.done():
                continue
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)
        self._dispatch()
