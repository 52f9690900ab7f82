"""``python -m services.registry``: run one registry instance."""

from services.kit.runtime import run
from services.kit.settings import ServiceSettings
from services.registry.app import create_service

if __name__ == "__main__":
    settings = ServiceSettings()
    run(create_service(settings).http_app(), settings)
