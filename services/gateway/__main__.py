"""``python -m services.gateway``: run one gateway instance."""

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.kit.runtime import run


def main() -> None:
    settings = GatewaySettings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
