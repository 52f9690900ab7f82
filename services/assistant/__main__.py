"""``python -m services.assistant``: run one assistant instance."""

from services.assistant.models import KIT, Base
from services.kit.runtime import Service, run
from services.kit.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings()
    service = Service("assistant", settings, Base.metadata, KIT)
    run(service.http_app(), settings)


if __name__ == "__main__":
    main()
