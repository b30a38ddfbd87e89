"""Pathway pictures: a credential's neighbourhood in the stacking graph as inline SVG."""

from __future__ import annotations

from flask import Flask

from registry.pathways import views


def init_app(app: Flask) -> None:
    """Register the pathway pages and the template helpers that draw pathways."""
    app.register_blueprint(views.bp)
    app.add_template_global(views.pathway_picture, "pathway_picture")
    app.add_template_global(views.provider_pathway, "provider_pathway")
    app.add_template_global(views.readable_requirements, "readable_requirements")
