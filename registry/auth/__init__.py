"""Accounts: users, roles, permissions, login and API tokens."""

from __future__ import annotations

from flask import Flask, request

from registry.db import db
from registry.extensions import login_manager


def init_app(app: Flask) -> None:
    from registry.auth import admin_views, views
    from registry.auth.models import User
    from registry.auth.services import user_for_token

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if (secret := _bearer_token()) is not None:
            # An API call that names a token acts as that token, whatever cookie it carries:
            # the API skips its CSRF check for such calls, so a cookie must not count.
            return user_for_token(db.session, secret)
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def load_user_from_token(req: object) -> User | None:
        secret = _bearer_token()
        return None if secret is None else user_for_token(db.session, secret)

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)


def _bearer_token() -> str | None:
    """The token of an API request's `Authorization: Bearer` header (pages ignore it)."""
    header = request.headers.get("Authorization", "")
    if not request.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip()
