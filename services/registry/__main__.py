"""``python -m services.registry``: run one registry instance."""

from services.kit.runtime import serve

if __name__ == "__main__":
    serve("registry")
