"""``python -m services.workflow``: run one workflow instance."""

from services.kit.runtime import run
from services.workflow.app import create_service
from services.workflow.settings import WorkflowSettings

if __name__ == "__main__":
    settings = WorkflowSettings()
    run(create_service(settings).http_app(), settings)
