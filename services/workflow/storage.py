"""Where a run's artifacts go and which credentials its trainer gets, from the platform settings.

The gateway keeps the settings (secrets encrypted) and hands them to this service over the bus;
they reach the trainer as environment variables of its process, never through the run's record,
its job file or its log.
"""

from __future__ import annotations

from pathlib import Path

from services.kit.bus import Bus
from services.kit.platform_settings import artifact_env, read_settings

DATA_ENV = {
    "s3_endpoint_url": "MLOPS_DATA_S3_ENDPOINT_URL",
    "s3_region": "MLOPS_DATA_S3_REGION",
    "s3_access_key_id": "MLOPS_DATA_S3_ACCESS_KEY_ID",
    "s3_secret_access_key": "MLOPS_DATA_S3_SECRET_ACCESS_KEY",
    "gcs_project": "MLOPS_DATA_GCS_PROJECT",
    "gcs_service_account_json": "MLOPS_DATA_GCS_TOKEN",
    "database_url": "MLOPS_DATA_DATABASE_URL",
}


async def job_storage(bus: Bus, job_id: str, artifacts: Path) -> tuple[str, dict[str, str]]:
    """The artifact location of run ``job_id`` and its trainer's credential environment.

    ``artifacts`` is the local store's directory when the settings name none.

    ``TransientError`` when the gateway does not answer: the run waits rather than guess.
    """
    store = await read_settings(bus, "artifact_store")
    data = await read_settings(bus, "data_sources")
    env = {DATA_ENV[name]: str(value) for name, value in data.items() if name in DATA_ENV and value}
    if store.get("kind") == "s3":
        uri = f"s3://{store['bucket']}/runs/{job_id}"
        env.update(artifact_env(store))
    else:
        root = Path(store["local_path"]) if store.get("local_path") else artifacts
        uri = str(root / "runs" / job_id)
    return uri, env
