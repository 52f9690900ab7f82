"""From the ``workflow_params`` a person sent to what the run stores and the trainer is given.

Structure is checked by the contract; here the model type's own rules (its parameter schema and
bounds, from ``ml.catalog``) and the defaults: the type's resources, its sample data when no data
was given, the artifact location and the trainer's thread and memory limits.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.workflow_params import WorkflowParams, cpu_cores, memory_bytes
from ml import catalog
from services.kit.errors import InvalidRequest

PREFIX = "workflow_params"
DEFAULT_SEED = 42


@dataclass(frozen=True)
class Plan:
    """A validated run: its parameters with defaults filled in, and the trainer's job."""

    params: dict[str, Any]
    job: dict[str, Any]
    threads: int
    memory_limit_bytes: int | None


def plan(params: WorkflowParams, job_id: str, home: Path) -> Plan:
    """The run ``params`` describe; ``InvalidRequest`` naming the field when the model type refuses them."""
    resolved, errors = catalog.check_workflow(params.model_type, params.training.model_dump(), PREFIX)
    if errors:
        raise InvalidRequest(catalog.describe(errors), field=errors[0].field)
    model_type = catalog.get(params.model_type)
    training = params.training
    filled = params.model_dump(mode="json")
    filled["model_name"] = params.model_name or model_type.name
    filled["training"].update(resolved)
    filled["training"]["seed"] = training.seed if training.seed is not None else DEFAULT_SEED
    for kind in ("requests", "limits"):
        defaults = model_type.default_resources.get(kind, {})
        chosen = {k: v for k, v in filled["training"][f"resource_{kind}"].items() if v is not None}
        filled["training"][f"resource_{kind}"] = {**defaults, **chosen}
    filled["data"] = _data(params, model_type, home)
    filled["evaluation"]["metric"] = params.evaluation.metric or model_type.primary_metric
    _check_metric(filled["evaluation"]["metric"], model_type)
    threads = _threads(filled["training"])
    job = {
        "job_id": job_id,
        "model_type": model_type.name,
        "epochs": filled["training"]["epochs"],
        "batch_size": filled["training"]["batch_size"],
        "params": filled["training"]["params"],
        "data": filled["data"],
        "seed": filled["training"]["seed"],
        "threads": threads,
    }
    memory = filled["training"]["resource_limits"].get("memory")
    return Plan(filled, job, threads, memory_bytes(memory) if memory else None)


def _data(params: WorkflowParams, model_type: catalog.ModelType, home: Path) -> dict[str, Any]:
    if params.data is not None:
        data = params.data.model_dump(mode="json")
        if data["data_source"] == "local_path" and not Path(data["path"]).is_absolute():
            data["path"] = str((home / data["path"]).resolve())
        return data
    sample = dict(model_type.sample_data)
    sample["path"] = str((home / sample["path"]).resolve())
    return {"repo": None, "rev": None, "query": None, "format": None, **sample}


def _check_metric(metric: str, model_type: catalog.ModelType) -> None:
    names = [m["name"] if isinstance(m, dict) else m.name for m in model_type.metrics]
    if metric not in names:
        raise InvalidRequest(
            f"{model_type.name} reports no metric {metric!r}; it reports {', '.join(names)}",
            field=f"{PREFIX}.evaluation.metric",
        )


def _threads(training: dict[str, Any]) -> int:
    """Threads from the CPU limit (else the request), at least 1, at most this machine's cores."""
    cpu = training["resource_limits"].get("cpu") or training["resource_requests"].get("cpu") or "1"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, math.floor(cpu_cores(cpu)) or 1))
