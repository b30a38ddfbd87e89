"""Endpoints shared by the whole API: the OpenAPI document and the caller's identity."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from registry.api.blueprint import bp, login_required_api
from registry.api.openapi import openapi_document


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/me")
@login_required_api
def me():
    """Who the token or session belongs to."""
    return jsonify(
        {
            "id": current_user.id,
            "email": current_user.email,
            "name": current_user.name,
            "roles": sorted(current_user.roles),
            "provider": current_user.provider_id,
        }
    )
