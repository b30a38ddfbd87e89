"""JSON endpoints for credentials: list the published ones, read one, create and edit drafts."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user

from registry.api.blueprint import bp, json_body, login_required_api
from registry.api.openapi import PATHS
from registry.auth.permissions import (
    can_create_credential,
    can_edit_credential,
    can_view_credential,
    has_permission,
)
from registry.credentials import services
from registry.credentials.fields import credential_document
from registry.credentials.models import PARTICIPATION_FORMS, STATUS_VALUES
from registry.db import db
from registry.errors import FieldError, PermissionDenied, RegistryError, ValidationError

# Keys the registry sets; a client may send them back unchanged, never different.
READ_ONLY = ("ctid", "country", "version", "status")


def _page() -> int:
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        raise ValidationError(FieldError("page", "must be a whole number >= 1"))
    return int(page)


def _deny(message: str) -> None:
    """401 for anonymous callers, 403 for the rest."""
    if not current_user.is_authenticated:
        abort(401, "Send a valid API token as 'Authorization: Bearer <token>'.")
    raise PermissionDenied(message)


@bp.get("/credentials")
def list_credentials():
    """Published credentials by title, a page at a time, optionally of one provider."""
    page, per_page = _page(), current_app.config["PAGE_SIZE"]
    rows, total = services.published_credentials(
        db.session,
        provider_id=request.args.get("provider") or None,
        page=page,
        per_page=per_page,
    )
    items = [services.credential_api_document(c, v) for c, v in rows]
    return jsonify({"items": items, "total": total, "page": page})


@bp.get("/credentials/<credential_id>")
def get_credential(credential_id: str):
    """One credential: its published version, or with ?version=current its newest (staff, QA)."""
    credential = services.get_credential(db.session, credential_id)
    if not can_view_credential(current_user, credential):
        _deny("This credential is not published; only its provider and QA see it.")
    try:
        version = services.version_to_show(
            credential,
            request.args.get("version"),
            drafts_visible=services.sees_drafts(current_user, credential),
        )
    except PermissionDenied as exc:
        _deny(str(exc))
    return jsonify(services.credential_api_document(credential, version))


@bp.post("/credentials")
@login_required_api
def create_credential():
    """Add a credential as a draft for a provider the caller acts for; 201 with its Location."""
    if not has_permission(current_user, "credential:create"):
        abort(403, "Only provider staff and admins add credentials.")
    data = json_body()
    provider = data.get("provider")
    if isinstance(provider, str) and provider and not can_create_credential(current_user, provider):
        abort(403, "You may add credentials only for your own provider.")
    problems = []
    for key in READ_ONLY:
        if key == "status" and data.get(key) in (None, "draft"):
            continue
        if key in data:
            message = (
                "new credentials start as drafts; publication goes through review"
                if key == "status"
                else "is read-only; the registry sets it"
            )
            problems.append(FieldError(key, message))
    data = {k: v for k, v in data.items() if k not in READ_ONLY}
    if problems:
        raise ValidationError(problems + services.credential_problems_in_db(db.session, data))
    try:
        credential = services.create_credential(db.session, data, actor=current_user)
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    response = jsonify(services.credential_api_document(credential, credential.current))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_credential", credential_id=credential.id)
    return response


@bp.patch("/credentials/<credential_id>")
@login_required_api
def update_credential(credential_id: str):
    """Change some fields of a credential's draft; a null removes a field; 409 if not a draft."""
    credential = services.get_credential(db.session, credential_id)
    if not can_edit_credential(current_user, credential):
        abort(403, "Only the provider's staff and admins edit this credential.")
    version = services.editable_version(credential)
    current = services.credential_api_document(credential, version)
    document = credential_document(credential, version)
    problems = []
    for key, value in json_body().items():
        if key in READ_ONLY:
            if value != current.get(key):
                problems.append(FieldError(key, "is read-only; the registry sets it"))
        elif value is None:
            document.pop(key, None)
        else:
            document[key] = value
    if problems:
        raise ValidationError(
            problems + services.credential_problems_in_db(db.session, document, credential)
        )
    try:
        services.update_credential(db.session, credential, document, actor=current_user)
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    # The update leaves the version it wrote as the current one.
    return jsonify(services.credential_api_document(credential, credential.current or version))


