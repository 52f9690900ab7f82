"""The trainer's job spec: parsed, checked against the catalog, defaults filled in.

Unknown top-level fields are ignored (readers ignore what they do not know); the training
section (``epochs``, ``batch_size``, ``params``) is validated strictly by ``ml.catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ml import catalog
from ml.data.spec import DataError, DataSpec
from ml.schema import FieldError, check

JOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["job_id", "model_type", "data", "artifact_uri"],
    "properties": {
        "job_id": {"type": "string", "minLength": 1},
        "model_type": {"type": "string", "minLength": 1},
        "data": {"type": "object"},
        "artifact_uri": {"type": "string", "minLength": 1},
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
        "threads": {"type": ["integer", "null"], "minimum": 1, "maximum": 256},
        "min_metric": {"type": ["number", "null"]},
    },
}


class JobError(Exception):
    """A job spec that cannot run; ``errors`` name each offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class TrainingJob:
    """One training run, as the trainer receives it. ``params`` has every default filled in.

    ``artifact_uri`` is an absolute local directory or ``s3://bucket/prefix``. ``min_metric``, when
    set, is the least acceptable value of the model type's primary metric: the run still succeeds,
    and its ``succeeded`` event reports whether the gate passed.
    """

    job_id: str
    model_type: str
    epochs: int
    batch_size: int
    params: dict[str, Any]
    data: DataSpec
    artifact_uri: str
    seed: int = 42
    threads: int | None = None
    min_metric: float | None = None

    @classmethod
    def parse(cls, raw: Any) -> TrainingJob:
        """Validate ``raw`` (the JSON job) and build the job; raises ``JobError`` listing every problem."""
        if not isinstance(raw, dict):
            raise JobError([FieldError("", "the job must be a JSON object")])
        errors = check(JOB_SCHEMA, raw)
        training = {key: raw[key] for key in ("epochs", "batch_size", "params") if key in raw}
        filled: dict[str, Any] = {}
        model_type = raw.get("model_type")
        if isinstance(model_type, str):
            try:
                filled, training_errors = catalog.validate_training(model_type, training)
                errors += training_errors
            except catalog.UnknownModelType as error:
                errors.append(FieldError("model_type", str(error)))
        data = _data_spec(raw.get("data"), errors)
        uri = raw.get("artifact_uri")
        if isinstance(uri, str) and uri and not (uri.startswith("s3://") or PurePosixPath(uri).is_absolute()):
            errors.append(FieldError("artifact_uri", "must be an absolute directory or an s3:// address"))
        if errors or data is None:
            raise JobError(errors)
        return cls(
            job_id=raw["job_id"],
            model_type=raw["model_type"],
            epochs=filled["epochs"],
            batch_size=filled["batch_size"],
            params=filled["params"],
            data=data,
            artifact_uri=raw["artifact_uri"],
            seed=raw.get("seed", 42),
            threads=raw.get("threads"),
            min_metric=raw.get("min_metric"),
        )


def _data_spec(raw: Any, errors: list[FieldError]) -> DataSpec | None:
    if not isinstance(raw, dict):
        return None
    try:
        return DataSpec.parse(raw)
    except DataError as error:
        errors.append(FieldError("data", str(error)))
        return None


@dataclass(frozen=True)
class TrainingResult:
    """What a trainer function (``train(job, reporter, outdir) -> TrainingResult``) returns after it
    wrote its model file(s), ``signature.json`` and ``reference.json`` into ``outdir``.

    ``metrics`` are the final metrics (every name the catalog lists for the type), ``history`` one
    entry per epoch (``epoch``, ``metrics``, ``seconds``), ``dataset`` the data's fingerprint with
    the split sizes.
    """

    metrics: dict[str, float]
    history: list[dict[str, Any]]
    dataset: dict[str, Any]
