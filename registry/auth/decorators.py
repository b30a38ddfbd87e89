"""View decorators that turn a permission predicate's False into 401 or 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from registry.auth.permissions import has_permission
from registry.extensions import login_manager


def permission_required(permission: str) -> Callable:
    """Anonymous users go to the login page (401 for the API); others without it get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
