"""The JSON API under /api/v1: thin endpoints over the same services as the pages."""

from __future__ import annotations

from flask import Flask

from registry.extensions import csrf


def init_app(app: Flask) -> None:
    # Importing the endpoint modules registers their endpoints on the blueprint.
    from registry.api import (  # noqa: F401
        credentials,
        providers,
        reviews,
        rubrics,
        search,
        stacking,
        submissions,
        views,
        wallet,
    )
    from registry.api.blueprint import bp

    # Bearer-token requests need no CSRF token; cookie requests are checked in the blueprint.
    csrf.exempt(bp)
    app.register_blueprint(bp)
