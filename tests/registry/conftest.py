"""Registry tests: versions registered through the bus, as a finished training run registers them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.envelope import new_id
from contracts.messages import spec
from contracts.registry import MODEL_REGISTER, RegisterModelVersion
from services.kit.bus import Bus
from tests.factories import EDITOR, outcome_of
from tests.gateway.conftest import platform_factory  # noqa: F401 - a fixture used here


async def register(
    bus: Bus,
    name: str,
    run_id: str | None = None,
    accuracy: float = 0.9,
    artifact: Path | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Register a version like a finished run does; the outcome's result (model_id, version, ...)."""
    run_id = run_id or new_id()
    data = RegisterModelVersion(
        model_name=name,
        model_type="tabular_sklearn_classifier",
        run_id=run_id,
        artifact_uri=str(artifact or f"/artifacts/runs/{run_id}"),
        metrics={"test_accuracy": accuracy, "test_loss": 1 - accuracy},
        params={"epochs": 3, "params": {"estimator": "random_forest", "n_estimators": int(accuracy * 100)}},
        dataset={"sha256": extra.pop("dataset", "d" * 64), "source": "local_path", "path": "/data/bc.csv"},
        **extra,
    )
    command = spec(MODEL_REGISTER).envelope(source="test/1", correlation_id=new_id(), actor=EDITOR, data=data)
    await bus.publish_envelope("cmd", command)
    outcome = await outcome_of(bus, command.id)
    assert outcome["type"] == "registry.command.succeeded.v1", outcome
    result: dict[str, Any] = outcome["data"]["result"]
    return result
