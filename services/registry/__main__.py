"""``python -m services.registry``: run one registry instance."""

from services.kit.runtime import Service, run
from services.kit.settings import ServiceSettings
from services.registry.models import KIT, Base


def main() -> None:
    settings = ServiceSettings()
    service = Service("registry", settings, Base.metadata, KIT)
    run(service.http_app(), settings)


if __name__ == "__main__":
    main()
