"""Catalogue search: full text with facets, on SQLite FTS5 or PostgreSQL full text."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the search pages and API (filled in by the search work)."""
