"""Pages for credentials."""

from flask import Blueprint

bp = Blueprint("credentials", __name__, url_prefix="/credentials")


@bp.route("/")
def index() -> str:
    """List credentials."""
    return "credentials"
