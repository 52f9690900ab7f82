"""``python -m services.infra``: run one infra instance."""

from services.infra.app import create_service
from services.infra.settings import InfraSettings
from services.kit.runtime import run

if __name__ == "__main__":
    settings = InfraSettings()
    run(create_service(settings).http_app(), settings)
