"""The home page and other shared pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from registry.credentials.models import Credential, CredentialVersion
from registry.db import db
from registry.providers.models import Provider

bp = Blueprint("web", __name__)


@bp.route("/")
def index() -> str:
    """Show what the registry holds and where to start."""
    published = (
        select(func.count())
        .select_from(Credential)
        .where(Credential.published_version_id.is_not(None))
    )
    qualifications = (
        select(func.count())
        .select_from(Credential)
        .join(CredentialVersion, CredentialVersion.id == Credential.published_version_id)
        .where(CredentialVersion.requirements.is_not(None))
    )
    counts = {
        "credentials": db.session.scalar(published),
        "qualifications": db.session.scalar(qualifications),
        "providers": db.session.scalar(select(func.count()).select_from(Provider)),
    }
    return render_template("index.html", counts=counts)


@bp.route("/healthz")
def healthz() -> dict[str, str]:
    """A trivial route for load balancers (and the benchmark's ceiling)."""
    return {"status": "ok"}
