"""JSON endpoints for submissions: submit a credential, read a submission, take an action."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from registry.api.blueprint import bp, login_required_api
from registry.api.openapi import PATHS
from registry.credentials.services import get_credential
from registry.db import db
from registry.errors import FieldError, PermissionDenied, RegistryError, ValidationError
from registry.review import services, workflow

# What each action's body may carry; anything else is refused by name.
ACTION_FIELDS = {
    action: ("reason", "deadline", "unmet_criteria")
    if action == "request_revisions"
    else ("reason",)
    for action in workflow.TABLE
}


def _document(submission: Any):
    mode = services.viewer_mode(db.session, submission, current_user)
    if mode is None:
        raise PermissionDenied(
            "only QA coordinators, the provider's staff and its assigned reviewers see this "
            "submission"
        )
    return services.submission_document(db.session, submission, current_user, mode=mode)


@bp.post("/credentials/<credential_id>/submit")
@login_required_api
def submit_credential(credential_id: str):
    """Submit the credential's current version for review; 422 lists the missing elements."""
    credential = get_credential(db.session, credential_id)
    existed = services.submission_for(db.session, credential.current) is not None
    try:
        submission = services.submit_credential(
            db.session, credential, actor=current_user, base_url=current_app.config["BASE_URL"]
        )
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    response = jsonify(_document(submission))
    location = url_for("api.get_submission", submission_id=submission.id)
    response.headers["Location"] = location
    response.status_code = 200 if existed else 201
    return response


@bp.post("/credentials/<credential_id>/review-record")
@login_required_api
def open_review_record(credential_id: str):
    """The submission of the published version, opened for one published before review."""
    credential = get_credential(db.session, credential_id)
    existed = services.submission_for(db.session, credential.published) is not None
    try:
        submission = services.open_review_record(db.session, credential, actor=current_user)
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    response = jsonify(_document(submission))
    response.headers["Location"] = url_for("api.get_submission", submission_id=submission.id)
    response.status_code = 200 if existed else 201
    return response


@bp.get("/submissions/<int:submission_id>")
@login_required_api
def get_submission(submission_id: int):
    """One submission, masked by the caller's role."""
    return jsonify(_document(services.get_submission(db.session, submission_id)))


@bp.post("/submissions/<int:submission_id>/actions/<action>")
@login_required_api
def take_action(submission_id: int, action: str):
    """Take one action of the decision table: 404 unknown, 403 role, 409 state, 422 input."""
    submission = services.get_submission(db.session, submission_id)
    services.check_action(submission, action, actor=current_user)
    facts = _action_body(action)
    try:
        services.take_action(
            db.session,
            submission,
            action,
            actor=current_user,
            facts=facts,
            base_url=current_app.config["BASE_URL"],
        )
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    return jsonify(_document(submission))


