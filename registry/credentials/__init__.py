"""Credentials: pages and services."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from registry.stacking.engine import settle_tables


def init_app(app: Flask) -> None:
    from registry.credentials import views

    app.register_blueprint(views.bp)
    app.wsgi_app = settle_after_response(app.wsgi_app)  # type: ignore[method-assign]


def settle_after_response(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Any]:
    """Freeze the stacking tables a request built once its response is sent.

    The server closes the response after writing it; by then the request's context, session
    and objects are gone, so only what lives on with the cached catalogue is frozen
    (`registry.stacking.engine.long_lived`).
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> ClosingIterator:
        return ClosingIterator(wsgi_app(environ, start_response), [settle_tables])

    return app
