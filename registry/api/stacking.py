"""Stacking endpoints: evaluate a wallet, and a credential's pathway."""

from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from registry.api.blueprint import bp, json_body
from registry.api.openapi import PATHS
from registry.auth.permissions import can_view_credential
from registry.credentials.models import Credential
from registry.db import db
from registry.learners.evaluation import credential_pathway, evaluate_wallet
from registry.pathways.services import visible_pathway


@bp.post("/evaluate")
def evaluate():
    """Evaluate a wallet against the published catalogue (open to everyone: it stores nothing)."""
    return jsonify(evaluate_wallet(db.session, json_body()))


@bp.get("/credentials/<credential_id>/pathway")
def pathway(credential_id: str):
    """What the credential needs (a tree) and what it counts toward, transitively."""
    credential = db.session.get(Credential, credential_id) or abort(404)
    if not can_view_credential(current_user, credential):
        abort(403 if current_user.is_authenticated else 401)
    pathway = credential_pathway(db.session, credential_id)
    return jsonify(visible_pathway(db.session, pathway, current_user))


_ERRORS = {
    "422": {"$ref": "#/components/responses/Error"},
    # A large catalogue whose answers under the requested cost are not prepared yet.
    "503": {"$ref": "#/components/responses/Error"},
}
PATHS["/evaluate"] = {
    "post": {
        "summary": "Evaluate a wallet against the published qualifications (STACKING.md)",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/EvaluateRequest"}}
            },
        },
        "responses": {
            "200": {
                "description": "Completed, in progress and unreachable qualifications",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/EvaluateAnswer"}}
                },
            },
            **_ERRORS,
        },
    }
}
PATHS["/credentials/{credential_id}/pathway"] = {
    "get": {
        "summary": "A credential's requirements tree and the qualifications it counts toward",
        "parameters": [
            {"name": "credential_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "The pathway",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "404": {"$ref": "#/components/responses/Error"},
        },
    }
}
