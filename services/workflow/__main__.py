"""``python -m services.workflow``: run one workflow instance."""

from services.kit.runtime import Service, run
from services.kit.settings import ServiceSettings
from services.workflow.models import KIT, Base


def main() -> None:
    settings = ServiceSettings()
    service = Service("workflow", settings, Base.metadata, KIT)
    run(service.http_app(), settings)


if __name__ == "__main__":
    main()
