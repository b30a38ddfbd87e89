"""Quality review: rubrics, submissions, assignments, scores and decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register every review blueprint (pages for rubrics, submissions, reviews, the dashboard)."""
    from registry.review import review_views, rubric_views, submission_views

    app.register_blueprint(rubric_views.bp)
    app.register_blueprint(submission_views.bp)
    app.register_blueprint(review_views.bp)

    from registry.review.submission_cli import review_cli

    app.cli.add_command(review_cli)
