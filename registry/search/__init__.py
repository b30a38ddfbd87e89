"""Catalogue search: full text with facets, on SQLite FTS5 or PostgreSQL full text."""

from __future__ import annotations

from flask import Flask

from registry.search import index, views


def init_app(app: Flask) -> None:
    """Register the search page and keep the index in step with every ORM flush."""
    app.register_blueprint(views.bp)
    index.listen()
