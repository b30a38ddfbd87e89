"""Pages for a learner's own wallet: entries (add, import, remove) and "My qualifications"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from registry.auth.permissions import can_keep_wallet
from registry.credentials.services import credential_titles
from registry.db import db
from registry.errors import ValidationError
from registry.extensions import login_manager
from registry.learners import pages, services
from registry.learners.forms import AddEntryForm, ImportForm
from registry.stacking.engine import COSTS
from registry.web.forms import apply_errors

bp = Blueprint("wallet", __name__, url_prefix="/wallet")


def wallet_required(view: Callable) -> Callable:
    """Visitors log in first; accounts that may not keep a wallet get 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not can_keep_wallet(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _wallet_page(
    add_form: AddEntryForm | None = None,
    import_form: ImportForm | None = None,
    *,
    matches: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    entries = services.wallet_entries(db.session, current_user)
    return (
        render_template(
            "learners/wallet.html",
            entries=entries,
            titles=credential_titles(db.session, {e.credential_id for e in entries}),
            add_form=add_form or AddEntryForm(),
            import_form=import_form or ImportForm(),
            remove_form=FlaskForm(),
            suggestions=pages.suggestions(db.session, current_user),
            matches=matches,
        ),
        status,
    )


@bp.get("")
@wallet_required
def show() -> tuple[str, int]:
    """Show the wallet with the forms to add, import and remove entries."""
    return _wallet_page()


@bp.post("/entries")
@wallet_required
def add() -> tuple[str, int] | Response:
    """Add one entry: the credential (by id or title), the date earned, the result."""
    form = AddEntryForm()
    if not form.validate_on_submit():
        return _wallet_page(form, status=422)
    text = (form.credential.data or "").strip()
    chosen, matches = pages.resolve_credential(db.session, text)
    if text and chosen is None:
        form.credential.errors = [
            f"No credential is called {text!r}: choose one of these, or try other words."
            if matches
            else f"No published credential matches {text!r}. Try its identifier or title."
        ]
        return _wallet_page(form, matches=matches or None, status=422)
    try:
        entry = services.add_entry(db.session, current_user, form.to_data(chosen or ""))
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return _wallet_page(form, status=422)
    title = credential_titles(db.session, [entry.credential_id])[entry.credential_id]
    flash(f"Added {title} (earned {entry.earned_on.isoformat()}).", "success")
    return redirect(url_for("wallet.show"))


@bp.post("/import")
@wallet_required
def import_list() -> tuple[str, int] | Response:
    """Import a JSON list of entries, all or nothing."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _wallet_page(import_form=form, status=422)
    items, problem = form.read()
    if problem is not None:
        form.entries.errors = [problem]
        return _wallet_page(import_form=form, status=422)
    try:
        added = services.import_entries(db.session, current_user, items)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        form.entries.errors = [
            f"{e.field}: {e.message}" if e.field else e.message for e in exc.errors
        ]
        return _wallet_page(import_form=form, status=422)
    flash(f"Imported {len(added)} entr{'y' if len(added) == 1 else 'ies'}.", "success")
    return redirect(url_for("wallet.show"))


@bp.post("/entries/<int:entry_id>/remove")
@wallet_required
def remove(entry_id: int) -> Response:
    """Remove one of your entries (anyone else's is not found)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    entry = services.remove_entry(db.session, current_user, entry_id)
    title = credential_titles(db.session, [entry.credential_id]).get(
        entry.credential_id, entry.credential_id
    )
    db.session.commit()
    flash(f"Removed {title} (earned {entry.earned_on.isoformat()}).", "success")
    return redirect(url_for("wallet.show"))


@bp.get("/progress")
@wallet_required
def progress() -> str:
    """Completed qualifications with their explanation, the nearest ones with plans, the rest."""
    cost = request.args.get("cost", "credits")
    if cost not in COSTS:
        cost = "credits"
    show_all = request.args.get("all") == "1"
    page = pages.progress_page(db.session, current_user, cost=cost, show_all=show_all)
    return render_template(
        "learners/progress.html",
        page=page,
        show_all=show_all,
        cost_labels=pages.COST_LABELS,
        nearest=pages.NEAREST,
    )
