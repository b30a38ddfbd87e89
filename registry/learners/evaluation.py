"""Evaluating a wallet against the published catalogue (STACKING.md request and answer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from registry.credentials.catalogue import cached_catalogue
from registry.errors import FieldError, NotFound, ValidationError
from registry.stacking import BadRequest, evaluate
from registry.stacking.pages import pathway


def evaluate_wallet(session: Session, request: Any) -> dict[str, Any]:
    """The answer for an evaluation request; a bad request is a ValidationError naming its field."""
    if not isinstance(request, Mapping):
        raise ValidationError(FieldError("", "the request must be a JSON object"))
    try:
        return evaluate(cached_catalogue(session), request)
    except BadRequest as exc:
        raise ValidationError(FieldError(exc.field, exc.message)) from exc


def credential_pathway(session: Session, credential_id: str) -> dict[str, Any]:
    """What a credential needs, as a tree, and what it counts toward, with the graph."""
    catalogue = cached_catalogue(session)
    if credential_id not in catalogue.credentials:
        raise NotFound(f"no credential {credential_id!r}")
    return pathway(catalogue, credential_id)
