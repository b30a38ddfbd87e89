"""Pages for rubrics (the admin editor) and the QA dashboard."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rubrics", __name__, url_prefix="/review")
