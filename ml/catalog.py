"""The model catalog: every trainable model type, its parameter schema, resources and image.

Importable without torch, numpy, pandas or scikit-learn (stdlib, jsonschema and pydantic only):
services read it to render forms, validate requests and launch jobs. Trainer and predictor code
are named by dotted ``"module:function"`` paths and imported only by ``ModelType.resolve``.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ml.schema import FieldError, check, choice, defaults, fill_defaults, integer, number, training_schema

Task = Literal["image_classification", "tabular_classification"]
CrossCheck = Callable[[dict[str, Any]], list[FieldError]]

__all__ = [
    "MODEL_CONFIGURATIONS",
    "FieldError",
    "ModelType",
    "UnknownModelType",
    "get",
    "model_types",
    "validate_training",
]


class UnknownModelType(LookupError):
    """Raised by ``get`` for a name that is not in the catalog; the message lists the known ones."""


@dataclass(frozen=True)
class ModelType:
    """One trainable model type. ``sample_data`` paths are relative to the platform home."""

    name: str
    title: str
    description: str
    task: Task
    framework: str
    training_schema: dict[str, Any]
    default_resources: dict[str, dict[str, str]]
    image: str
    input_signature: dict[str, list[dict[str, Any]]]
    metrics: list[dict[str, str]]
    primary_metric: str
    sample_data: dict[str, Any]
    data_formats: list[str]
    trainer: str
    predictor: str
    cross_checks: tuple[CrossCheck, ...] = field(default=(), repr=False)

    @property
    def defaults(self) -> dict[str, Any]:
        """The training section a job gets when it sets nothing."""
        return defaults(self.training_schema)

    def resolve(self, which: Literal["trainer", "predictor"]) -> Callable[..., Any]:
        """Import and return the trainer or predictor function (this imports the framework)."""
        module_name, _, attribute = getattr(self, which).partition(":")
        return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready copy of everything a client needs (no callables)."""
        view = {
            key: copy.deepcopy(getattr(self, key))
            for key in self.__dataclass_fields__
            if key != "cross_checks"
        }
        view["defaults"] = self.defaults
        return view


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def _metric(name: str, goal: str, description: str) -> dict[str, str]:
    return {"name": name, "goal": goal, "description": description}


_COMMON_METRICS = [
    _metric("loss", "minimize", "Cross-entropy on the training data (last epoch)."),
    _metric("accuracy", "maximize", "Share of training examples classified correctly."),
    _metric("val_loss", "minimize", "Cross-entropy on the validation split."),
    _metric("val_accuracy", "maximize", "Share of validation examples classified correctly."),
    _metric("test_loss", "minimize", "Cross-entropy on the held-out test split, after training."),
    _metric("test_accuracy", "maximize", "Share of test examples classified correctly, after training."),
]

_MNIST_PARAMS = {
    "learning_rate": number(
        "Learning rate", "Step size of the optimizer.", 0.001, 0.0, 1.0, exclusive_min=True
    ),
    "optimizer": choice(
        "Optimizer", "Adam adapts the step per weight; SGD uses momentum.", "adam", ["adam", "sgd"]
    ),
    "momentum": number("Momentum", "Momentum of SGD (ignored by Adam).", 0.9, 0.0, 0.999),
    "weight_decay": number("Weight decay", "L2 penalty on the weights.", 0.0, 0.0, 0.1),
    "dropout": number(
        "Convolution dropout", "Share of features dropped after the convolutions.", 0.25, 0.0, 0.9
    ),
    "dense_dropout": number(
        "Dense dropout", "Share of units dropped in the 128-unit dense layer.", 0.5, 0.0, 0.9
    ),
    "lr_schedule": choice(
        "Learning-rate schedule",
        "constant keeps the rate; cosine lowers it smoothly to zero over the epochs.",
        "constant",
        ["constant", "cosine"],
    ),
    "validation_fraction": number(
        "Validation share",
        "Share of the training images held out for validation when the data has no validation split.",
        0.1,
        0.01,
        0.5,
    ),
}

_TABULAR_PARAMS = {
    "target_column": {
        "type": "string",
        "title": "Target column",
        "description": "Column holding the class to predict.",
        "default": "target",
        "minLength": 1,
    },
    "feature_columns": {
        "type": ["array", "null"],
        "title": "Feature columns",
        "description": "Columns used as inputs; empty means every column except the target.",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
        "uniqueItems": True,
        "default": None,
    },
    "estimator": choice(
        "Estimator",
        "random_forest and gradient_boosting grow trees over the epochs; logistic_regression "
        "makes one stochastic-gradient pass over the training rows per epoch.",
        "random_forest",
        ["random_forest", "gradient_boosting", "logistic_regression"],
    ),
    "n_estimators": integer(
        "Trees",
        "Total number of trees, grown in equal shares over the epochs (at least one per epoch).",
        100,
        1,
        2000,
    ),
    "max_depth": integer(
        "Maximum tree depth", "Empty means unlimited (forest) or 3 (boosting).", None, 1, 64
    ),
    "learning_rate": number(
        "Learning rate",
        "Shrinkage of gradient boosting, or the step size of logistic regression.",
        0.1,
        0.0,
        10.0,
        exclusive_min=True,
    ),
    "validation_fraction": number(
        "Validation share", "Share of rows held out for validation.", 0.15, 0.05, 0.5
    ),
    "test_fraction": number("Test share", "Share of rows held out for the final test.", 0.15, 0.05, 0.5),
}


