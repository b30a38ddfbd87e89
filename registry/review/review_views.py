"""Pages for reviewers (queue, accept, decline, score, conflicts) and for assigning them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from registry.auth.decorators import permission_required
from registry.auth.models import User
from registry.db import db
from registry.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationError
from registry.providers.models import Provider
from registry.review import assignment as assigning
from registry.review import reviews
from registry.review.models import Assignment, ConflictDeclaration, Submission
from registry.review.review_forms import (
    CONFIDENCE_LABELS,
    RECOMMENDATION_LABELS,
    AcceptForm,
    AssignForm,
    CancelForm,
    ConflictForm,
    DeclineForm,
    EmptyForm,
    comment_field,
    score_field,
    scoring_form,
)
from registry.review.visibility import visible_reviews
from registry.review.workflow import IN_REVIEW

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


def _policy() -> assigning.AssignmentPolicy:
    return assigning.AssignmentPolicy.from_config(current_app.config)


def _own_assignment(assignment_id: int) -> Assignment:
    return reviews.get_own_assignment(db.session, assignment_id, current_user)


# The reviewer's pages ------------------------------------------------------------------------


@bp.route("/")
@permission_required("review:review")
def queue() -> str:
    """List the reviewer's assignments, the ones still owed first, with their due dates."""
    today = assigning.today_utc()
    rows = [
        (a, assigning.assignment_status(a, today))
        for a in reviews.reviewer_queue(db.session, current_user, today)
    ]
    return render_template("review/reviews/queue.html", rows=rows, today=today)


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@permission_required("review:review")
def review(assignment_id: int) -> str | Response | tuple[str, int]:
    """Show the credential under review and the scoring form (or the review already sent)."""
    assignment = _own_assignment(assignment_id)
    submission = assignment.submission
    version = assigning.pinned_version(submission)
    status = assigning.assignment_status(assignment, assigning.today_utc())
    own = reviews.latest_review(assignment)
    may_score = (
        version is not None
        and assignment.accepted_at is not None
        and submission.round == assignment.round
        and (
            submission.state in reviews.REVISABLE_STATES
            if own is not None
            else submission.state == IN_REVIEW
        )
        and status in {assigning.ACCEPTED, assigning.OVERDUE, assigning.SUBMITTED}
    )
    form = None
    if may_score:
        assert version is not None
        form = scoring_form(version, data=_form_data(version, own))
        if request.method == "POST" and form.validate_on_submit():
            scores, comments = _read_scores(form, version)
            try:
                reviews.submit_review(
                    db.session,
                    assignment,
                    scores,
                    comments,
                    form.recommendation.data or None,
                    form.confidence.data,
                    actor=current_user,
                    policy=_policy(),
                )
                db.session.commit()
            except ValidationError as exc:
                db.session.rollback()
                _place_review_errors(form, version, exc)
            else:
                revised = own is not None
                flash(
                    "Your revised review is saved as a new version; the earlier one is kept."
                    if revised
                    else "Thank you: your review is submitted.",
                    "success",
                )
                return redirect(url_for("reviews.review", assignment_id=assignment.id))
    elif request.method == "POST":
        abort(409, f"This assignment is {status}; there is nothing to score now.")
    page = render_template(
        "review/reviews/review.html",
        assignment=assignment,
        submission=submission,
        credential=submission.credential,
        cversion=submission.version,
        rubric=version,
        status=status,
        own=own,
        form=form,
        others=visible_reviews(db.session, submission, current_user) if own else [],
        recommendation_labels=RECOMMENDATION_LABELS,
        confidence_labels=CONFIDENCE_LABELS,
        score_field=score_field,
        comment_field=comment_field,
    )
    return page, 422 if form is not None and _has_errors(form) else 200


def _form_data(version: Any, own: Any) -> dict[str, Any]:
    """The review form prefilled with the reviewer's latest review, when revising one."""
    if own is None:
        return {}
    data: dict[str, Any] = {"recommendation": own.recommendation, "confidence": own.confidence}
    for index, criterion in enumerate(version.criteria):
        data[score_field(index)] = own.scores.get(criterion.code)
        data[comment_field(index)] = (own.comments or {}).get(criterion.code, "")
    return data


def _read_scores(form: Any, version: Any) -> tuple[dict[str, Any], dict[str, str]]:
    scores, comments = {}, {}
    for index, criterion in enumerate(version.criteria):
        scores[criterion.code] = form[score_field(index)].data
        comments[criterion.code] = form[comment_field(index)].data or ""
    return scores, comments


