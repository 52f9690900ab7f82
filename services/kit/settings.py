"""Settings every service reads from ``MLOPS_*`` environment variables."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ServiceSettings(BaseSettings):
    """Settings of a service process. Subclassed by services that need more."""

    model_config = SettingsConfigDict(env_prefix="MLOPS_", extra="ignore")

    home: Path = Field(default=Path(".mlops"), description="Where local data lives.")
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server URL(s), comma separated.")
    nats_user: str | None = Field(
        default=None, description="User this service connects to NATS as; none: connect without credentials."
    )
    nats_password: str | None = Field(
        default=None, repr=False, description="Password of MLOPS_NATS_USER (never logged)."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default a SQLite file per service under MLOPS_HOME.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address of the health/metrics server.")
    http_port: int = Field(default=8080, ge=0, le=65535, description="Port of the health/metrics server.")
    instance_id: str = Field(default_factory=_instance_id, description="This replica's id.")
    log_level: str = Field(default="INFO", description="Log level.")
    log_format: str = Field(default="json", pattern="^(json|text)$", description="Log line format.")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint, if any.")
    handler_concurrency: int = Field(default=16, ge=1, description="Commands handled at once.")
    max_deliveries: int = Field(default=5, ge=1, description="Attempts before a message is dead-lettered.")
    ack_wait_seconds: float = Field(
        default=30.0, gt=0, description="Redelivery timeout of a message whose handler stopped answering."
    )
    retry_delay_seconds: float = Field(default=0.5, gt=0, description="First redelivery delay.")
    inbox_retention_days: float = Field(
        default=8.0, ge=7.0, description="How long processed message ids are remembered (> stream retention)."
    )
    heartbeat_seconds: float = Field(default=2.0, gt=0, description="Instance heartbeat interval.")

    def database_url_for(self, service: str) -> str:
        """The database URL ``service`` uses."""
        if self.database_url:
            return self.database_url
        data = (self.home / "data").resolve()
        data.mkdir(parents=True, exist_ok=True)
        data.chmod(0o700)  # the databases hold password hashes and encrypted secrets
        return f"sqlite+aiosqlite:///{data / service}.db"
