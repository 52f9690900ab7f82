"""The gateway's FastAPI application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from contracts.messages import BY_TYPE
from services.gateway import problems
from services.gateway.auth.http import authorize
from services.gateway.commands import record_outcome
from services.gateway.gateway import Gateway
from services.gateway.limits import BodyLimit
from services.gateway.models import KIT, Base
from services.gateway.routes import (
    alerts,
    audit,
    auth,
    deployments,
    events,
    registry,
    system,
    users,
    workflows,
)
from services.gateway.routes import settings as settings_api
from services.gateway.settings import GatewaySettings
from services.kit import __version__
from services.kit.health import health_router
from services.kit.runtime import Service


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    service = Service("gateway", settings, Base.metadata, KIT)
    gateway = Gateway(service, settings)
    for message_type in BY_TYPE:
        if message_type.endswith((".command.succeeded.v1", ".command.rejected.v1")):
            service.on_event(message_type)(record_outcome)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        await gateway.start()
        app.state.gateway = gateway
        try:
            yield
        finally:
            await gateway.stop()
            await service.stop()

    app = FastAPI(
        title="MLOps platform",
        version=__version__,
        lifespan=lifespan,
        description=(
            "REST API of the self-hosted, no-code MLOps platform. Sign in with POST /api/auth/login (session "
            "cookie; send the returned CSRF token as X-CSRF-Token on unsafe requests) or send a personal "
            "API token as 'Authorization: Bearer <token>'. Errors are RFC 9457 problem+json."
        ),
        dependencies=[Depends(authorize)],
        # No Swagger/ReDoc pages: they load scripts from a CDN on the origin of the session cookie.
        # The OpenAPI document itself stays public at /openapi.json (the web client is built from it).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger=[
            (registry.UPLOAD_PATH, settings.max_upload_bytes),
            (deployments.INFERENCE_PATH, settings.max_inference_bytes),
        ],
    )
    problems.install(app)
    app.add_exception_handler(system.CommandRejectedError, _rejected)
    app.include_router(health_router(gateway.readiness))
    for router in (
        auth.router,
        users.router,
        audit.router,
        system.router,
        events.router,
        workflows.router,
        registry.router,
        deployments.router,
        alerts.router,
    ):
        app.include_router(router)
    settings_api.install(app, service, settings)
    gateway.platform_settings = app.state.platform_settings
    _serve_web(app, settings)
    return app


async def _rejected(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, system.CommandRejectedError)
    return system.rejected_problem(error.view)


def _serve_web(app: FastAPI, settings: GatewaySettings) -> None:
    """Serve the built single-page app: files as they are, any other non-API path as index.html."""
    dist = settings.web_dist.resolve()

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def web(path: str) -> Response:
        if path.startswith(("api/", "ws/")) or not (dist / "index.html").is_file():
            detail = (
                "not found"
                if dist.is_dir()
                else "the web UI is not built (cd web && npm ci && npm run build)"
            )
            return problems.problem(404, detail if not path.startswith(("api/", "ws/")) else "not found")
        target = (dist / path).resolve()
        if path and target.is_file() and target.is_relative_to(dist):
            # Vite names built assets by their content hash: they never change under one name.
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            return FileResponse(target, headers={"Cache-Control": cache})
        return FileResponse(dist / "index.html", headers={"Cache-Control": "no-cache"})
