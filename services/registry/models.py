"""Tables of the registry service (all prefixed ``registry_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_metadata
from services.kit.tables import add_kit_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


KIT = add_kit_tables(Base.metadata, "registry")


class RegisteredModel(Base):
    """A named model; its versions are numbered from 1."""

    __tablename__ = "registry_models"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    model_type: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ModelVersion(Base):
    """One registered version (the seed's model_id): what was trained, on what, and how well."""

    __tablename__ = "registry_versions"
    __table_args__ = (
        UniqueConstraint("registered_model_id", "version"),
        # At most one production version per model, whatever races the rules lose.
        Index(
            "uq_registry_versions_one_production",
            "registered_model_id",
            unique=True,
            postgresql_where=text("status = 'production'"),
            sqlite_where=text("status = 'production'"),
        ),
        Index("ix_registry_versions_model_name_created_at", "model_name", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registered_model_id: Mapped[str] = mapped_column(ForeignKey("registry_models.id", ondelete="CASCADE"))
    model_name: Mapped[str] = mapped_column(String(100))
    """The model's name, kept here too so a search by name needs no join."""
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    model_type: Mapped[str] = mapped_column(String(100), index=True)
    run_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    artifact_uri: Mapped[str] = mapped_column(Text)
    input_signature: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metric_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset_fingerprint: Mapped[str | None] = mapped_column(String(128), index=True)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ModelAlias(Base):
    """A named pointer from a model to one of its versions (champion, candidate, ...)."""

    __tablename__ = "registry_aliases"

    registered_model_id: Mapped[str] = mapped_column(
        ForeignKey("registry_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(63), primary_key=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("registry_versions.id", ondelete="CASCADE"), index=True
    )
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class VersionChange(Base):
    """One entry of a version's timeline: its status changes and who made them."""

    __tablename__ = "registry_version_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("registry_versions.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
