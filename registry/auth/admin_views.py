"""Admin pages to manage users and their roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from registry.auth import services
from registry.auth.decorators import permission_required
from registry.auth.forms import UserCreateForm, UserEditForm
from registry.auth.models import User
from registry.db import db
from registry.errors import Conflict, ValidationError
from registry.providers.models import Provider
from registry.web.forms import apply_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _provider_choices() -> list[SelectChoice]:
    providers = db.session.scalars(select(Provider).order_by(Provider.name))
    return [SelectChoice("", "— none —")] + [SelectChoice(p.id, p.name) for p in providers]


def _expertise(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


@bp.route("/users")
@permission_required("user:manage")
def users() -> str:
    """List every account with its roles."""
    rows = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required("user:manage")
def create_user() -> ResponseReturnValue:
    """Create an account with any roles."""
    form = UserCreateForm(active=True)
    form.provider.choices = _provider_choices()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session,
                form.email.data,
                name=form.name.data,
                password=form.password.data,
                roles=set(form.roles.data),
                provider_id=form.provider.data or None,
                expertise=_expertise(form.expertise.data),
                active=form.active.data,
                actor=current_user,
            )
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        except Conflict as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            flash(f"Created {user.email}.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), (
        200 if not form.errors else 422
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("user:manage")
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change an account's roles, provider, expertise or active flag."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(
        obj=user,
        data=None,
        roles=sorted(user.roles),
        provider=user.provider_id or "",
        expertise=", ".join(user.expertise),
    )
    form.provider.choices = _provider_choices()
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session,
                user,
                name=form.name.data,
                roles=set(form.roles.data),
                provider_id=form.provider.data or None,
                expertise=_expertise(form.expertise.data),
                active=form.active.data,
                actor=current_user,
            )
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash(f"Saved {user.email}.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), (
        200 if not form.errors else 422
    )
