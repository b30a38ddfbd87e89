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


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stackable credential registry", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
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
                }
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
