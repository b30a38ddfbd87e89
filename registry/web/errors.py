"""The one place that maps domain errors to HTTP, as pages or as the API's JSON error shape."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from registry.errors import (
    Conflict,
    NotFound,
    NotReady,
    PermissionDenied,
    RegistryError,
    ValidationError,
)

STATUS_FOR = {
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    ValidationError: 422,
    NotReady: 503,
}
TITLES = {
    400: "Bad request",
    401: "Log in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    500: "Something went wrong",
    503: "Not ready yet",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, errors: list[dict] | None = None) -> Response:
    """The API's error shape: {"error": {"status", "title", "message", "errors": [...]}}."""
    body = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _render(status: int, message: str, errors: list[dict] | None = None):
    if wants_json():
        return error_response(status, message, errors)
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Error"),
            message=message,
            errors=errors or [],
        ),
        status,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(RegistryError)
    def registry_error(exc: RegistryError):
        status = next((s for cls, s in STATUS_FOR.items() if isinstance(exc, cls)), 400)
        errors = [e.as_dict() for e in exc.errors] if isinstance(exc, ValidationError) else None
        return _render(status, str(exc), errors)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(400, f"The form expired or was not sent by this site ({exc.description}).")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _render(exc.code or 500, exc.description or "")

    @app.errorhandler(500)
    def server_error(exc: Exception):
        return _render(500, "The registry hit an unexpected error. It has been logged.")
