"""The stable inference URL of a deployment: ``/api/deployments/{id}/...`` to one of its replicas.

The replica list comes from infra (cached for ``endpoints_cache_seconds``); requests go round-robin
over ready replicas. A replica that refuses or drops the connection, or answers 503 (it is stopping),
is skipped and the request retried on another, with a fresh list, for up to ``RETRY_SECONDS``:
a replica that dies or a version that rolls loses no request. Predictions change nothing, so a
retry is always safe.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import TYPE_CHECKING

import httpx
from fastapi import Request, Response

from contracts.envelope import Actor
from contracts.infra import DEPLOYMENT_ENDPOINTS, Endpoints, GetDeployment
from services.gateway.problems import problem

if TYPE_CHECKING:
    from services.gateway.gateway import Gateway

RETRY_SECONDS = 10.0
_PASSED_HEADERS = ("content-type", "accept", "inference-header-content-length")
_RETRIED = (
    httpx.ConnectError,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.PoolTimeout,
)


class InferenceProxy:
    """Forwards inference requests to a deployment's replicas."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.ttl = gateway.settings.endpoints_cache_seconds
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=1.0),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )
        self._cache: dict[str, tuple[float, Endpoints]] = {}
        self._turn = itertools.count()

    async def close(self) -> None:
        await self.client.aclose()

    async def endpoints(self, deployment_id: str, actor: Actor, fresh: bool = False) -> Endpoints:
        from services.gateway.gateway import QueryFailed, ask

        cached = self._cache.get(deployment_id)
        if cached is not None and not fresh and cached[0] > time.monotonic():
            return cached[1]
        try:
            found: Endpoints = await ask(
                self.gateway, DEPLOYMENT_ENDPOINTS, GetDeployment(deployment_id=deployment_id), actor
            )
        except QueryFailed as error:
            if error.status == 503 and cached is not None:
                return cached[1]  # infra is away (restarting): its replicas still serve
            raise
        self._cache[deployment_id] = (time.monotonic() + self.ttl, found)
        return found

    async def forward(self, deployment_id: str, path: str, request: Request, actor: Actor) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() in _PASSED_HEADERS}
        deadline = time.monotonic() + RETRY_SECONDS
        failed: set[str] = set()
        fresh = False
        while True:
            endpoints = await self.endpoints(deployment_id, actor, fresh)
            urls = [u for u in endpoints.urls if u not in failed] or endpoints.urls
            if urls:
                url = urls[next(self._turn) % len(urls)]
                try:
                    answer = await self.client.request(
                        request.method,
                        f"{url}/{path}",
                        content=body,
                        headers=headers,
                        params=request.query_params,
                    )
                except _RETRIED:
                    answer = None
                if answer is not None and answer.status_code != 503:
                    return Response(
                        answer.content,
                        status_code=answer.status_code,
                        media_type=answer.headers.get("content-type"),
                        headers=_inference_headers(answer),
                    )
                failed.add(url)
            if time.monotonic() > deadline:
                return problem(
                    503,
                    f"deployment {deployment_id} has no replica answering (status {endpoints.status}); "
                    "see GET /api/deployments/" + deployment_id,
                    "unavailable",
                )
            fresh = True
            await asyncio.sleep(0.05 if urls else 0.25)


def _inference_headers(answer: httpx.Response) -> dict[str, str]:
    length = answer.headers.get("inference-header-content-length")
    return {"inference-header-content-length": length} if length else {}
