"""Pages for providers."""

from flask import Blueprint

bp = Blueprint("providers", __name__, url_prefix="/providers")


@bp.route("/")
def index() -> str:
    """List providers."""
    return "providers"


@bp.route("/<provider_id>")
def show(provider_id: str) -> str:
    """Show one provider."""
    return provider_id
