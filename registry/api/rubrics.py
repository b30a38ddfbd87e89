"""JSON endpoint for the rubric new submissions are reviewed against."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from registry.api.blueprint import bp
from registry.api.openapi import PATHS
from registry.db import db
from registry.review.rubrics import PRINCIPLES, current_rubric_version, version_document


@bp.get("/rubrics/current")
def current_rubric():
    """The current rubric version: criteria, level scale, threshold, reviewers per submission."""
    return jsonify(version_document(current_rubric_version(db.session)))


RUBRIC_VERSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "rubric",
        "number",
        "current",
        "frozen",
        "levels",
        "met_level",
        "threshold",
        "reviewers_per_submission",
        "criteria",
    ],
    "properties": {
        "id": {"type": "integer"},
        "rubric": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "number": {"type": "integer"},
        "current": {"type": "boolean"},
        "frozen": {"type": "boolean", "description": "Used by a submission: never changes"},
        "frozen_at": {"type": ["string", "null"], "format": "date-time"},
        "levels": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["value", "label"],
                "properties": {"value": {"type": "integer"}, "label": {"type": "string"}},
            },
        },
        "met_level": {"type": "integer", "description": "Levels at or above count as met"},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "reviewers_per_submission": {"type": "integer", "minimum": 1},
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "title", "guidance", "principle", "points", "essential"],
                "properties": {
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "guidance": {"type": "string"},
                    "principle": {"enum": list(PRINCIPLES)},
                    "points": {"type": "integer", "minimum": 1, "maximum": 3},
                    "essential": {"type": "boolean"},
                },
            },
        },
    },
}

PATHS["/rubrics/current"] = {
    "get": {
        "summary": "The rubric version new submissions are reviewed against",
        "responses": {
            "200": {
                "description": "The current rubric version",
                "content": {"application/json": {"schema": RUBRIC_VERSION_SCHEMA}},
            },
            "404": {"$ref": "#/components/responses/Error"},
        },
    }
}
