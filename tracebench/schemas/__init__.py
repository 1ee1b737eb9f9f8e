"""JSON Schemas shipped with tracebench, and one validator that names file, line and field."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


class RecordError(ValueError):
    """A record failed validation; the message names where (file, line) and which field."""


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load a bundled JSON Schema by short name.

    Args:
        name: File stem under ``tracebench/schemas`` (``"problem"`` for ``problem.schema.json``).

    Returns:
        The schema as a dict.
    """
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def field_path(error: jsonschema.ValidationError) -> str:
    """Render the JSON path of a validation error as ``steps[1].facts`` style text."""
    parts: list[str] = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "<record>"


def validate(record: Any, schema: str, where: str = "record") -> None:
    """Validate ``record`` against a bundled schema.

    Args:
        record: The decoded JSON value.
        schema: Short schema name (see :func:`load_schema`).
        where: Location prefix for the message, e.g. ``"data.jsonl:12"``.

    Raises:
        RecordError: Naming ``where``, the failing field and the reason.
    """
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(record), key=lambda e: (len(list(e.absolute_path)), str(e.message)))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        raise RecordError(f"{where}: field '{field_path(best)}': {best.message}")
