"""Pathway pages (the full picture with every node listed, and the bare SVG) and the
template helpers that put a picture on credential and provider pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.auth.permissions import can_view_credential
from registry.credentials import services as credential_services
from registry.credentials.catalogue import cached_catalogue
from registry.credentials.models import Credential, CredentialVersion
from registry.credentials.rules_text import RuleLine, rule_ids, rule_lines
from registry.db import db
from registry.errors import PermissionDenied
from registry.extensions import login_manager
from registry.pathways.services import Picture, credential_picture, provider_picture

bp = Blueprint("pathways", __name__)

FULL_PAGE_PER_LAYER = 16


def _version_to_show(credential_id: str) -> tuple[Credential, CredentialVersion]:
    """The credential and the version asked for (?version=), or a refusal."""
    credential = credential_services.get_credential(db.session, credential_id)
    if not can_view_credential(current_user, credential):
        raise PermissionDenied("This credential is not published; only its provider and QA see it.")
    version = credential_services.version_to_show(
        credential,
        request.args.get("version"),
        drafts_visible=credential_services.sees_drafts(current_user, credential),
    )
    return credential, version


def _refused() -> Response | None:
    return login_manager.unauthorized() if not current_user.is_authenticated else None


@bp.route("/credentials/<credential_id>/pathway")
def page(credential_id: str) -> str | Response:
    """Show a credential's pathway with every credential of its neighbourhood listed."""
    try:
        credential, version = _version_to_show(credential_id)
    except PermissionDenied:
        if (refusal := _refused()) is not None:
            return refusal
        raise
    # Its own page has room for more boxes per column than the credential page.
    picture = credential_picture(
        db.session, credential, version, current_user, per_layer=FULL_PAGE_PER_LAYER
    )
    return render_template(
        "pathways/page.html", credential=credential, version=version, picture=picture
    )


@bp.route("/credentials/<credential_id>/pathway.svg")
def svg(credential_id: str) -> Response:
    """The pathway picture alone, as an SVG image."""
    try:
        credential, version = _version_to_show(credential_id)
    except PermissionDenied:
        if (refusal := _refused()) is not None:
            return refusal
        raise
    picture = credential_picture(db.session, credential, version, current_user)
    if picture.svg is None:
        body = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 40" width="320"'
            ' height="40" role="img"><title>Nothing stacks with this credential yet</title>'
            '<text x="10" y="25" font-family="system-ui, sans-serif" font-size="13">'
            "Nothing stacks with this credential yet.</text></svg>"
        )
    else:
        body = str(picture.svg)
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, mimetype="image/svg+xml")


def pathway_picture(credential: Credential, version: CredentialVersion) -> Picture:
    """For templates: the picture of this version, for the signed-in user."""
    return credential_picture(db.session, credential, version, current_user)


def provider_pathway(provider: Any) -> Picture:
    """For templates: the provider's stacks as one picture."""
    return provider_picture(db.session, provider, current_user)


def readable_requirements(version: CredentialVersion) -> tuple[RuleLine | None, dict[str, str]]:
    """For templates: the version's requirements in words, nested qualifications expanded,
    with the titles of every credential it names."""
    if version.requirements is None:
        return None, {}
    catalogue = cached_catalogue(db.session)

    def expand(ident: str) -> Any:
        spec = catalogue.credentials.get(ident)
        return spec.requirements if spec is not None and spec.is_published else None

    tree = rule_lines(version.requirements, expand=expand)
    return tree, credential_services.published_titles(db.session, rule_ids(tree))
