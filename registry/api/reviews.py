"""JSON endpoints for assigning reviewers and for reviewers: list, accept, decline, submit."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from flask_login import current_user

from registry.api.blueprint import bp, json_body, permission_required_api
from registry.api.openapi import PATHS
from registry.auth.services import get_user_by_email
from registry.db import db
from registry.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    RegistryError,
    ValidationError,
)
from registry.review import assignment as assigning
from registry.review import reviews
from registry.review.models import Assignment, Submission
from registry.review.rubrics import version_document
from registry.review.visibility import visible_reviews
from registry.review.workflow import IN_REVIEW


def _policy() -> assigning.AssignmentPolicy:
    return assigning.AssignmentPolicy.from_config(current_app.config)


def _refuse_unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> list[FieldError]:
    return [
        FieldError(key, f"is not a field here (send {', '.join(allowed)})")
        for key in sorted(set(data) - set(allowed))
    ]


def _commit_or_rollback(work: Any) -> Any:
    try:
        result = work()
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    return result


def assignment_document(assignment: Assignment, *, for_coordinator: bool) -> dict[str, Any]:
    """An assignment as its reviewer (or, with the reviewer named, a coordinator) sees it."""
    submission = assignment.submission
    status = assigning.assignment_status(assignment, assigning.today_utc())
    document: dict[str, Any] = {
        "id": assignment.id,
        "submission": submission.id,
        "credential": {
            "id": submission.credential_id,
            "title": submission.version.title,
            "version": submission.version.number,
            "provider": submission.credential.provider.name,
        },
        "round": assignment.round,
        "status": status,
        "response_due": assignment.response_due.isoformat(),
        "review_due": assignment.review_due.isoformat(),
        "accepted_at": assignment.accepted_at.isoformat() if assignment.accepted_at else None,
        "competing_interests": assignment.competing_interests,
        "extra": assignment.extra,
        "automatic": assignment.automatic,
        "review_versions": len(assignment.reviews),
    }
    if for_coordinator:
        reviewer = assignment.reviewer
        document["reviewer"] = {
            "id": reviewer.id,
            "name": reviewer.name,
            "email": reviewer.email,
            "affiliation": reviewer.provider_id,
        }
    else:
        document["links"] = {
            "self": url_for("api.get_review_assignment", assignment_id=assignment.id),
            "page": url_for("reviews.review", assignment_id=assignment.id),
        }
    return document


@bp.post("/submissions/<int:submission_id>/assign")
@permission_required_api("review:coordinate")
def assign_submission(submission_id: int):
    """Assign reviewers to a submission in review: automatically, or the ones named by email."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    if not assigning.coordinates(current_user, submission.credential):
        raise PermissionDenied(
            "Coordinators never handle the credentials of a provider they belong to."
        )
    data = json_body()
    problems = _refuse_unknown(data, ("auto", "reviewers"))
    auto, emails = data.get("auto"), data.get("reviewers")
    if ("auto" in data) == ("reviewers" in data):
        problems.append(FieldError("", 'send either {"auto": true} or {"reviewers": [emails]}'))
    elif "auto" in data and auto is not True:
        problems.append(FieldError("auto", "must be true"))
    elif "reviewers" in data and (
        not isinstance(emails, list) or not emails or not all(isinstance(e, str) for e in emails)
    ):
        problems.append(FieldError("reviewers", "a non-empty list of reviewer emails"))
    if problems:
        raise ValidationError(problems)
    if submission.state != IN_REVIEW:
        raise Conflict(
            f"reviewers are assigned while a submission is in review; this one is "
            f"{submission.state.replace('_', ' ')}"
        )

    def work() -> tuple[list[Assignment], int]:
        if auto:
            result = assigning.auto_assign_report(
                db.session, actor=current_user, policy=_policy(), submissions=[submission]
            )
            return result.assignments, result.unfilled.get(submission.id, 0)
        chosen = [get_user_by_email(db.session, email) for email in emails or ()]
        made = assigning.assign_reviewers(
            db.session,
            submission,
            chosen,
            actor=current_user,
            policy=_policy(),
            labels=emails,
        )
        return made, assigning.places_open(submission)

    made, left = _commit_or_rollback(work)
    response = jsonify(
        {
            "submission": submission.id,
            "round": submission.round,
            "assigned": [assignment_document(a, for_coordinator=True) for a in made],
            "places_open": left,
        }
    )
    response.status_code = 201 if made else 200
    return response


