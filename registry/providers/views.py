"""Pages for providers: the list, one provider with its credentials, and the admin forms."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.auth.decorators import permission_required
from registry.auth.permissions import acts_for_provider, has_permission
from registry.credentials.fields import provider_document
from registry.credentials.services import published_credentials, unpublished_work
from registry.db import db
from registry.errors import Conflict, ValidationError
from registry.providers import services
from registry.providers.forms import ProviderForm, form_values
from registry.web.forms import apply_errors

bp = Blueprint("providers", __name__, url_prefix="/providers")


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.route("/")
def index() -> str:
    """List the providers, a page at a time."""
    page, per_page = _page(), current_app.config["PAGE_SIZE"]
    providers, total = services.list_providers(db.session, page=page, per_page=per_page)
    return render_template(
        "providers/index.html",
        providers=providers,
        total=total,
        page=page,
        pages=max((total + per_page - 1) // per_page, 1),
    )


@bp.route("/<provider_id>")
def show(provider_id: str) -> str:
    """Show a provider, its published credentials and, for its staff, its unpublished work."""
    provider = services.get_provider(db.session, provider_id)
    page, per_page = _page(), current_app.config["PAGE_SIZE"]
    published, total = published_credentials(
        db.session, provider_id=provider.id, page=page, per_page=per_page
    )
    staff_view = current_user.is_authenticated and (
        acts_for_provider(current_user, provider.id)
        or has_permission(current_user, "credential:view-unpublished")
    )
    return render_template(
        "providers/show.html",
        provider=provider,
        published=published,
        total=total,
        page=page,
        pages=max((total + per_page - 1) // per_page, 1),
        unpublished=unpublished_work(db.session, provider.id) if staff_view else None,
        may_add=current_user.is_authenticated
        and has_permission(current_user, "credential:create")
        and acts_for_provider(current_user, provider.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("provider:create")
def create() -> str | Response:
    """Add a provider (admins)."""
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = services.create_provider(db.session, form.to_data(), actor=current_user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        except Conflict as exc:
            db.session.rollback()
            form.id.errors.append(str(exc))
        else:
            flash(f"Added {provider.name}.", "success")
            return redirect(url_for("providers.show", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=None), (
        422 if form.errors else 200
    )


@bp.route("/<provider_id>/edit", methods=["GET", "POST"])
@permission_required("provider:edit")
def edit(provider_id: str) -> str | Response:
    """Change a provider's details (admins); its identifier stays."""
    provider = services.get_provider(db.session, provider_id)
    form = ProviderForm(data=form_values(provider_document(provider)))
    del form.id
    if form.validate_on_submit():
        try:
            services.update_provider(db.session, provider, form.to_data(), actor=current_user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash(f"Saved {provider.name}.", "success")
            return redirect(url_for("providers.show", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=provider), (
        422 if form.errors else 200
    )
