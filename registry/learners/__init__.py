"""Learners: wallets, imported badges, progress toward qualifications."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the wallet and progress pages, and the credential page's "counts toward" helper."""
    from registry.learners import views

    app.register_blueprint(views.bp)
    app.add_template_global(_wallet_counts_toward, "wallet_counts_toward")


def _wallet_counts_toward(credential_id: str) -> Any:
    """The current user's standing on what a credential counts toward (None if anonymous)."""
    from flask_login import current_user

    from registry.db import db
    from registry.learners.pages import counts_toward_progress

    return counts_toward_progress(db.session, current_user, credential_id)