def _place_review_errors(form: Any, version: Any, exc: ValidationError) -> None:
    """Put the service's errors (scores.C1, comments.C1, confidence...) on the form's fields."""
    index = {c.code: i for i, c in enumerate(version.criteria)}
    for error in exc.errors:
        kind, _, code = error.field.partition(".")
        if kind == "scores" and code in index:
            name = score_field(index[code])
        elif kind == "comments" and code in index:
            name = comment_field(index[code])
        elif error.field in ("recommendation", "confidence"):
            name = error.field
        else:
            form.form_errors.append(
                f"{error.field}: {error.message}" if error.field else error.message
            )
            continue
        field = form[name]
        field.errors = [*field.errors, error.message]


def _has_errors(form: Any) -> bool:
    return bool(form.form_errors) or any(f.errors for f in form)


@bp.route("/<int:assignment_id>/accept", methods=["GET", "POST"])
@permission_required("review:review")
def accept(assignment_id: int) -> str | Response | tuple[str, int]:
    """Accept an assignment, declaring competing interests explicitly."""
    assignment = _own_assignment(assignment_id)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            reviews.accept_assignment(db.session, assignment, form.answer(), actor=current_user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            form.competing.errors = [*form.competing.errors, *(e.message for e in exc.errors)]
        else:
            flash("Accepted. The scoring form is below.", "success")
            return redirect(url_for("reviews.review", assignment_id=assignment.id))
    return _respond_page("review/reviews/accept.html", form, assignment)


@bp.route("/<int:assignment_id>/decline", methods=["GET", "POST"])
@permission_required("review:review")
def decline(assignment_id: int) -> str | Response | tuple[str, int]:
    """Decline an assignment (with an optional reason for the coordinator)."""
    assignment = _own_assignment(assignment_id)
    form = DeclineForm()
    if form.validate_on_submit():
        reviews.decline_assignment(
            db.session, assignment, form.reason.data, actor=current_user, policy=_policy()
        )
        db.session.commit()
        flash("Declined. Thank you for letting the QA office know.", "success")
        return redirect(url_for("reviews.queue"))
    return _respond_page("review/reviews/decline.html", form, assignment)


def _respond_page(template: str, form: Any, assignment: Assignment) -> tuple[str, int]:
    status = assigning.assignment_status(assignment, assigning.today_utc())
    page = render_template(
        template,
        form=form,
        assignment=assignment,
        submission=assignment.submission,
        cversion=assignment.submission.version,
        credential=assignment.submission.credential,
        status=status,
    )
    return page, 422 if _has_errors(form) else 200


@bp.route("/conflicts", methods=["GET", "POST"])
@permission_required("review:review")
def conflicts() -> str | Response | tuple[str, int]:
    """List the reviewer's declared competing interests and declare another."""
    form = ConflictForm()
    providers = db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name)).all()
    form.provider.choices = [
        SelectChoice("", "— choose a provider —"),
        *(SelectChoice(p, n) for p, n in providers),
    ]
    if form.validate_on_submit():
        try:
            assigning.declare_conflict(
                db.session,
                current_user,
                form.provider.data,
                form.reason.data,
                actor=current_user,
            )
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            _place(form, exc)
        else:
            flash("Declared. You will not be asked to review this provider's work.", "success")
            return redirect(url_for("reviews.conflicts"))
    declarations = db.session.execute(
        select(ConflictDeclaration, Provider.name)
        .join(Provider, Provider.id == ConflictDeclaration.provider_id)
        .where(ConflictDeclaration.reviewer_id == current_user.id)
        .order_by(Provider.name)
    ).all()
    page = render_template(
        "review/reviews/conflicts.html",
        form=form,
        declarations=declarations,
        withdraw_form=EmptyForm(),
    )
    return page, 422 if _has_errors(form) else 200


@bp.post("/conflicts/<int:declaration_id>/withdraw")
@permission_required("review:review")
def withdraw_conflict(declaration_id: int) -> Response:
    """Withdraw one of the reviewer's own declarations."""
    form = EmptyForm()
    declaration = db.session.get(ConflictDeclaration, declaration_id)
    if declaration is None or declaration.reviewer_id != current_user.id:
        raise NotFound("no such declaration")
    if not form.validate_on_submit():
        abort(400, "The form expired; please try again.")
    assigning.withdraw_conflict(db.session, declaration, actor=current_user)
    db.session.commit()
    flash("Declaration withdrawn.", "success")
    return redirect(url_for("reviews.conflicts"))


