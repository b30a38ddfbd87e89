"""The OpenAPI 3.1 document; each endpoint module adds its paths here."""

from __future__ import annotations

from typing import Any

PATHS: dict[str, dict[str, Any]] = {
    "/me": {
        "get": {
            "summary": "The authenticated caller",
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "The caller"},
                "401": {"$ref": "#/components/responses/Error"},
            },
        }
    },
}


_DATE = {"type": "string", "format": "date"}
STACKING_SCHEMAS: dict[str, Any] = {
    "WalletEntry": {
        "type": "object",
        "required": ["credential", "earned_on"],
        "properties": {
            "credential": {"type": "string"},
            "earned_on": _DATE,
            "expires_on": _DATE,
            "revoked": {"type": "boolean"},
            "result": {"type": ["string", "number"]},
            "counted_toward": {"type": "array", "items": {"type": "string"}},
        },
    },
    "EvaluateRequest": {
        "type": "object",
        "required": ["wallet"],
        "properties": {
            "wallet": {"type": "array", "items": {"$ref": "#/components/schemas/WalletEntry"}},
            "as_of": _DATE,
            "qualifications": {"type": "array", "items": {"type": "string"}},
            "cost": {"enum": ["credits", "count", "price"]},
            "limit": {"type": "integer", "minimum": 0},
        },
    },
    "EvaluateAnswer": {
        "type": "object",
        "required": ["as_of", "completed", "in_progress", "unreachable"],
        "properties": {
            "as_of": _DATE,
            "completed": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["qualification", "assignment"],
                    "properties": {
                        "qualification": {"type": "string"},
                        "assignment": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["path", "entries"],
                                "properties": {
                                    "path": {"type": "string"},
                                    "entries": {"type": "array", "items": {"type": "integer"}},
                                },
                            },
                        },
                    },
                },
            },
            "in_progress": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["qualification", "progress", "plan", "plan_cost"],
                    "properties": {
                        "qualification": {"type": "string"},
                        "progress": {"type": ["number", "null"]},
                        "plan": {"type": "array", "items": {"type": "string"}},
                        "plan_cost": {"type": "number"},
                    },
                },
            },
            "unreachable": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stackable credential registry", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **STACKING_SCHEMAS,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "title", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "title": {"type": "string"},
                                "message": {"type": "string"},
                                "errors": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["field", "message"],
                                        "properties": {
                                            "field": {"type": "string"},
                                            "message": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        }
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "An error in the API's one shape",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
