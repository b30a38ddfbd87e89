"""The stacking catalogue as the database holds it, cached per process by catalogue revision."""

from __future__ import annotations

import gc
import threading

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.credentials.models import (
    CatalogueState,
    Credential,
    CredentialVersion,
    CreditUnit,
    Recognition,
)
from registry.stacking import Catalogue, CredentialSpec
from registry.stacking.engine import FREEZE_FROM, warm

LOAD_BATCH = 20_000  # rows fetched at a time while loading the catalogue
_lock = threading.Lock()
_cache: dict[str, tuple[int, Catalogue]] = {}


def bump_revision(session: Session) -> None:
    """Mark the catalogue changed; call in the transaction that changes what stacking reads."""
    session.execute(update(CatalogueState).values(revision=CatalogueState.revision + 1))


def current_revision(session: Session) -> int:
    return session.scalar(select(CatalogueState.revision)) or 0


def load_catalogue(session: Session) -> Catalogue:
    """Every credential as stacking sees it: the published version where there is one.

    A credential without a published version is loaded from its current version with a
    non-published status, so a wallet entry of it still counts (STACKING.md rule 1) but no
    plan proposes it.
    """
    # A million credentials are tens of millions of objects: the cyclic collector would scan
    # them over and over while they are built, and in every later full collection, so they
    # are built with it off and then frozen out of its reach (see engine.long_lived).
    enabled = gc.isenabled()
    gc.disable()
    try:
        catalogue = _load_catalogue(session)
    finally:
        if enabled:
            gc.enable()
    if len(catalogue.credentials) >= FREEZE_FROM:
        gc.freeze()
    return catalogue


def _load_catalogue(session: Session) -> Catalogue:
    rows = session.execute(
        select(
            Credential.id,
            Credential.provider_id,
            Credential.published_version_id,
            CredentialVersion.status,
            CredentialVersion.credits,
            CredentialVersion.credit_unit,
            CredentialVersion.level,
            CredentialVersion.subjects,
            CredentialVersion.type,
            CredentialVersion.valid_years,
            CredentialVersion.price,
            CredentialVersion.prerequisites,
            CredentialVersion.requirements,
            CredentialVersion.max_reuse,
        ).join(
            CredentialVersion,
            CredentialVersion.id
            == func.coalesce(Credential.published_version_id, Credential.current_version_id),
        ),
        # Streamed in batches: a million rows are never all held as rows at once.
        execution_options={"yield_per": LOAD_BATCH},
    )
    credentials: dict[str, CredentialSpec] = {}
    for (
        ident, provider, published, status, credits, credit_unit, level, subjects, kind,
        valid_years, price, prerequisites, requirements, max_reuse,
    ) in rows:  # fmt: skip
        credentials[ident] = CredentialSpec(
            id=ident,
            provider=provider,
            credits=credits or 0.0,
            credit_unit=credit_unit,
            level=level,
            subjects=tuple(subjects or ()),
            type=kind,
            valid_years=valid_years,
            price=price,
            status="published" if published is not None else status,
            prerequisites=prerequisites,
            requirements=requirements,
            max_reuse=max_reuse,
        )
    units = {u.code: u.ects_rate for u in session.scalars(select(CreditUnit))}
    recognitions = [
        (r.from_id, r.to_id)
        for r in session.execute(
            select(Recognition.from_id, Recognition.to_id).order_by(Recognition.id)
        )
    ]
    return Catalogue(credentials=credentials, credit_units=units, recognitions=recognitions)


def cached_catalogue(session: Session, revision: int | None = None) -> Catalogue:
    """The catalogue for this database, reloaded only when its revision has moved on.

    `revision` is the current revision when the caller has just read it.
    """
    key = str(session.get_bind().engine.url)
    if revision is None:
        revision = current_revision(session)
    held = _cache.get(key)
    if held is not None and held[0] == revision:
        return held[1]
    with _lock:
        held = _cache.get(key)
        if held is not None and held[0] == revision:
            return held[1]
        if held is not None:
            # The catalogue it replaces may have been frozen out of the collector's reach.
            del held
            _cache.pop(key, None)
            gc.unfreeze()
        catalogue = load_catalogue(session)
        from registry.credentials.prepared import install  # it imports this module

        install(session, catalogue, revision)
        warm(catalogue)
        _cache[key] = (revision, catalogue)
        return catalogue
