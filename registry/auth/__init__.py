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
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def load_user_from_token(req: object) -> User | None:
        # Bearer tokens are for the JSON API only; pages use the session cookie.
        header = request.headers.get("Authorization", "")
        if not request.path.startswith("/api/") or not header.startswith("Bearer "):
            return None
        return user_for_token(db.session, header.removeprefix("Bearer ").strip())

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
