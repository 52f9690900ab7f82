"""Adaptive batching: concurrent requests share model calls and each gets its own answer; a lone
request does not wait; a request still arriving is waited for, at most the batch wait."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np

from ml.serve.batching import Batcher
from tests.ml.factories import Mnist
from tests.ml.serve import serving
from tests.ml.serve.serving import Served, output, tensor


class TestConcurrentRequests:
    async def test_share_model_calls_and_get_their_own_answers(
        self, digits_server: Served, digits: Mnist
    ) -> None:
        images = digits.test[0][:96].reshape(-1, 1, 28, 28)
        with digits_server.client() as client:
            expected = output(digits_server.infer(client, [tensor("input", images)]), "classes").tolist()
            before = client.get("/metrics").text
        sizes = [1, 2, 3] * 16  # 48 requests of 1 to 3 images, 96 images in all
        starts = np.cumsum([0, *sizes[:-1]])
        limits = httpx.Limits(max_connections=48)
        async with httpx.AsyncClient(base_url=digits_server.url, limits=limits, timeout=60) as client:
            responses = await asyncio.gather(
                *[
                    client.post(
                        digits_server.infer_path, json={"inputs": [tensor("input", images[s : s + n])]}
                    )
                    for s, n in zip(starts, sizes, strict=True)
                ]
            )
        answers = [output(r, "classes").tolist() for r in responses]
        assert answers == [expected[s : s + n] for s, n in zip(starts, sizes, strict=True)]
        with digits_server.client() as client:
            after = client.get("/metrics").text
        labels = {"model": "digits", "version": "3"}
        calls = serving.metric(after, "prediction_batch_size_count", **labels) - serving.metric(
            before, "prediction_batch_size_count", **labels
        )
        instances = serving.metric(after, "prediction_batch_size_sum", **labels) - serving.metric(
            before, "prediction_batch_size_sum", **labels
        )
        assert instances == 96 and calls < 48, f"{calls} model calls for 48 concurrent requests"


def echo(pieces: list[Any]) -> list[Any]:
    """A model: answers each piece with (piece, how many pieces shared the call)."""
    return [(piece, len(pieces)) for piece in pieces]


class TestBatcher:
    async def test_a_lone_request_runs_at_once(self) -> None:
        with ThreadPoolExecutor(1) as executor:
            batcher = Batcher(echo, executor, max_size=8, max_wait=5.0)
            started = time.perf_counter()
            assert await batcher.submit("a", 1) == ("a", 1)
            assert time.perf_counter() - started < 1.0, "no wait when nothing else is on its way"

    async def test_requests_queued_while_the_model_is_busy_share_the_next_call(self) -> None:
        release = threading.Event()

        def slow(pieces: list[Any]) -> list[Any]:
            release.wait(5)
            return echo(pieces)

        with ThreadPoolExecutor(1) as executor:
            batcher = Batcher(slow, executor, max_size=4, max_wait=0.0)
            first = asyncio.ensure_future(batcher.submit("first", 1))
            await asyncio.sleep(0.05)
            queued = [asyncio.ensure_future(batcher.submit(p, 2)) for p in ("b", "c", "d")]
            await asyncio.sleep(0.05)
            release.set()
            results = [await first, *[await q for q in queued]]
        assert results == [("first", 1), ("b", 2), ("c", 2), ("d", 1)], (
            "at most 4 instances per call, in order"
        )

    async def test_waits_for_a_request_still_arriving_at_most_the_batch_wait(self) -> None:
        with ThreadPoolExecutor(1) as executor:
            batcher = Batcher(echo, executor, max_size=8, max_wait=0.3)
            with batcher.arriving():
                started = time.perf_counter()
                alone = await batcher.submit("a", 1)
                waited = time.perf_counter() - started
            assert alone == ("a", 1) and 0.25 <= waited < 2.0
            with batcher.arriving() as late:
                first = asyncio.ensure_future(batcher.submit("a", 1))
                await asyncio.sleep(0.05)
                second = await batcher.submit("b", 1, late)
            assert await first == ("a", 2) and second == ("b", 2)

    async def test_a_piece_larger_than_the_batch_runs_alone_and_errors_reach_their_request(self) -> None:
        def picky(pieces: list[Any]) -> list[Any]:
            return [ValueError(f"bad {p}") if p == "bad" else (p, len(pieces)) for p in pieces]

        with ThreadPoolExecutor(1) as executor:
            batcher = Batcher(picky, executor, max_size=2, max_wait=0.0)
            assert await batcher.submit("huge", 10) == ("huge", 1)
            good: Any
            bad: Any
            good, bad = await asyncio.gather(
                batcher.submit("ok", 1), batcher.submit("bad", 1), return_exceptions=True
            )
        assert good == ("ok", 2) and isinstance(bad, ValueError) and str(bad) == "bad bad"
