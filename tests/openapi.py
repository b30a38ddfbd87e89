"""Checking API answers against the schemas of our OpenAPI document, with jsonschema."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


def schema_errors(value: Any, schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Where `value` breaks `schema`, a schema of `document` (OpenAPI 3.1, JSON Schema 2020-12).

    The schema is wrapped in a root that carries the document's components, so its
    "#/components/..." references resolve.
    """
    root = {"allOf": [schema], "components": document.get("components", {})}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '$'}: {error.message}"
        for error in validator.iter_errors(value)
    ]
