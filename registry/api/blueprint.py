"""The API blueprint, its authentication rules and helpers shared by its endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, request
from flask_login import current_user

from registry.auth.permissions import has_permission
from registry.errors import FieldError, ValidationError
from registry.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@bp.before_request
def _check_csrf_for_cookie_sessions() -> None:
    """A browser session (no Bearer header) must carry the CSRF token on unsafe methods.

    Anonymous callers have no session to abuse; they get the endpoint's 401 instead.
    """
    if (
        request.method in UNSAFE_METHODS
        and not request.headers.get("Authorization", "").startswith("Bearer ")
        and current_user.is_authenticated
    ):
        csrf.protect()


def login_required_api(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            abort(401, "Send a valid API token as 'Authorization: Bearer <token>'.")
        return view(*args, **kwargs)

    return wrapped


def permission_required_api(permission: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required_api
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(current_user, permission):
                abort(403, f"This needs the permission {permission!r}.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 422 naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(FieldError("", "the request body must be a JSON object"))
    return data
