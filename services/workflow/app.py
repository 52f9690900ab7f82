"""The workflow service process: commands, outcome events, queries and the trainer loop."""

from __future__ import annotations

from contracts.subjects import outcome_type
from contracts.workflow import RUN_CANCEL, RUN_EXECUTE, RUN_GET, RUN_LIST, RUN_LOGS
from services.kit.runtime import Service
from services.kit.settings import ServiceSettings
from services.workflow.models import KIT, Base
from services.workflow.pipeline import Pipeline
from services.workflow.runtime.local import LocalRuntime
from services.workflow.settings import WorkflowSettings
from services.workflow.trainers import Trainers
from services.workflow.views import RunViews


class WorkflowService(Service):
    """The workflow service with its trainer loop started and stopped with it."""

    def __init__(self, settings: WorkflowSettings) -> None:
        super().__init__("workflow", settings, Base.metadata, KIT)
        runtime = LocalRuntime(settings.runs_path(), settings.trainer_python)
        self.pipeline = Pipeline(self, runtime)
        self.trainers = Trainers(self.pipeline, runtime, settings)
        views = RunViews(self, runtime)
        self.command(RUN_EXECUTE)(self.pipeline.execute)
        self.command(RUN_CANCEL)(self.pipeline.cancel)
        for service in ("registry", "infra"):
            for succeeded in (True, False):
                self.on_event(outcome_type(service, succeeded))(self.pipeline.on_outcome)
        self.query(RUN_LIST)(views.list)
        self.query(RUN_GET)(views.get)
        self.query(RUN_LOGS)(views.logs)

    async def start(self) -> None:
        await super().start()
        self.trainers.start()

    async def stop(self) -> None:
        await self.trainers.stop()
        await super().stop()


def create_service(settings: ServiceSettings) -> WorkflowService:
    """The service; plain service settings gain the workflow's own defaults."""
    if not isinstance(settings, WorkflowSettings):
        settings = WorkflowSettings(**settings.model_dump(exclude_unset=True))
    return WorkflowService(settings)
