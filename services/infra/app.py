"""The infra service process: deployments and their replicas, monitoring, alerts."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts import infra as messages
from contracts.registry import PRODUCTION_CHANGED
from services.infra.alerts import Alerts
from services.infra.deployments import Deployments
from services.infra.fleet import Fleet
from services.infra.local import LocalReplicas
from services.infra.models import KIT, Base
from services.infra.monitor import Monitor
from services.infra.settings import InfraSettings
from services.infra.views import InfraViews
from services.kit.runtime import Service
from services.kit.settings import ServiceSettings


class InfraService(Service):
    """The infra service with its fleet loop started and stopped with it."""

    def __init__(self, settings: InfraSettings) -> None:
        super().__init__("infra", settings, Base.metadata, KIT)
        self.alerts = Alerts(self)
        self.monitor = Monitor(self, settings, self.alerts)
        self.fleet = Fleet(self, settings, LocalReplicas(settings), self.monitor, self.alerts)
        deployments = Deployments(self)
        views = InfraViews(self)
        commands: dict[str, Any] = {
            messages.DEPLOYMENT_CREATE: deployments.create,
            messages.DEPLOYMENT_SCALE: deployments.scale,
            messages.DEPLOYMENT_ROLLOUT: deployments.rollout,
            messages.DEPLOYMENT_DELETE: deployments.delete,
            messages.ALERT_ACKNOWLEDGE: self.alerts.acknowledge,
            messages.ALERT_RESOLVE: self.alerts.resolve,
        }
        for message_type, handler in commands.items():
            self.command(message_type)(self._waking(handler))
        self.on_event(PRODUCTION_CHANGED)(self._waking(deployments.on_production_changed))
        self.query(messages.DEPLOYMENT_LIST)(views.list)
        self.query(messages.DEPLOYMENT_GET)(views.get)
        self.query(messages.DEPLOYMENT_ENDPOINTS)(views.endpoints)
        self.query(messages.METRICS_SERIES)(views.series)
        self.query(messages.ALERT_LIST)(views.alerts)
        self.query(messages.ALERT_GET)(views.alert)

    def _waking(self, handler: Any) -> Any:
        """``handler``, then a reconcile pass soon after (its changes are committed by then)."""

        async def handle(message: Any, uow: Any) -> Any:
            result = await handler(message, uow)
            asyncio.get_running_loop().call_later(0.1, self.fleet.wake)
            return result

        return handle

    async def start(self) -> None:
        await super().start()
        self.fleet.start()

    async def stop(self) -> None:
        await self.fleet.stop()
        await self.monitor.close()
        await super().stop()


def create_service(settings: ServiceSettings) -> InfraService:
    """The service; plain service settings gain the infra's own defaults."""
    if not isinstance(settings, InfraSettings):
        settings = InfraSettings(**settings.model_dump(exclude_unset=True))
    return InfraService(settings)