def _split_fits(training: dict[str, Any]) -> list[FieldError]:
    params = training["params"]
    if params["validation_fraction"] + params["test_fraction"] > 0.8:
        return [FieldError("params.test_fraction", "validation and test shares together must be at most 0.8")]
    return []


def _catalog() -> dict[str, ModelType]:
    mnist = ModelType(
        name="mnist_pytorch_cnn",
        title="Handwritten digits (CNN)",
        description="A small convolutional network (conv32-pool-conv64-pool-dense128) that reads 28x28 "
        "grey-scale images of handwritten digits and tells which digit, 0 to 9, each one shows.",
        task="image_classification",
        framework="pytorch",
        training_schema=training_schema(
            "Training settings for the digit CNN",
            integer("Epochs", "Passes over the training images.", 1, 1, 50),
            integer("Batch size", "Images per optimisation step.", 64, 1, 4096),
            _MNIST_PARAMS,
        ),
        default_resources=_resources("1", "2Gi", "2", "4Gi"),
        image="ghcr.io/mlops-platform/trainer-pytorch:0.1.0",
        input_signature={
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}],
            "outputs": [
                {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]},
                {"name": "classes", "datatype": "INT64", "shape": [-1]},
            ],
        },
        metrics=_COMMON_METRICS,
        primary_metric="test_accuracy",
        sample_data={"data_source": "local_path", "path": "datasets/mnist/mnist.pkl.gz"},
        data_formats=["pkl", "npz", "idx"],
        trainer="ml.models.mnist_cnn:train",
        predictor="ml.models.mnist_cnn:load_predictor",
    )
    tabular = ModelType(
        name="tabular_sklearn_classifier",
        title="Table classifier (scikit-learn)",
        description="Predicts a category column of a table (CSV, Parquet or a database table) from its "
        "other columns with a random forest, gradient boosting or logistic regression.",
        task="tabular_classification",
        framework="sklearn",
        training_schema=training_schema(
            "Training settings for the table classifier",
            integer("Epochs", "Rounds of training; metrics are reported after each.", 5, 1, 100),
            integer("Batch size", "Rows per step of logistic regression (trees ignore it).", 256, 1, 65536),
            _TABULAR_PARAMS,
        ),
        default_resources=_resources("500m", "1Gi", "2", "2Gi"),
        image="ghcr.io/mlops-platform/trainer-sklearn:0.1.0",
        input_signature={
            "inputs": [{"name": "features", "datatype": "FP64", "shape": [-1, -1]}],
            "outputs": [
                {"name": "probabilities", "datatype": "FP64", "shape": [-1, -1]},
                {"name": "classes", "datatype": "BYTES", "shape": [-1]},
            ],
        },
        metrics=[*_COMMON_METRICS, _metric("test_f1", "maximize", "Macro-averaged F1 on the test split.")],
        primary_metric="test_accuracy",
        sample_data={"data_source": "local_path", "path": "datasets/breast_cancer/breast_cancer.csv"},
        data_formats=["csv", "parquet", "database"],
        trainer="ml.models.tabular:train",
        predictor="ml.models.tabular:load_predictor",
        cross_checks=(_split_fits,),
    )
    return {model.name: model for model in (mnist, tabular)}


MODEL_CONFIGURATIONS: dict[str, ModelType] = _catalog()


def model_types() -> list[dict[str, Any]]:
    """Every model type as JSON-ready dicts (what ``GET /api/model-types`` returns), by name."""
    return [MODEL_CONFIGURATIONS[name].as_json() for name in sorted(MODEL_CONFIGURATIONS)]


def get(name: str) -> ModelType:
    """The model type called ``name``; raises ``UnknownModelType`` naming the known ones."""
    try:
        return MODEL_CONFIGURATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(MODEL_CONFIGURATIONS))
        raise UnknownModelType(f"unknown model type {name!r}; known: {known}") from None


def validate_training(name: str, training: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check a training section ``{"epochs", "batch_size", "params"}`` (any key may be missing).

    Returns the section with every default filled in, and the errors (empty when valid). Field
    paths are relative to the section (``"params.learning_rate"``). When there are errors the
    returned dict is the input with defaults filled where possible and must not be used to train.
    Raises ``UnknownModelType`` for an unknown ``name``.
    """
    model = get(name)
    if not isinstance(training, dict):
        return {}, [FieldError("", "the training settings must be a group of settings")]
    errors = check(model.training_schema, training)
    filled = fill_defaults(model.training_schema, training)
    if not errors:
        for rule in model.cross_checks:
            errors.extend(rule(filled))
    return filled, errors


def check_workflow(
    model_type: str, training: dict[str, Any], prefix: str = "workflow_params"
) -> tuple[dict[str, Any], list[FieldError]]:
    """:func:`validate_training` for a workflow's ``model_type`` and ``training`` section (its unset
    keys left out), with field paths from the request's root (``workflow_params.training.epochs``); an
    unknown model type is an error on ``workflow_params.model_type`` instead of an exception."""
    if model_type not in MODEL_CONFIGURATIONS:
        known = ", ".join(sorted(MODEL_CONFIGURATIONS))
        return {}, [FieldError(f"{prefix}.model_type", f"unknown model type {model_type!r}; known: {known}")]
    asked = {k: v for k, v in training.items() if k in ("epochs", "batch_size", "params") and v is not None}
    resolved, errors = validate_training(model_type, asked)
    return resolved, [FieldError(f"{prefix}.training.{e.field}", e.message) for e in errors]


def describe(errors: list[FieldError]) -> str:
    """The first few errors as one line: ``field: message; field: message``."""
    return "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
