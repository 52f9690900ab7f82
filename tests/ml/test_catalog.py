"""The model catalog: importable without the ML stack, JSON-ready, validating with readable errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator

from ml import catalog
from ml.catalog import FieldError
from tests.ml.factories import REPO, trainer_env

MNIST = "mnist_pytorch_cnn"
TABULAR = "tabular_sklearn_classifier"


class TestImport:
    def test_does_not_load_the_ml_stack(self) -> None:
        probe = (
            "import sys, json, ml.catalog; ml.catalog.model_types(); "
            "print(json.dumps(sorted(m for m in ('torch', 'numpy', 'pandas', 'sklearn', 'scipy') if m in sys.modules)))"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=trainer_env(),
            check=True,
        )
        assert json.loads(result.stdout) == []


class TestModelTypes:
    def test_lists_every_type_as_json(self) -> None:
        types = catalog.model_types()
        assert [t["name"] for t in types] == [MNIST, TABULAR]
        json.dumps(types)

    @pytest.mark.parametrize("name", [MNIST, TABULAR])
    def test_schema_is_valid_draft_2020_12_with_documented_bounded_params(self, name: str) -> None:
        model = catalog.get(name)
        schema = model.training_schema
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        epochs = schema["properties"]["epochs"]
        assert epochs["minimum"] == 1 and epochs["maximum"] >= 10 and "default" in epochs
        params = schema["properties"]["params"]
        assert params["additionalProperties"] is False
        for prop in params["properties"].values():
            assert {"type", "default", "title", "description"} <= set(prop)
            kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
            if {"integer", "number"} & set(kinds):
                assert ("minimum" in prop or "exclusiveMinimum" in prop) and "maximum" in prop

    @pytest.mark.parametrize("name", [MNIST, TABULAR])
    def test_declares_resources_image_signature_metrics_and_sample(self, name: str) -> None:
        model = catalog.get(name).as_json()
        assert set(model["default_resources"]) == {"requests", "limits"}
        assert model["image"].startswith("ghcr.io/mlops-platform/trainer-")
        assert model["input_signature"]["inputs"][0]["shape"][0] == -1
        assert model["primary_metric"] in {m["name"] for m in model["metrics"]}
        assert {m["goal"] for m in model["metrics"]} == {"maximize", "minimize"}
        assert model["sample_data"]["data_source"] == "local_path"
        assert not model["sample_data"]["path"].startswith("/")
        assert ":" in model["trainer"] and ":" in model["predictor"]

    def test_resolves_trainer_and_predictor_lazily(self) -> None:
        model = catalog.get(TABULAR)
        assert callable(model.resolve("trainer")) and callable(model.resolve("predictor"))


class TestGet:
    def test_unknown_type_names_the_known_ones(self) -> None:
        with pytest.raises(
            catalog.UnknownModelType, match="known: mnist_pytorch_cnn, tabular_sklearn_classifier"
        ):
            catalog.get("resnet")


class TestValidateTraining:
    def test_fills_every_default(self) -> None:
        filled, errors = catalog.validate_training(MNIST, {})
        assert errors == []
        assert filled == {"epochs": 1, "batch_size": 64, "params": catalog.get(MNIST).defaults["params"]}
        assert filled["params"]["learning_rate"] == 0.001 and filled["params"]["optimizer"] == "adam"

    def test_keeps_given_values_and_turns_whole_floats_into_ints(self) -> None:
        filled, errors = catalog.validate_training(MNIST, {"epochs": 3.0, "params": {"optimizer": "sgd"}})
        assert errors == []
        assert filled["epochs"] == 3 and isinstance(filled["epochs"], int)
        assert filled["params"]["optimizer"] == "sgd" and filled["params"]["momentum"] == 0.9

    def test_unknown_parameter_is_named_with_the_known_ones(self) -> None:
        _, errors = catalog.validate_training(MNIST, {"params": {"bogus": 1}})
        assert len(errors) == 1
        assert errors[0].field == "params.bogus"
        assert errors[0].message.startswith("unknown parameter; known: dense_dropout, dropout, learning_rate")

    def test_epochs_zero(self) -> None:
        assert catalog.validate_training(MNIST, {"epochs": 0})[1] == [
            FieldError("epochs", "must be at least 1")
        ]

    def test_epochs_above_the_maximum(self) -> None:
        assert catalog.validate_training(MNIST, {"epochs": 51})[1] == [
            FieldError("epochs", "must be at most 50")
        ]

    def test_wrong_enum(self) -> None:
        _, errors = catalog.validate_training(MNIST, {"params": {"optimizer": "rmsprop"}})
        assert errors == [FieldError("params.optimizer", "must be one of adam, sgd")]

    @pytest.mark.parametrize(
        ("training", "error"),
        [
            ({"batch_size": "64"}, FieldError("batch_size", "must be a whole number")),
            ({"batch_size": True}, FieldError("batch_size", "must be a whole number")),
            ({"params": {"learning_rate": "fast"}}, FieldError("params.learning_rate", "must be a number")),
            (
                {"params": {"learning_rate": 0}},
                FieldError("params.learning_rate", "must be greater than 0.0"),
            ),
            ({"params": []}, FieldError("params", "must be a group of settings")),
        ],
    )
    def test_wrong_type_or_bound(self, training: dict, error: FieldError) -> None:
        assert catalog.validate_training(MNIST, training)[1] == [error]

    def test_reports_every_error_at_once(self) -> None:
        _, errors = catalog.validate_training(MNIST, {"epochs": 0, "extra": 1, "params": {"dropout": 2}})
        assert [e.field for e in errors] == ["epochs", "extra", "params.dropout"]
        assert str(errors[1]).startswith("extra: unknown setting; known: batch_size, epochs, params")

    def test_tabular_nullable_and_list_params(self) -> None:
        filled, errors = catalog.validate_training(
            TABULAR,
            {"params": {"max_depth": None, "feature_columns": ["a", "b"], "estimator": "gradient_boosting"}},
        )
        assert errors == []
        assert filled["params"]["max_depth"] is None and filled["params"]["target_column"] == "target"
        _, errors = catalog.validate_training(
            TABULAR, {"params": {"feature_columns": ["a", "a"], "max_depth": 0}}
        )
        assert errors == [
            FieldError("params.feature_columns", "must not list the same item twice"),
            FieldError("params.max_depth", "must be at least 1"),
        ]

    def test_tabular_split_shares_must_leave_training_rows(self) -> None:
        _, errors = catalog.validate_training(
            TABULAR, {"params": {"validation_fraction": 0.5, "test_fraction": 0.5}}
        )
        assert errors == [
            FieldError("params.test_fraction", "validation and test shares together must be at most 0.8")
        ]

    def test_unknown_model_type_raises(self) -> None:
        with pytest.raises(catalog.UnknownModelType):
            catalog.validate_training("nope", {})
