from services.kit.migrate import run_env
from services.workflow.models import Base

run_env(Base.metadata)
