"""``python -m services.workflow``: run one workflow instance."""

from services.kit.runtime import serve

if __name__ == "__main__":
    serve("workflow")
