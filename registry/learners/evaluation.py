"""Evaluating a wallet against the published catalogue (STACKING.md request and answer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from registry.credentials.catalogue import cached_catalogue, current_revision
from registry.credentials.prepared import install
from registry.errors import FieldError, NotFound, NotReady, ValidationError
from registry.stacking import BadRequest, Catalogue, evaluate
from registry.stacking.engine import COSTS, has_prepared
from registry.stacking.evaluate import DEFAULT_COST, published_qualifications
from registry.stacking.pages import pathway


def evaluate_wallet(session: Session, request: Any) -> dict[str, Any]:
    """The answer for an evaluation request; a bad request is a ValidationError naming its field,
    a cost not prepared on a large catalogue is NotReady."""
    if not isinstance(request, Mapping):
        raise ValidationError(FieldError("", "the request must be a JSON object"))
    catalogue = cached_catalogue(session)
    cost = request.get("cost")
    check_ready(session, catalogue, DEFAULT_COST if cost is None else cost)
    try:
        return evaluate(catalogue, request)
    except BadRequest as exc:
        raise ValidationError(FieldError(exc.field, exc.message)) from exc


def check_ready(session: Session, catalogue: Catalogue, cost: Any) -> None:
    """Refuse a cost whose empty-wallet answers a large catalogue would compute in the request.

    Every evaluation reads all of them; on a catalogue of more than STACKING_ON_DEMAND_LIMIT
    qualifications they must have been kept by `flask stacking prepare` (a bad cost is left
    to the evaluation's own check). A server that loaded the catalogue before they were kept
    installs them now.
    """
    if cost not in COSTS or has_prepared(catalogue, cost):
        return
    count = len(published_qualifications(catalogue))
    if count <= current_app.config["STACKING_ON_DEMAND_LIMIT"]:
        return
    install(session, catalogue, current_revision(session))
    if not has_prepared(catalogue, cost):
        raise NotReady(
            f"Progress by {cost} is not ready for this catalogue of {count:,} qualifications "
            f"yet: an operator runs `flask --app registry stacking prepare --cost {cost}`. "
            "Other costs may be ready meanwhile."
        )


def credential_pathway(session: Session, credential_id: str) -> dict[str, Any]:
    """What a credential needs, as a tree, and what it counts toward, with the graph."""
    catalogue = cached_catalogue(session)
    if credential_id not in catalogue.credentials:
        raise NotFound(f"no credential {credential_id!r}")
    return pathway(catalogue, credential_id)
