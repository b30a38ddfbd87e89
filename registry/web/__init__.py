"""Shared pages, template filters and error pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from registry.web import errors, filters, views

    app.register_blueprint(views.bp)
    errors.init_app(app)
    filters.init_app(app)
