"""The registry service process: models, versions, their lifecycle and lineage."""

from __future__ import annotations

from contracts import registry as messages
from services.kit.runtime import Service
from services.kit.settings import ServiceSettings
from services.registry.lifecycle import Lifecycle
from services.registry.models import KIT, Base
from services.registry.versions import Versions
from services.registry.views import RegistryViews


def create_service(settings: ServiceSettings) -> Service:
    service = Service("registry", settings, Base.metadata, KIT)
    lifecycle = Lifecycle(service)
    views = RegistryViews(service)
    service.command(messages.MODEL_REGISTER)(Versions(service).register)
    service.command(messages.VERSION_PROMOTE)(lifecycle.promote)
    service.command(messages.VERSION_ROLLBACK)(lifecycle.rollback)
    service.command(messages.VERSION_ARCHIVE)(lifecycle.archive)
    service.command(messages.VERSION_UPDATE)(lifecycle.update_version)
    service.command(messages.MODEL_UPDATE)(lifecycle.update_model)
    service.command(messages.ALIAS_SET)(lifecycle.set_alias)
    service.command(messages.ALIAS_REMOVE)(lifecycle.remove_alias)
    service.query(messages.VERSION_SEARCH)(views.search)
    service.query(messages.VERSION_GET)(views.version)
    service.query(messages.VERSION_COMPARE)(views.compare)
    service.query(messages.MODEL_LIST)(views.models)
    service.query(messages.MODEL_GET)(views.model)
    service.query(messages.LINEAGE_GET)(views.lineage)
    return service
