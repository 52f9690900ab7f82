"""Many registered models and versions, inserted in bulk (for search tests and the registry bench).

Deterministic: model ``i`` is ``model-{i:04d}`` with tag team = vision/nlp/tabular/speech by
``i % 4``; its version ``v`` (1..per_model) is production when it is the last and ``i`` is even,
staging for the five before the last, archived below the middle, registered otherwise; its
``test_accuracy`` is ``accuracy(i, v)``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.registry.models import ModelVersion, RegisteredModel

TEAMS = ("vision", "nlp", "tabular", "speech")
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def accuracy(i: int, v: int) -> float:
    return round(0.5 + ((i * 7919 + v * 104729) % 5000) / 10000, 4)


def status(i: int, v: int, per_model: int) -> str:
    if v == per_model:
        return "production" if i % 2 == 0 else "staging"
    if v > per_model - 6:
        return "staging"
    return "archived" if v <= per_model // 2 else "registered"


def seed(sync_url: str, models: int = 1000, per_model: int = 100) -> None:
    """Insert ``models`` models with ``per_model`` versions each into the registry's tables at ``sync_url``."""
    engine = sa.create_engine(sync_url)
    model_rows: list[dict[str, Any]] = []
    version_rows: list[dict[str, Any]] = []
    for i in range(models):
        name = f"model-{i:04d}"
        created = BASE + timedelta(seconds=i * per_model)
        model_rows.append(
            {
                "id": f"m{i:06d}",
                "name": name,
                "model_type": "tabular_sklearn_classifier",
                "description": None,
                "tags": {"team": TEAMS[i % 4]},
                "latest_version": per_model,
                "created_by": "seed",
                "created_at": created,
                "updated_at": created + timedelta(seconds=per_model),
            }
        )
        for v in range(1, per_model + 1):
            version_rows.append(
                {
                    "id": f"v{i:06d}{v:04d}",
                    "registered_model_id": f"m{i:06d}",
                    "model_name": name,
                    "version": v,
                    "status": status(i, v, per_model),
                    "model_type": "tabular_sklearn_classifier",
                    "run_id": f"run-{i}-{v}",
                    "artifact_uri": f"/artifacts/runs/run-{i}-{v}",
                    "input_signature": {},
                    "metrics": {"test_accuracy": accuracy(i, v)},
                    "metric_history": [],
                    "params": {"epochs": v % 5 + 1},
                    "dataset": {"sha256": f"{i:064x}"},
                    "dataset_fingerprint": f"{i:064x}",
                    "tags": {"team": TEAMS[i % 4]},
                    "description": None,
                    "created_by": "seed",
                    "created_at": created + timedelta(seconds=v),
                }
            )
    with engine.begin() as connection:
        connection.execute(sa.insert(RegisteredModel), model_rows)
        for start in range(0, len(version_rows), 10000):
            connection.execute(sa.insert(ModelVersion), version_rows[start : start + 10000])
    engine.dispose()