def _action_body(action: str) -> dict[str, Any]:
    """The body's facts; no body (or an empty one) is an empty object."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(FieldError("", "the request body must be a JSON object"))
    allowed = ACTION_FIELDS[action]
    problems = [
        FieldError(key, f"unknown field; {action} takes {', '.join(allowed)}")
        for key in body
        if key not in allowed
    ]
    if "reason" in body and body["reason"] is not None and not isinstance(body["reason"], str):
        problems.append(FieldError("reason", "must be text"))
    if "deadline" in body and not isinstance(body["deadline"], str | None):
        problems.append(FieldError("deadline", "must be a date written YYYY-MM-DD"))
    if problems:
        raise ValidationError(problems)
    return {key: body[key] for key in allowed if key in body}


# --- OpenAPI ------------------------------------------------------------------------------

_ERROR = {"$ref": "#/components/responses/Error"}
_DATE = {"type": "string", "format": "date"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
SUBMISSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A submission, masked by the caller's role: the provider's staff never see "
    "a reviewer's identity; a reviewer sees the other reviews only after submitting their own.",
    "properties": {
        "id": {"type": "integer"},
        "credential": {"type": "string"},
        "provider": {"type": "string"},
        "version": {"type": "integer"},
        "title": {"type": "string"},
        "state": {"enum": [*workflow.STATES, services.SUPERSEDED]},
        "round": {"type": "integer"},
        "lock_version": {"type": "integer"},
        "rubric_version": {
            "type": ["object", "null"],
            "properties": {
                "id": {"type": "integer"},
                "rubric": {"type": "string"},
                "number": {"type": "integer"},
            },
        },
        "submitted_at": {"type": "string", "format": "date-time"},
        "revision_deadline": {"type": ["string", "null"], "format": "date"},
        "unmet_criteria": {"type": "array", "items": {"type": "string"}},
        "decision": {"type": ["object", "null"]},
        "allowed_actions": {"type": "array", "items": {"enum": list(workflow.TABLE)}},
        "assignments": {"type": "array", "items": {"type": "object"}},
        "reviews": {"type": "array", "items": {"type": "object"}},
        "aggregate": {"type": ["object", "null"]},
        "flags": {"type": "array", "items": {"type": "string"}},
        "events": {"type": "array", "items": {"type": "object"}},
    },
}
_JSON_SUBMISSION = {"application/json": {"schema": SUBMISSION_SCHEMA}}
_SID = {"name": "submission_id", "in": "path", "required": True, "schema": {"type": "integer"}}

PATHS["/credentials/{credential_id}/submit"] = {
    "post": {
        "summary": "Submit the credential's current version for review (its provider's staff)",
        "security": [{"bearer": []}],
        "parameters": [
            {"name": "credential_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "201": {
                "description": "Submitted; Location names the submission",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": _JSON_SUBMISSION,
            },
            "200": {
                "description": "A version returned as incomplete, submitted again",
                "content": _JSON_SUBMISSION,
            },
            "422": {
                "description": "Mandatory elements are missing: one error per element",
                "$ref": "#/components/responses/Error",
            },
            **dict.fromkeys(("401", "403", "404", "409"), _ERROR),
        },
    }
}
PATHS["/credentials/{credential_id}/review-record"] = {
    "post": {
        "summary": "The submission of the published version; one is opened (state published) "
        "for a version published before review, e.g. by a catalogue import, so that it can be "
        "suspended or retired",
        "security": [{"bearer": []}],
        "parameters": [
            {"name": "credential_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "201": {"description": "Opened", "content": _JSON_SUBMISSION},
            "200": {"description": "It had one already", "content": _JSON_SUBMISSION},
            **dict.fromkeys(("401", "403", "404", "409"), _ERROR),
        },
    }
}
PATHS["/submissions/{submission_id}"] = {
    "get": {
        "summary": "A submission: state, round, rubric version, assignments, aggregate, flags "
        "and events, masked by the caller's role",
        "security": [{"bearer": []}],
        "parameters": [_SID],
        "responses": {
            "200": {"description": "The submission", "content": _JSON_SUBMISSION},
            **dict.fromkeys(("401", "403", "404"), _ERROR),
        },
    }
}
PATHS["/submissions/{submission_id}/actions/{action}"] = {
    "post": {
        "summary": "Take one action of the decision table",
        "description": "send_to_review, return_incomplete (reason), desk_reject (reason), "
        "approve (reason when overriding the recommendation), request_revisions (deadline after "
        "today, unmet_criteria of the pinned rubric version, reason optional), reject (reason), "
        "withdraw, resubmit, suspend (reason), reinstate, retire. 409 when the state does not "
        "allow the action, 403 when the caller's role does not, 422 when a requirement is "
        "missing; a refusal changes nothing.",
        "security": [{"bearer": []}],
        "parameters": [
            _SID,
            {
                "name": "action",
                "in": "path",
                "required": True,
                "schema": {"enum": list(workflow.PUBLIC_ACTIONS)},
            },
        ],
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "reason": _NULLABLE_TEXT,
                            "deadline": _DATE,
                            "unmet_criteria": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {"description": "The submission after the action", "content": _JSON_SUBMISSION},
            **dict.fromkeys(("401", "403", "404", "409", "422"), _ERROR),
        },
    }
}
