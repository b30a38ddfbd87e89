"""Pages for submissions: the list, one submission (coordinator, provider or reviewer view), the
decision forms, and the "Submit for review" button of a credential."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from registry.credentials.services import get_credential
from registry.db import db
from registry.errors import FieldError, PermissionDenied, RegistryError, ValidationError
from registry.extensions import login_manager
from registry.review import services, workflow
from registry.review.assignment import assignment_status
from registry.review.models import Submission
from registry.review.submission_forms import ACTION_LABELS, DANGEROUS, ActionForm
from registry.review.visibility import visible_reviews
from registry.web.forms import apply_errors

bp = Blueprint("submissions", __name__)

# How far ahead the revision deadline form starts (a QA office's usual four weeks).
DEFAULT_REVISION_DAYS = 28
STATES = (*workflow.STATES, services.SUPERSEDED)


@bp.get("/review/submissions/")
def index() -> str | Response:
    """List submissions: every one for QA, the provider's own for its staff; filter by state."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    is_qa = current_user.has_role("coordinator") or current_user.has_role("admin")
    if not is_qa and not (current_user.has_role("provider") and current_user.provider_id):
        raise PermissionDenied(
            "Only QA coordinators, admins and provider staff follow submissions."
        )
    state = request.args.get("state", "").strip() or None
    if state is not None and state not in STATES:
        raise ValidationError(FieldError("state", f"must be one of {', '.join(STATES)}"))
    everything = services.list_submissions(db.session, current_user)
    counts: dict[str, int] = {}
    for submission in everything:
        counts[submission.state] = counts.get(submission.state, 0) + 1
    shown = [s for s in everything if state is None or s.state == state]
    return render_template(
        "review/submissions/index.html",
        submissions=shown,
        counts=[(s, counts[s]) for s in STATES if s in counts],
        total=len(everything),
        state=state,
        is_qa=is_qa,
        decides={s.id: bool(services.workflow_roles(current_user, s.credential)) for s in shown},
    )


@bp.get("/review/submissions/<int:submission_id>")
def show(submission_id: int) -> str | Response | tuple[str, int]:
    """One submission as the viewer may see it, with the actions they may take."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    submission = services.get_submission(db.session, submission_id)
    return _render_show(submission)


@bp.post("/review/submissions/<int:submission_id>/actions/<action>")
def act(submission_id: int, action: str) -> Response | tuple[str, int]:
    """Take one action of the decision table; the page again with the reasons when refused."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    submission = services.get_submission(db.session, submission_id)
    # Unknown action, role and state come first (404, 403, 409): no form is read before.
    services.check_action(submission, action, actor=current_user)
    form = ActionForm(action, _criteria_choices(submission))
    try:
        services.take_action(
            db.session,
            submission,
            action,
            actor=current_user,
            facts=form.facts(),
            base_url=current_app.config.get("BASE_URL", ""),
        )
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return _render_show(submission, refused=form)
    except RegistryError:
        db.session.rollback()
        raise
    title = submission.version.title
    flash(f"{title} {services.ACTION_WORDS.get(action, action)}.", "success")
    return redirect(url_for("submissions.show", submission_id=submission.id))


@bp.post("/credentials/<credential_id>/submit")
def submit(credential_id: str) -> Response:
    """Submit a credential's draft for review (its provider's staff); 422 lists what is missing."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    credential = get_credential(db.session, credential_id)
    try:
        submission = services.submit_credential(
            db.session,
            credential,
            actor=current_user,
            base_url=current_app.config.get("BASE_URL", ""),
        )
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    flash(
        f"Submitted {submission.version.title} for review. A QA coordinator screens it next.",
        "success",
    )
    return redirect(url_for("submissions.show", submission_id=submission.id))


@bp.post("/credentials/<credential_id>/review-record")
def open_record(credential_id: str) -> Response:
    """Open the review record of a credential published before review, to suspend or retire it."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    credential = get_credential(db.session, credential_id)
    try:
        submission = services.open_review_record(db.session, credential, actor=current_user)
        db.session.commit()
    except RegistryError:
        db.session.rollback()
        raise
    return redirect(url_for("submissions.show", submission_id=submission.id))


# --- the submission page ------------------------------------------------------------------


def _render_show(submission: Submission, refused: ActionForm | None = None) -> tuple[str, int]:
    mode = services.viewer_mode(db.session, submission, current_user)
    if mode is None:
        raise PermissionDenied(
            "Only QA coordinators, the provider's staff and its assigned reviewers see this "
            "submission."
        )
    today = services.today_utc()
    aggregate = services.page_aggregate(db.session, submission, mode=mode)
    criteria = _criteria_choices(submission)
    forms = {}
    for action in services.allowed_actions(submission, current_user):
        if refused is not None and refused.action == action:
            forms[action] = refused
            continue
        form = ActionForm(action, criteria, formdata=None)
        if action == "request_revisions":
            form.deadline.data = (today + dt.timedelta(days=DEFAULT_REVISION_DAYS)).isoformat()
            form.unmet_criteria.data = list(aggregate.get("unmet", [])) if aggregate else []
        forms[action] = form
    page = render_template(
        "review/submissions/show.html",
        submission=submission,
        credential=submission.credential,
        version=submission.version,
        mode=mode,
        forms=forms,
        refused=refused,
        aggregate=aggregate,
        criteria={c.code: c for c in _criteria(submission)},
        reviews=visible_reviews(db.session, submission, current_user),
        assignments=_assignments(submission, mode, today),
        events=services.timeline(db.session, submission, mode=mode),
        assign_url=url_for("reviews.assign", submission_id=submission.id),
        edit_url=(
            url_for("credentials.edit", credential_id=submission.credential_id)
            if mode == "provider"
            and submission.state in (workflow.REVISIONS_REQUESTED, workflow.DRAFT)
            and submission.credential.current_version_id == submission.version_id
            and workflow.PROVIDER in services.workflow_roles(current_user, submission.credential)
            else None
        ),
        older=_other_submissions(submission) if mode != "reviewer" else [],
        level_labels=_level_labels(submission),
        ACTION_LABELS=ACTION_LABELS,
        DANGEROUS=DANGEROUS,
        today=today,
    )
    return page, 422 if refused is not None else 200


def _criteria(submission: Submission) -> list[Any]:
    rubric = submission.rubric_version
    return list(rubric.criteria) if rubric is not None else []


def _level_labels(submission: Submission) -> dict[int, str]:
    rubric = submission.rubric_version
    return {level["value"]: level["label"] for level in rubric.levels} if rubric else {}


def _criteria_choices(submission: Submission) -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} — {c.title}") for c in _criteria(submission)]


def _assignments(submission: Submission, mode: str, today: dt.date) -> list[dict[str, Any]]:
    """Coordinators see every reviewer; a reviewer sees their own; providers see none."""
    if mode == "provider":
        return []
    rows = []
    for assignment in submission.assignments:
        if mode == "reviewer" and assignment.reviewer_id != current_user.id:
            continue
        rows.append(
            {
                "assignment": assignment,
                "reviewer": assignment.reviewer,
                "status": assignment_status(assignment, today),
            }
        )
    return rows


def _other_submissions(submission: Submission) -> list[Submission]:
    """The credential's other submissions (earlier or later versions), newest first."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.credential_id == submission.credential_id,
                Submission.id != submission.id,
            )
            .order_by(Submission.id.desc())
        )
    )
