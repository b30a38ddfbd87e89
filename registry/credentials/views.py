"""Pages for credentials: the published list, one credential, and the draft forms."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from registry.auth.permissions import (
    can_create_credential,
    can_edit_credential,
    can_view_credential,
    has_permission,
)
from registry.credentials import services
from registry.credentials.catalogue import cached_catalogue
from registry.credentials.fields import credential_document
from registry.credentials.forms import COMMON_TYPES, CredentialForm, form_values
from registry.credentials.models import CatalogueState, Credential, CredentialVersion, CreditUnit
from registry.credentials.rules_text import rule_ids, rule_lines
from registry.db import db
from registry.errors import Conflict, PermissionDenied, ValidationError
from registry.extensions import login_manager
from registry.providers.models import Provider
from registry.review import services as review_services
from registry.web.forms import apply_errors
from registry.web.memo import PAGES_KEPT, Recent, for_visitors

bp = Blueprint("credentials", __name__, url_prefix="/credentials")

# Above this many providers the list filter is a text box rather than a select.
PROVIDER_SELECT_LIMIT = 300


@bp.route("/")
def index() -> str:
    """List published credentials, a page at a time, optionally of one provider."""
    provider_id = request.args.get("provider", "").strip() or None
    provider = db.session.get(Provider, provider_id) if provider_id else None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = services.published_credentials(
        db.session, provider_id=provider_id, page=page, per_page=per_page
    )
    provider_count = db.session.scalar(select(func.count()).select_from(Provider)) or 0
    choices = (
        db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name)).all()
        if provider_count <= PROVIDER_SELECT_LIMIT
        else None
    )
    return render_template(
        "credentials/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max((total + per_page - 1) // per_page, 1),
        provider_id=provider_id,
        provider=provider,
        provider_choices=choices,
        may_add=has_permission(current_user, "credential:create"),
    )


def _visitor_pages(credential_id: str) -> tuple[Recent, object]:
    """Credential pages as visitors see them, kept for the catalogue revision in force, and
    what else such a page shows: its provider (name, country), as of its last change.

    What was read is trusted for VISITOR_PAGE_TTL seconds, so a burst of visits costs no
    database round trip; a change shows after at most that long.
    """
    ttl = current_app.config.get("VISITOR_PAGE_TTL", 0)
    key = (str(db.session.get_bind().engine.url), credential_id)
    now = time.monotonic()
    held = _page_stamps.get(key) if ttl > 0 else None
    if held is not None and now - held[0] < ttl:
        _, revision, provider_changed = held
    else:
        revision, provider_changed = db.session.execute(
            select(
                CatalogueState.revision,
                select(Provider.updated_at)
                .join(Credential, Credential.provider_id == Provider.id)
                .where(Credential.id == credential_id)
                .scalar_subquery(),
            )
        ).one()
        if ttl > 0:
            _page_stamps.put(key, (now, revision, provider_changed))
    cache = cached_catalogue(db.session, revision or 0).index().cache
    return cache.setdefault("visitor-pages", Recent(PAGES_KEPT)), provider_changed


# When each credential's revision and provider were last read, by database and credential.
_page_stamps = Recent(20 * PAGES_KEPT)


@bp.route("/<credential_id>")
@for_visitors(_visitor_pages)
def show(credential_id: str) -> str | Response:
    """Show every field of one version of a credential, its provider and its history."""
    credential = services.get_credential(db.session, credential_id)
    if not can_view_credential(current_user, credential):
        return _refuse("This credential is not published; only its provider and QA see it.")
    drafts_visible = services.sees_drafts(current_user, credential)
    try:
        version = services.version_to_show(
            credential, request.args.get("version"), drafts_visible=drafts_visible
        )
    except PermissionDenied as exc:
        return _refuse(str(exc))
    rules = {
        name: rule_lines(getattr(version, name))
        for name in ("prerequisites", "requirements")
        if getattr(version, name) is not None
    }
    linked = set().union(*(rule_ids(line) for line in rules.values()))
    current = credential.current
    staff = review_services.is_provider_staff(current_user, credential)
    published_record = (
        review_services.submission_for(db.session, credential.published) if drafts_visible else None
    )
    return render_template(
        "credentials/show.html",
        credential=credential,
        version=version,
        document=services.credential_api_document(credential, version),
        rules=rules,
        titles=services.published_titles(db.session, linked),
        history=services.version_history(credential, drafts_visible=drafts_visible),
        may_edit=can_edit_credential(current_user, credential)
        and current is not None
        and current.status in services.EDIT_IN_PLACE | services.EDIT_AS_NEW_VERSION,
        edits_in_place=current is not None and services.edits_in_place(current),
        # Review: the submit button for the provider's staff, and where each version stands.
        may_submit=staff and current is not None and current.status == "draft",
        missing=[
            review_services.ELEMENT_LABELS[name]
            for name in (review_services.missing_elements(current) if staff and current else [])
        ],
        submission=review_services.submission_for(db.session, current) if drafts_visible else None,
        published_submission=(
            published_record
            if credential.published_version_id != credential.current_version_id
            else None
        ),
        # A version published before review (an import) gets its record on request.
        may_open_record=credential.published is not None
        and published_record is None
        and bool(review_services.workflow_roles(current_user, credential)),
        submit_form=FlaskForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
def create() -> str | Response:
    """Start a new credential as a draft (provider staff for their provider, admins for any)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not has_permission(current_user, "credential:create"):
        abort(403, "Only provider staff and admins add credentials.")
    wanted = request.args.get("provider") or current_user.provider_id or ""
    form = CredentialForm(data={"provider": wanted, "credit_unit": "ECTS"})
    form.provider.choices = _provider_choices()
    form.credit_unit.choices = _unit_choices()
    if form.validate_on_submit():
        data = form.to_data()
        if data.get("provider") and not can_create_credential(current_user, data["provider"]):
            abort(403, "You may add credentials only for your own provider.")
        try:
            credential = services.create_credential(db.session, data, actor=current_user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        except Conflict as exc:
            db.session.rollback()
            form.id.errors.append(str(exc))
        else:
            flash(f"Saved the draft of {credential.current.title}.", "success")
            return redirect(url_for("credentials.show", credential_id=credential.id))
    elif form.is_submitted():
        _show_other_problems(form, None)
    return _render_form(form, None)


@bp.route("/<credential_id>/edit", methods=["GET", "POST"])
def edit(credential_id: str) -> str | Response:
    """Change a credential's draft version (published ones change through review)."""
    credential = services.get_credential(db.session, credential_id)
    if not can_edit_credential(current_user, credential):
        return _refuse("Only the provider's staff and admins edit this credential.")
    version = services.editable_version(credential)
    in_place = services.edits_in_place(version)
    form = CredentialForm(data=form_values(credential_document(credential, version)))
    del form.id
    del form.provider
    form.credit_unit.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            services.update_credential(db.session, credential, form.to_data(), actor=current_user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            draft = credential.current
            if in_place:
                flash(f"Saved the draft of {draft.title}.", "success")
            else:
                flash(
                    f"Saved version {draft.number} of {draft.title} as a draft. "
                    + (
                        f"Version {credential.published.number} stays published until the new "
                        "one is approved."
                        if credential.published is not None
                        else "Submit it for review when it is ready."
                    ),
                    "success",
                )
            return redirect(url_for("credentials.show", credential_id=credential.id))
    elif form.is_submitted():
        _show_other_problems(form, credential)
    return _render_form(form, credential, base=version)


def _refuse(message: str) -> Response:
    """Anonymous visitors go to the login page; everyone else is told no (403)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    raise PermissionDenied(message)


def _show_other_problems(form: CredentialForm, credential: Credential | None) -> None:
    """When some fields could not be read (bad JSON, a word in a number box), still list the
    problems of the others, so one round trip shows everything; nothing is stored."""
    data = form.to_data()
    if credential is not None:
        data.update(id=credential.id, provider=credential.provider_id)
    problems = services.credential_problems_in_db(db.session, data, credential)
    unread = {name for name, errors in form.errors.items() if errors}
    fresh = [p for p in problems if p.field.split(".")[0].split("[")[0] not in unread]
    if fresh:
        apply_errors(form, ValidationError(fresh))


def _render_form(
    form: CredentialForm, credential: Credential | None, base: CredentialVersion | None = None
) -> tuple[str, int]:
    page = render_template(
        "credentials/form.html",
        form=form,
        credential=credential,
        common_types=COMMON_TYPES,
        # Editing a decided-on version makes a new draft: the page says so.
        new_version=base is not None and not services.edits_in_place(base),
        base=base,
    )
    return page, 422 if form.errors else 200


def _provider_choices() -> list[SelectChoice]:
    """Every provider for admins; provider staff see only their own."""
    query = select(Provider.id, Provider.name).order_by(Provider.name)
    if not has_permission(current_user, "provider:edit"):
        query = query.where(Provider.id == current_user.provider_id)
    rows = db.session.execute(query)
    return [SelectChoice("", "— choose —"), *(SelectChoice(pid, name) for pid, name in rows)]


def _unit_choices() -> list[SelectChoice]:
    units = db.session.scalars(select(CreditUnit).order_by(CreditUnit.code))
    return [SelectChoice(u.code, f"{u.code} ({u.ects_rate:g} ECTS)") for u in units]
