"""``python -m services.assistant``: run one assistant instance."""

from services.kit.runtime import serve

if __name__ == "__main__":
    serve("assistant")
