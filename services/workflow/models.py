"""Tables of the workflow service (all prefixed ``workflow_``)."""

from sqlalchemy.orm import DeclarativeBase

from services.kit.db import new_metadata
from services.kit.tables import add_kit_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


KIT = add_kit_tables(Base.metadata, "workflow")