@bp.get("/reviews")
@permission_required_api("review:review")
def list_reviews():
    """The caller's assignments with their derived status, the ones still owed first."""
    items = reviews.reviewer_queue(db.session, current_user)
    return jsonify({"items": [assignment_document(a, for_coordinator=False) for a in items]})


@bp.get("/reviews/<int:assignment_id>")
@permission_required_api("review:review")
def get_review_assignment(assignment_id: int):
    """One of the caller's assignments: its rubric, their reviews, the others once theirs is in."""
    assignment = reviews.get_own_assignment(db.session, assignment_id, current_user)
    submission = assignment.submission
    document = assignment_document(assignment, for_coordinator=False)
    rubric = assigning.pinned_version(submission)
    document["rubric"] = version_document(rubric) if rubric is not None else None
    document["own_reviews"] = [
        {
            "number": r.number,
            "scores": dict(r.scores),
            "comments": dict(r.comments or {}),
            "recommendation": r.recommendation,
            "confidence": r.confidence,
            "submitted_at": r.submitted_at.isoformat(),
        }
        for r in assignment.reviews
    ]
    document["reviews"] = visible_reviews(db.session, submission, current_user)
    return jsonify(document)


@bp.post("/reviews/<int:assignment_id>/accept")
@permission_required_api("review:review")
def accept_review(assignment_id: int):
    """Accept, answering competing interests explicitly ("none" or a statement)."""
    assignment = reviews.get_own_assignment(db.session, assignment_id, current_user)
    data = json_body()
    if problems := _refuse_unknown(data, ("competing_interests",)):
        raise ValidationError(problems)
    _commit_or_rollback(
        lambda: reviews.accept_assignment(
            db.session, assignment, data.get("competing_interests"), actor=current_user
        )
    )
    return jsonify(assignment_document(assignment, for_coordinator=False))


@bp.post("/reviews/<int:assignment_id>/decline")
@permission_required_api("review:review")
def decline_review(assignment_id: int):
    """Decline, with an optional reason."""
    assignment = reviews.get_own_assignment(db.session, assignment_id, current_user)
    data = json_body()
    if problems := _refuse_unknown(data, ("reason",)):
        raise ValidationError(problems)
    _commit_or_rollback(
        lambda: reviews.decline_assignment(
            db.session, assignment, data.get("reason"), actor=current_user, policy=_policy()
        )
    )
    return jsonify(assignment_document(assignment, for_coordinator=False))


SUBMIT_FIELDS = ("scores", "comments", "recommendation", "confidence")


@bp.post("/reviews/<int:assignment_id>/submit")
@permission_required_api("review:review")
def submit_review(assignment_id: int):
    """Submit (or revise, as a new version) the review of every criterion; 201 with it."""
    assignment = reviews.get_own_assignment(db.session, assignment_id, current_user)
    data = json_body()
    if problems := _refuse_unknown(data, SUBMIT_FIELDS):
        raise ValidationError(problems)
    review = _commit_or_rollback(
        lambda: reviews.submit_review(
            db.session,
            assignment,
            data.get("scores"),
            data.get("comments"),
            data.get("recommendation"),
            data.get("confidence"),
            actor=current_user,
            policy=_policy(),
        )
    )
    document = assignment_document(assignment, for_coordinator=False)
    document["review"] = {
        "number": review.number,
        "scores": dict(review.scores),
        "comments": dict(review.comments or {}),
        "recommendation": review.recommendation,
        "confidence": review.confidence,
    }
    document["submission_state"] = assignment.submission.state
    response = jsonify(document)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_review_assignment", assignment_id=assignment.id)
    return response


# OpenAPI ----------------------------------------------------------------------------------