def _place(form: Any, exc: ValidationError) -> None:
    for error in exc.errors:
        field = getattr(form, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors.append(error.message)


# The coordinator's pages ---------------------------------------------------------------------


@bp.route("/assign")
@permission_required("review:coordinate")
def assign_index() -> str:
    """List the submissions in review with the places each still has for reviewers."""
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.state == IN_REVIEW)
        .options(selectinload(Submission.assignments).selectinload(Assignment.reviews))
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    today = assigning.today_utc()
    rows = [
        {
            "submission": s,
            "places": assigning.places_open(s),
            "needed": assigning.reviewers_needed(s),
            "statuses": [
                assigning.assignment_status(a, today) for a in assigning.round_assignments(s)
            ],
            "own_provider": not assigning.coordinates(current_user, s.credential),
        }
        for s in submissions
    ]
    return render_template(
        "review/reviews/assign_index.html", rows=rows, auto_form=EmptyForm(), today=today
    )


@bp.post("/assign/auto")
@permission_required("review:coordinate")
def assign_auto() -> Response:
    """Assign reviewers to every waiting submission at once (a minimum-cost flow)."""
    if not EmptyForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    result = assigning.auto_assign_report(db.session, actor=current_user, policy=_policy())
    db.session.commit()
    made = len(result.assignments)
    submissions = len({a.submission_id for a in result.assignments})
    if made:
        flash(
            f"Asked {made} reviewer{'s' if made != 1 else ''} for {submissions} "
            f"submission{'s' if submissions != 1 else ''}.",
            "success",
        )
    else:
        flash("No reviewer could be asked: nothing is waiting, or nobody eligible is left.", "info")
    if result.unfilled:
        listed = ", ".join(f"#{sid} ({left})" for sid, left in sorted(result.unfilled.items()))
        flash(
            f"Still short of eligible reviewers (places left): {listed}. "
            "Add reviewers or assign by hand.",
            "warning",
        )
    if result.skipped:
        flash(
            f"Left {len(result.skipped)} submission(s) of your own provider to another "
            "coordinator.",
            "info",
        )
    return redirect(url_for("reviews.assign_index"))


def _coordinated_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    if not assigning.coordinates(current_user, submission.credential):
        raise PermissionDenied(
            "Coordinators never handle the credentials of a provider they belong to."
        )
    return submission


@bp.route("/assign/<int:submission_id>", methods=["GET", "POST"])
@permission_required("review:coordinate")
def assign(submission_id: int) -> str | Response | tuple[str, int]:
    """Show suggested reviewers with their conflicts, and ask the ones the coordinator picks."""
    submission = _coordinated_submission(submission_id)
    form = AssignForm()
    problems: list[FieldError] = []
    if form.validate_on_submit():
        ids = form.reviewers.data or []
        chosen = [db.session.get(User, rid) for rid in ids]
        try:
            made = assigning.assign_reviewers(
                db.session,
                submission,
                chosen,
                actor=current_user,
                policy=_policy(),
                labels=[
                    getattr(u, "email", f"user {rid}") for u, rid in zip(chosen, ids, strict=True)
                ],
            )
            db.session.commit()
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            problems = (
                exc.errors if isinstance(exc, ValidationError) else [FieldError("", str(exc))]
            )
        else:
            flash(f"Asked {len(made)} reviewer{'s' if len(made) != 1 else ''}.", "success")
            return redirect(url_for("reviews.assign", submission_id=submission.id))
    today = assigning.today_utc()
    page = render_template(
        "review/reviews/assign.html",
        submission=submission,
        credential=submission.credential,
        cversion=submission.version,
        form=form,
        problems=problems,
        suggestions=assigning.suggest_reviewers(db.session, submission, today),
        assignments=[
            (a, assigning.assignment_status(a, today))
            for a in sorted(submission.assignments, key=lambda a: (-a.round, a.id))
        ],
        places=assigning.places_open(submission),
        needed=assigning.reviewers_needed(submission),
        auto_form=EmptyForm(),
        cancel_form=CancelForm(),
        open_statuses=assigning.OPEN_STATUSES,
        in_review=submission.state == IN_REVIEW,
    )
    return page, 422 if problems else 200


@bp.post("/assignments/<int:assignment_id>/cancel")
@permission_required("review:coordinate")
def cancel(assignment_id: int) -> Response | tuple[str, int]:
    """Cancel an open assignment; its place opens again."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    submission = _coordinated_submission(assignment.submission_id)
    form = CancelForm()
    if not form.validate_on_submit():
        raise ValidationError(FieldError("reason", "a reason is required"))
    assigning.cancel_assignment(db.session, assignment, form.reason.data, actor=current_user)
    db.session.commit()
    flash("Assignment cancelled; its place is open again.", "success")
    return redirect(url_for("reviews.assign", submission_id=submission.id))