def _credential_schema() -> dict[str, Any]:
    rule = {
        "type": ["object", "null"],
        "description": "A stacking rule (all / any / at_least / credential / credits / count).",
    }
    text = {"type": "string"}
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object",
        "required": ["id", "provider", "title"],
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
            "ctid": {"type": "string", "readOnly": True},
            "provider": text,
            "country": {"type": "string", "readOnly": True},
            "title": {"type": "string", "maxLength": 300},
            "description": text,
            "learning_outcomes": strings,
            "credits": {"type": "number", "minimum": 0},
            "credit_unit": {"type": "string", "default": "ECTS"},
            "level": {"type": "integer", "minimum": 1, "maximum": 8},
            "subjects": strings,
            "languages": strings,
            "type": {"type": "string", "default": "micro-credential"},
            "assessment_type": text,
            "participation_form": {"enum": list(PARTICIPATION_FORMS)},
            "quality_assurance": text,
            "duration": text,
            "url": {"type": "string", "format": "uri"},
            "status": {"enum": list(STATUS_VALUES), "readOnly": True},
            "version": {"type": "integer", "readOnly": True},
            "valid_years": {"type": "integer", "minimum": 1, "maximum": 100},
            "price": {"type": "number", "minimum": 0},
            "prerequisites": rule,
            "requirements": rule,
            "max_reuse": {"type": "integer", "minimum": 1},
        },
    }


CREDENTIAL_SCHEMA = _credential_schema()
_JSON_CREDENTIAL = {"application/json": {"schema": CREDENTIAL_SCHEMA}}
_ERROR = {"$ref": "#/components/responses/Error"}
_ID = {"name": "credential_id", "in": "path", "required": True, "schema": {"type": "string"}}

PATHS["/credentials"] = {
    "get": {
        "summary": "List published credentials by title",
        "parameters": [
            {"name": "provider", "in": "query", "schema": {"type": "string"}},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        ],
        "responses": {
            "200": {
                "description": "One page of published credentials",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": CREDENTIAL_SCHEMA},
                                "total": {"type": "integer"},
                                "page": {"type": "integer"},
                            },
                        }
                    }
                },
            },
            "422": _ERROR,
        },
    },
    "post": {
        "summary": "Add a credential as a draft (provider staff for their provider, admins)",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": _JSON_CREDENTIAL},
        "responses": {
            "201": {
                "description": "Created as draft version 1; Location names it",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": _JSON_CREDENTIAL,
            },
            **dict.fromkeys(("401", "403", "409", "422"), _ERROR),
        },
    },
}
PATHS["/credentials/{credential_id}"] = {
    "parameters": [_ID],
    "get": {
        "summary": "One credential in catalogue shape",
        "parameters": [
            {
                "name": "version",
                "in": "query",
                "description": "'published' (default), 'current' (staff of the provider, QA, "
                "admins) or a version number",
                "schema": {"type": "string"},
            }
        ],
        "responses": {
            "200": {"description": "The credential", "content": _JSON_CREDENTIAL},
            **dict.fromkeys(("401", "403", "404", "422"), _ERROR),
        },
    },
    "patch": {
        "summary": "Change some fields of a credential's draft; null removes a field",
        "security": [{"bearer": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {**CREDENTIAL_SCHEMA, "required": []}}},
        },
        "responses": {
            "200": {"description": "The changed draft", "content": _JSON_CREDENTIAL},
            **dict.fromkeys(("401", "403", "404", "409", "422"), _ERROR),
        },
    },
}
