"""JSON Schema helpers for training settings: property builders, defaults, readable errors.

Pure stdlib + jsonschema, so that ``ml.catalog`` stays importable without the ``ml`` extra.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a group of settings",
    "null": "empty",
}


@dataclass(frozen=True)
class FieldError:
    """One invalid setting: ``field`` is a dotted path inside the training section
    (``"epochs"``, ``"params.learning_rate"``), ``message`` a sentence for a non-programmer."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def integer(title: str, description: str, default: int | None, minimum: int, maximum: int) -> dict[str, Any]:
    """An integer property with bounds (``default=None`` makes it optional-and-empty)."""
    kind: Any = "integer" if default is not None else ["integer", "null"]
    return {
        "type": kind,
        "title": title,
        "description": description,
        "default": default,
        "minimum": minimum,
        "maximum": maximum,
    }


def number(
    title: str,
    description: str,
    default: float,
    minimum: float,
    maximum: float,
    *,
    exclusive_min: bool = False,
) -> dict[str, Any]:
    """A number property with bounds; ``exclusive_min`` turns the lower bound strict."""
    low = {"exclusiveMinimum": minimum} if exclusive_min else {"minimum": minimum}
    return {"type": "number", "title": title, "description": description, "default": default, **low,
            "maximum": maximum}  # fmt: skip


def choice(title: str, description: str, default: str, options: list[str]) -> dict[str, Any]:
    """A string property restricted to ``options``."""
    return {"type": "string", "title": title, "description": description, "default": default, "enum": options}


def training_schema(
    title: str, epochs: dict[str, Any], batch_size: dict[str, Any], params: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The schema of a training section: ``epochs``, ``batch_size`` and a closed ``params`` object."""
    return {
        "$schema": DIALECT,
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "epochs": epochs,
            "batch_size": batch_size,
            "params": {
                "type": "object",
                "title": "Model parameters",
                "additionalProperties": False,
                "properties": params,
                "default": {},
            },
        },
    }


def defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """Every default of an object schema, recursively (``params`` included)."""
    out: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "object" and "properties" in prop:
            out[name] = defaults(prop)
        elif "default" in prop:
            out[name] = copy.deepcopy(prop["default"])
    return out


def fill_defaults(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``value`` with missing properties set to their defaults and whole-valued floats
    in integer properties turned into ints (JSON Schema counts ``3.0`` as an integer)."""
    out = copy.deepcopy(value)
    for name, prop in schema.get("properties", {}).items():
        if name not in out:
            if "default" not in prop:
                continue
            out[name] = copy.deepcopy(prop["default"])
        current = out[name]
        if prop.get("type") == "object" and isinstance(current, dict):
            out[name] = fill_defaults(prop, current)
        elif _allows(prop, "integer") and isinstance(current, float) and current.is_integer():
            out[name] = int(current)
    return out


def check(schema: dict[str, Any], value: Any) -> list[FieldError]:
    """Every violation of ``schema`` by ``value`` as readable field errors, sorted by field."""
    validator = Draft202012Validator(schema)
    errors: list[FieldError] = []
    for error in validator.iter_errors(value):
        errors.extend(_describe(error))
    return sorted(set(errors), key=lambda e: (e.field, e.message))


def _allows(prop: dict[str, Any], kind: str) -> bool:
    declared = prop.get("type")
    return declared == kind or (isinstance(declared, list) and kind in declared)


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def _describe(error: ValidationError) -> list[FieldError]:
    field = _path(error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        present = error.instance if isinstance(error.instance, dict) else {}
        what = "unknown parameter" if field == "params" else "unknown setting"
        return [
            FieldError(_path([*error.absolute_path, extra]), f"{what}; known: {', '.join(known)}")
            for extra in sorted(set(present) - set(known))
        ]
    if error.validator == "required" and isinstance(error.instance, dict):
        return [
            FieldError(_path([*error.absolute_path, name]), "is required")
            for name in error.validator_value
            if name not in error.instance
        ]
    return [FieldError(field, _message(error))]


def _message(error: ValidationError) -> str:
    rule, limit = error.validator, error.validator_value
    if rule == "type":
        kinds = limit if isinstance(limit, list) else [limit]
        return "must be " + " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kinds)
    if rule == "enum":
        return "must be one of " + ", ".join(str(v) for v in limit)
    simple = {
        "minimum": f"must be at least {limit}",
        "maximum": f"must be at most {limit}",
        "exclusiveMinimum": f"must be greater than {limit}",
        "exclusiveMaximum": f"must be less than {limit}",
        "minItems": f"must have at least {limit} item(s)",
        "maxItems": f"must have at most {limit} item(s)",
        "minLength": "must not be empty" if limit == 1 else f"must be at least {limit} characters long",
        "maxLength": f"must be at most {limit} characters long",
        "uniqueItems": "must not list the same item twice",
        "pattern": "has an invalid format",
    }
    return simple.get(str(rule), str(error.message))
