"""Settings of the gateway (``MLOPS_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from services.kit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """What the gateway reads on top of every service's settings."""

    http_port: int = Field(default=8000, ge=0, le=65535, description="Port of the API and web UI.")
    command_wait_seconds: float = Field(
        default=2.0, ge=0, le=60, description="How long a POST waits for its command's outcome before 202."
    )
    ws_queue_size: int = Field(default=1000, ge=10, description="Frames buffered per WebSocket client.")
    ws_heartbeat_seconds: float = Field(default=15.0, gt=0, description="WebSocket heartbeat interval.")
    replica_window_seconds: float = Field(default=10.0, gt=0, description="Heartbeat age that counts as up.")
    status_timeout_seconds: float = Field(default=1.0, gt=0, description="Wait for a status query reply.")
    admin_password: SecretStr | None = Field(
        default=None,
        description="Password of the first admin, created on first start when there are no users.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key encrypting stored secrets; default a generated key file (0600) under MLOPS_HOME.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a browser session lasts."
    )
    cookie_secure: bool = Field(default=False, description="Send the session cookie over HTTPS only.")
    login_failures_per_minute: int = Field(
        default=5, ge=1, description="Wrong passwords for one user within a minute before logins are refused."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body accepted.")
    max_upload_bytes: int = Field(
        default=1 << 30, ge=1024, description="Largest model upload (a zip) accepted."
    )
    max_inference_bytes: int = Field(
        default=16 << 20, ge=1024, description="Largest inference request passed on to a deployment."
    )
    endpoints_cache_seconds: float = Field(
        default=1.0, ge=0, le=60, description="How long the proxy trusts a deployment's replica list."
    )
    web_dist: Path = Field(
        default=Path(__file__).resolve().parents[2] / "web" / "dist",
        description="Built web UI served at /.",
    )
