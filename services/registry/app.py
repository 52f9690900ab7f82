"""The registry service process: model versions."""

from __future__ import annotations

from contracts.registry import MODEL_REGISTER
from services.kit.runtime import Service
from services.kit.settings import ServiceSettings
from services.registry.models import KIT, Base
from services.registry.versions import Versions


def create_service(settings: ServiceSettings) -> Service:
    service = Service("registry", settings, Base.metadata, KIT)
    service.command(MODEL_REGISTER)(Versions(service).register)
    return service
