"""Credentials: pages and services."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from registry.credentials import views

    app.register_blueprint(views.bp)
