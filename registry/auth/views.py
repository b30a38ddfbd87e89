"""Pages for logging in and out, registering, changing a password and managing API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from registry.auth import services
from registry.auth.forms import EmptyForm, LoginForm, PasswordForm, RegisterForm, TokenForm
from registry.db import db
from registry.errors import Conflict, NotFound, ValidationError
from registry.web.forms import apply_errors

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("web.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("Email or password is wrong.")
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("web.index"))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (a POST, so another site cannot log you out)."""
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("web.index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Create a learner account."""
    if current_user.is_authenticated:
        return redirect(url_for("web.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session,
                form.email.data,
                name=form.name.data,
                password=form.password.data,
                roles={"learner"},
            )
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        except Conflict:
            db.session.rollback()
            form.email.errors.append("An account with this email already exists.")
        else:
            login_user(user)
            flash("Your account is ready.", "success")
            return redirect(url_for("web.index"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session, current_user, form.current_password.data, form.new_password.data
            )
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash("Your password is changed.", "success")
            return redirect(url_for("auth.tokens"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 422


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    """List one's API tokens and create a new one (its secret is shown once)."""
    form = TokenForm()
    new_secret = None
    if form.validate_on_submit():
        try:
            _, new_secret = services.create_token(db.session, current_user, form.name.data)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            form = TokenForm(formdata=None)
    return render_template(
        "auth/tokens.html",
        form=form,
        new_secret=new_secret,
        tokens=current_user.tokens,
        revoke_form=EmptyForm(),
    ), 200 if not form.errors else 422


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of one's own tokens."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            services.revoke_token(db.session, current_user, token_id)
            db.session.commit()
        except NotFound:
            db.session.rollback()
            abort(404)
        flash("The token is revoked.", "info")
    return redirect(url_for("auth.tokens"))
