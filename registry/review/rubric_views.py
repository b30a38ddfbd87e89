"""Pages for rubrics (the admin editor) and the QA dashboard."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.auth.decorators import permission_required
from registry.auth.forms import EmptyForm
from registry.auth.permissions import has_permission
from registry.db import db
from registry.errors import Conflict, ValidationError
from registry.review import rubrics
from registry.review.aggregate import MIN_PAIRABLE_UNITS
from registry.review.models import RubricVersion
from registry.review.rubric_forms import RubricVersionForm

bp = Blueprint("rubrics", __name__, url_prefix="/review")


@bp.route("/rubrics/")
@permission_required("rubric:manage")
def index() -> str:
    """List every rubric and its versions, marking the current and the frozen ones."""
    return render_template(
        "review/rubrics/index.html",
        rubrics=rubrics.list_rubrics(db.session),
        usage=rubrics.usage_by_version(db.session),
        form=EmptyForm(),
    )


@bp.route("/rubrics/versions/<int:version_id>")
@permission_required("rubric:manage")
def show(version_id: int) -> str:
    """Show one version: its criteria, level scale, threshold and reviewers per submission."""
    version = rubrics.get_rubric_version(db.session, version_id)
    return render_template(
        "review/rubrics/show.html",
        version=version,
        used_by=rubrics.used_by(db.session, version),
        principles=rubrics.PRINCIPLES,
        form=EmptyForm(),
    )


@bp.route("/rubrics/versions/<int:version_id>/edit", methods=["GET", "POST"])
@permission_required("rubric:manage")
def edit(version_id: int) -> tuple[str, int] | Response:
    """Change a version no submission uses yet; a frozen one answers 409 and offers a copy."""
    version = rubrics.get_rubric_version(db.session, version_id)
    if version.frozen:
        return _frozen(version)
    form = RubricVersionForm()
    if not form.is_submitted():
        form.fill(rubrics.rubric_for_form(version))
    elif form.validate():
        try:
            rubrics.update_rubric_version(db.session, version, form.to_data(), actor=current_user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            form.apply_errors(exc)
        except Conflict:
            db.session.rollback()
            return _frozen(rubrics.get_rubric_version(db.session, version_id))
        else:
            flash(f"Saved version {version.number}.", "success")
            return redirect(url_for("rubrics.show", version_id=version.id))
    return _editor(form, version, mode="edit")


@bp.route("/rubrics/versions/<int:version_id>/new", methods=["GET", "POST"])
@permission_required("rubric:manage")
def new_version(version_id: int) -> tuple[str, int] | Response:
    """Start a new version from a copy of this one; the original stays as it is."""
    base = rubrics.get_rubric_version(db.session, version_id)
    form = RubricVersionForm()
    if not form.is_submitted():
        form.fill(rubrics.rubric_for_form(base))
    elif form.validate():
        try:
            version = rubrics.new_rubric_version(
                db.session, base.rubric, form.to_data(), actor=current_user
            )
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            form.apply_errors(exc)
        except Conflict as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            flash(
                f"Added version {version.number}. It is not current until you make it so.",
                "success",
            )
            return redirect(url_for("rubrics.show", version_id=version.id))
    return _editor(form, base, mode="new")


@bp.route("/rubrics/versions/<int:version_id>/make-current", methods=["POST"])
@permission_required("rubric:manage")
def make_current(version_id: int) -> Response:
    """Make this version the one new submissions are reviewed against."""
    version = rubrics.get_rubric_version(db.session, version_id)
    if not EmptyForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("rubrics.index"))
    rubrics.make_current(db.session, version, actor=current_user)
    db.session.commit()
    flash(
        f"Version {version.number} of {version.rubric.name} is now current: "
        "submissions entering review from now on use it.",
        "success",
    )
    return redirect(url_for("rubrics.index"))


@bp.route("/dashboard")
@permission_required("review:dashboard")
def dashboard() -> str:
    """Submissions per state and how consistently reviewers read each criterion."""
    reliability = rubrics.criterion_reliability(db.session)
    counts = rubrics.submission_counts(db.session)
    return render_template(
        "review/dashboard.html",
        counts=counts,
        total=sum(n for _state, n in counts),
        reliability=[r for r in reliability if r.enough],
        waiting=[r for r in reliability if not r.enough],
        min_units=MIN_PAIRABLE_UNITS,
        tentative=rubrics.ALPHA_TENTATIVE,
        principles=rubrics.PRINCIPLES,
        may_manage=has_permission(current_user, "rubric:manage"),
    )


def _editor(form: RubricVersionForm, version: RubricVersion, *, mode: str) -> tuple[str, int]:
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "review/rubrics/form.html",
            form=form,
            version=version,
            mode=mode,
            principles=rubrics.PRINCIPLES,
        ),
        status,
    )


def _frozen(version: RubricVersion) -> tuple[str, int]:
    return render_template("review/rubrics/frozen.html", version=version), 409
