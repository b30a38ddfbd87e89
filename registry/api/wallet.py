"""Wallet endpoints: the caller's own entries (list, add or import, remove) and progress."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request, url_for
from flask_login import current_user

from registry.api.blueprint import bp, login_required_api
from registry.api.openapi import PATHS
from registry.auth.permissions import can_keep_wallet
from registry.db import db
from registry.errors import FieldError, NotFound, ValidationError
from registry.learners import services
from registry.learners.models import WalletEntry


def wallet_api(view: Callable) -> Callable:
    @wraps(view)
    @login_required_api
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not can_keep_wallet(current_user):
            abort(403, "This account keeps no wallet.")
        return view(*args, **kwargs)

    return wrapped


def entry_json(entry: WalletEntry) -> dict[str, Any]:
    """The STACKING.md entry plus the entry's id and where it came from."""
    return {"id": entry.id, **services.entry_document(entry), "source": entry.source}


@bp.get("/wallet/entries")
@wallet_api
def wallet_entries():
    """The caller's wallet, oldest award first (the order progress answers index)."""
    entries = services.wallet_entries(db.session, current_user)
    return {"entries": [entry_json(entry) for entry in entries]}


@bp.post("/wallet/entries")
@wallet_api
def add_wallet_entries():
    """Add one entry (an object), or import a list of entries all or nothing."""
    body = request.get_json(silent=True)
    if isinstance(body, list):
        added = services.import_entries(db.session, current_user, body)
        db.session.commit()
        return {"entries": [entry_json(entry) for entry in added]}, 201
    if not isinstance(body, dict):
        raise ValidationError(
            FieldError("", "send one wallet entry as a JSON object, or a JSON list of them")
        )
    entry = services.add_entry(db.session, current_user, body)
    db.session.commit()
    location = url_for("api.wallet_entry", entry_id=entry.id)
    return entry_json(entry), 201, {"Location": location}


def _own_entry(entry_id: int) -> WalletEntry:
    entry = db.session.get(WalletEntry, entry_id)
    if entry is None or entry.user_id != current_user.id:
        raise NotFound(f"no wallet entry {entry_id} in your wallet")
    return entry


@bp.get("/wallet/entries/<int:entry_id>")
@wallet_api
def wallet_entry(entry_id: int):
    """One of the caller's entries (another learner's is not found)."""
    return entry_json(_own_entry(entry_id))


@bp.delete("/wallet/entries/<int:entry_id>")
@wallet_api
def remove_wallet_entry(entry_id: int):
    """Remove one of the caller's entries (another learner's is not found)."""
    services.remove_entry(db.session, current_user, entry_id)
    db.session.commit()
    return "", 204


@bp.get("/wallet/progress")
@wallet_api
def wallet_progress():
    """The STACKING.md evaluation answer for the caller's wallet."""
    cost = request.args.get("cost", "credits")
    limit: Any = None
    if "limit" in request.args:
        limit = request.args.get("limit", type=int)
        if limit is None or limit < 0:
            raise ValidationError(FieldError("limit", "limit must be a whole number >= 0"))
    return services.progress(db.session, current_user, cost=cost, limit=limit)


_ERROR = {"$ref": "#/components/responses/Error"}
_ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_LISTED_ENTRY = {
    "allOf": [
        {"$ref": "#/components/schemas/WalletEntry"},
        {
            "type": "object",
            "required": ["id", "source"],
            "properties": {
                "id": {"type": "integer"},
                "source": {"enum": ["manual", "import", "badge"]},
            },
        },
    ]
}
_ENTRY_LIST = {
    "type": "object",
    "required": ["entries"],
    "properties": {"entries": {"type": "array", "items": _LISTED_ENTRY}},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PATHS["/wallet/entries"] = {
    "get": {
        "summary": "The caller's wallet entries, ordered by earned_on then by when they were added",
        "description": "This order is the wallet's: `entries` in /wallet/progress index it.",
        "security": [{"bearer": []}],
        "responses": {"200": _json(_ENTRY_LIST, "The entries"), "401": _ERROR},
    },
    "post": {
        "summary": "Add one entry (an object) or import a list of entries, all or nothing",
        "description": (
            "The credential must exist and be published, or already be in the wallet. "
            "`earned_on` is a date not in the future; `expires_on` comes after it; `result` is "
            "a short text or a number. `id` and `source` are ignored, so a listed wallet can be "
            "posted back. A list reports every bad entry as `entries[3].earned_on`; nothing is "
            "stored unless every entry is good."
        ),
        "security": [{"bearer": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/WalletEntry"},
                            {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/WalletEntry"},
                            },
                        ]
                    }
                }
            },
        },
        "responses": {
            "201": {
                **_json(
                    {"oneOf": [_LISTED_ENTRY, _ENTRY_LIST]},
                    "The entry (with Location) or the list added",
                ),
                "headers": {"Location": {"schema": {"type": "string"}}},
            },
            "401": _ERROR,
            "422": _ERROR,
        },
    },
}
PATHS["/wallet/entries/{entry_id}"] = {
    "get": {
        "summary": "One of the caller's wallet entries",
        "security": [{"bearer": []}],
        "parameters": [_ENTRY_ID],
        "responses": {"200": _json(_LISTED_ENTRY, "The entry"), "401": _ERROR, "404": _ERROR},
    },
    "delete": {
        "summary": "Remove one of the caller's wallet entries (another learner's is 404)",
        "security": [{"bearer": []}],
        "parameters": [_ENTRY_ID],
        "responses": {"204": {"description": "Removed"}, "401": _ERROR, "404": _ERROR},
    },
}
PATHS["/wallet/progress"] = {
    "get": {
        "summary": "The STACKING.md evaluation answer for the caller's wallet",
        "description": (
            "Every published qualification, evaluated today. `entries` in an assignment index "
            "the wallet as GET /wallet/entries lists it."
        ),
        "security": [{"bearer": []}],
        "parameters": [
            {"name": "cost", "in": "query", "schema": {"enum": ["credits", "count", "price"]}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        ],
        "responses": {
            "200": _json({"$ref": "#/components/schemas/EvaluateAnswer"}, "The answer"),
            "401": _ERROR,
            "422": _ERROR,
            "503": _ERROR,
        },
    }
}
