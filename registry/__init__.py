"""The stackable-credential registry: `create_app` builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from config import Config

# Nothing framework-related is imported here at module level: importing a pure core such as
# registry.stacking must not load Flask or SQLAlchemy (STYLE.md habit 3).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from a config class, a mapping of overrides, or the environment."""
    from flask import Flask

    from config import DEV_SECRET_KEY, default_config
    from registry.db import db
    from registry.extensions import csrf, login_manager

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    if config is None or isinstance(config, Mapping):
        app.config.from_object(default_config())
        app.config.update(config or {})
    else:
        app.config.from_object(config)
    unset = app.config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY)
    if app.config.get("REQUIRE_SECRET_KEY") and unset:
        raise RuntimeError("SECRET_KEY must be set outside development and tests")
    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(
            app.instance_path, "registry.sqlite3"
        )

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)

    from registry import (
        api,
        auth,
        cli,
        credentials,
        learners,
        pathways,
        providers,
        review,
        search,
        web,
    )

    web.init_app(app)
    auth.init_app(app)
    providers.init_app(app)
    credentials.init_app(app)
    review.init_app(app)
    search.init_app(app)
    pathways.init_app(app)
    learners.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