_ERROR = {"$ref": "#/components/responses/Error"}
_AID = {"name": "assignment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_SID = {"name": "submission_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_STATUS = {"enum": list(assigning.STATUSES)}
ASSIGNMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "submission", "round", "status", "response_due", "review_due"],
    "properties": {
        "id": {"type": "integer"},
        "submission": {"type": "integer"},
        "credential": {"type": "object"},
        "round": {"type": "integer"},
        "status": _STATUS,
        "response_due": {"type": "string", "format": "date"},
        "review_due": {"type": "string", "format": "date"},
        "accepted_at": {"type": ["string", "null"], "format": "date-time"},
        "competing_interests": {"type": ["string", "null"]},
        "extra": {"type": "boolean"},
        "automatic": {"type": "boolean"},
        "review_versions": {"type": "integer"},
        "reviewer": {"type": "object", "description": "Coordinators only"},
    },
}
_JSON_ASSIGNMENT = {"application/json": {"schema": ASSIGNMENT_SCHEMA}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS["/submissions/{submission_id}/assign"] = {
    "parameters": [_SID],
    "post": {
        "summary": "Assign reviewers to a submission in review (coordinators of another provider)",
        "description": "Automatic assignment uses the same minimum-cost flow as the page; a "
        "named reviewer with a competing interest is refused (422) with the reason.",
        "security": [{"bearer": []}],
        "requestBody": _body(
            {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["auto"],
                        "properties": {"auto": {"const": True}},
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["reviewers"],
                        "properties": {
                            "reviewers": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "format": "email"},
                            }
                        },
                        "additionalProperties": False,
                    },
                ]
            }
        ),
        "responses": {
            "201": {
                "description": "Reviewers asked",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "submission": {"type": "integer"},
                                "round": {"type": "integer"},
                                "assigned": {"type": "array", "items": ASSIGNMENT_SCHEMA},
                                "places_open": {"type": "integer"},
                            },
                        }
                    }
                },
            },
            "200": {"description": "Nobody eligible was left to ask (automatic)"},
            **dict.fromkeys(("401", "403", "404", "409", "422"), _ERROR),
        },
    },
}
PATHS["/reviews"] = {
    "get": {
        "summary": "The caller's review assignments with their derived status",
        "security": [{"bearer": []}],
        "responses": {
            "200": {
                "description": "Assignments, the ones still owed first",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": ASSIGNMENT_SCHEMA}},
                        }
                    }
                },
            },
            **dict.fromkeys(("401", "403"), _ERROR),
        },
    }
}
PATHS["/reviews/{assignment_id}"] = {
    "parameters": [_AID],
    "get": {
        "summary": "One of the caller's assignments, its rubric, and the reviews they may read",
        "description": "Other reviewers' reviews appear only once the caller's own is submitted.",
        "security": [{"bearer": []}],
        "responses": {
            "200": {"description": "The assignment", "content": _JSON_ASSIGNMENT},
            **dict.fromkeys(("401", "403", "404"), _ERROR),
        },
    },
}
PATHS["/reviews/{assignment_id}/accept"] = {
    "parameters": [_AID],
    "post": {
        "summary": 'Accept, answering competing interests explicitly ("none" is an answer)',
        "security": [{"bearer": []}],
        "requestBody": _body(
            {
                "type": "object",
                "required": ["competing_interests"],
                "properties": {"competing_interests": {"type": "string", "minLength": 1}},
            }
        ),
        "responses": {
            "200": {"description": "Accepted", "content": _JSON_ASSIGNMENT},
            **dict.fromkeys(("401", "403", "404", "409", "422"), _ERROR),
        },
    },
}
PATHS["/reviews/{assignment_id}/decline"] = {
    "parameters": [_AID],
    "post": {
        "summary": "Decline (before submitting a review)",
        "security": [{"bearer": []}],
        "requestBody": _body({"type": "object", "properties": {"reason": {"type": "string"}}}),
        "responses": {
            "200": {"description": "Declined", "content": _JSON_ASSIGNMENT},
            **dict.fromkeys(("401", "403", "404", "409", "422"), _ERROR),
        },
    },
}
PATHS["/reviews/{assignment_id}/submit"] = {
    "parameters": [_AID],
    "post": {
        "summary": "Submit the review; sending it again makes a new version, the old one is kept",
        "description": "Every criterion of the pinned rubric version needs a level of its "
        "scale, and a comment where the level is below met. Reaching the quorum moves the "
        "submission to its decision; a disagreement first asks one extra reviewer.",
        "security": [{"bearer": []}],
        "requestBody": _body(
            {
                "type": "object",
                "required": ["scores", "recommendation", "confidence"],
                "properties": {
                    "scores": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "comments": {"type": "object", "additionalProperties": {"type": "string"}},
                    "recommendation": {"enum": list(reviews.RECOMMENDATIONS)},
                    "confidence": {"type": "integer", "minimum": 1, "maximum": 5},
                },
            }
        ),
        "responses": {
            "201": {"description": "The review stored", "content": _JSON_ASSIGNMENT},
            **dict.fromkeys(("401", "403", "404", "409", "422"), _ERROR),
        },
    },
}
