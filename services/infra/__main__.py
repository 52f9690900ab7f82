"""``python -m services.infra``: run one infra instance."""

from services.kit.runtime import serve

if __name__ == "__main__":
    serve("infra")
