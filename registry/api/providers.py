"""JSON endpoints for providers: list, read, create and change (admins)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from registry.api.blueprint import bp, json_body, permission_required_api
from registry.api.openapi import PATHS
from registry.credentials.fields import provider_document
from registry.db import db
from registry.errors import FieldError, RegistryError, ValidationError
from registry.providers import services


def _document(provider: Any) -> dict[str, Any]:
    return provider_document(provider, with_ctid=True)


def _page() -> int:
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        raise ValidationError(FieldError("page", "must be a whole number >= 1"))
    return int(page)


@bp.get("/providers")
def list_providers():
    """Providers by name, a page at a time."""
    page, per_page = _page(), current_app.config["PAGE_SIZE"]
    rows, total = services.list_providers(db.session, page=page, per_page=per_page)
    return jsonify({"items": [_document(p) for p in rows], "total": total, "page": page})


@bp.get("/providers/<provider_id>")
def get_provider(provider_id: str):
    """One provider in catalogue shape."""
    return jsonify(_document(services.get_provider(db.session, provider_id)))


@bp.post("/providers")
@permission_required_api("provider:create")
def create_provider():
    """Add a provider; 201 with its Location."""
    data = json_body()
    try:
        provider = services.create_provider(db.session, data, actor=current_user)
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    response = jsonify(_document(provider))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_provider", provider_id=provider.id)
    return response


@bp.patch("/providers/<provider_id>")
@permission_required_api("provider:edit")
def update_provider(provider_id: str):
    """Change some fields of a provider; a null removes an optional field."""
    provider = services.get_provider(db.session, provider_id)
    document = provider_document(provider, with_ctid=True)
    for key, value in json_body().items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    try:
        services.update_provider(db.session, provider, document, actor=current_user)
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    return jsonify(_document(provider))


PROVIDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "country"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
        "ctid": {"type": "string", "readOnly": True},
        "name": {"type": "string", "maxLength": 300},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "url": {"type": "string", "format": "uri"},
        "email_domains": {"type": "array", "items": {"type": "string"}},
        "description": {"type": "string"},
    },
}
_ERRORS = {
    code: {"$ref": "#/components/responses/Error"} for code in ("401", "403", "404", "409", "422")
}
_JSON_PROVIDER = {"application/json": {"schema": PROVIDER_SCHEMA}}

PATHS["/providers"] = {
    "get": {
        "summary": "List providers by name",
        "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
        "responses": {
            "200": {
                "description": "One page of providers",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": PROVIDER_SCHEMA},
                                "total": {"type": "integer"},
                                "page": {"type": "integer"},
                            },
                        }
                    }
                },
            },
            "422": _ERRORS["422"],
        },
    },
    "post": {
        "summary": "Add a provider (admins)",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": _JSON_PROVIDER},
        "responses": {
            "201": {
                "description": "Created; Location names it",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": _JSON_PROVIDER,
            },
            **{k: _ERRORS[k] for k in ("401", "403", "409", "422")},
        },
    },
}
PATHS["/providers/{provider_id}"] = {
    "parameters": [
        {"name": "provider_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ],
    "get": {
        "summary": "One provider",
        "responses": {
            "200": {"description": "The provider", "content": _JSON_PROVIDER},
            "404": _ERRORS["404"],
        },
    },
    "patch": {
        "summary": "Change some fields of a provider (admins); null removes an optional field",
        "security": [{"bearer": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {**PROVIDER_SCHEMA, "required": []}}},
        },
        "responses": {
            "200": {"description": "The changed provider", "content": _JSON_PROVIDER},
            **{k: _ERRORS[k] for k in ("401", "403", "404", "422")},
        },
    },
}
