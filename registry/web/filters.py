"""Template filters for readable values."""

from __future__ import annotations

from flask import Flask

from registry.auth.permissions import has_permission
from registry.review.rubrics import PRINCIPLES

PARTICIPATION_LABELS = {"online": "Online", "on-site": "On site", "blended": "Blended"}


def number(value: float | int | None) -> str:
    """5.0 -> '5', 7.5 -> '7.5', None -> '—'."""
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def init_app(app: Flask) -> None:
    app.add_template_filter(number)
    app.add_template_global(has_permission)
    app.jinja_env.globals["PARTICIPATION_LABELS"] = PARTICIPATION_LABELS
    app.jinja_env.globals["PRINCIPLES"] = PRINCIPLES
