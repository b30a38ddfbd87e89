"""Provider operations: look up, list, create and update issuing organisations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.auth.models import User
from registry.credentials.fields import new_ctid, provider_document, provider_problems
from registry.errors import Conflict, FieldError, NotFound, ValidationError
from registry.providers.models import Provider


def get_provider(session: Session, provider_id: str) -> Provider:
    """The provider with this id, or NotFound."""
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"no provider with id {provider_id!r}")
    return provider


def list_providers(
    session: Session, *, page: int = 1, per_page: int = 25
) -> tuple[list[Provider], int]:
    """One page of providers by name, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(Provider)) or 0
    rows = session.scalars(
        select(Provider)
        .order_by(Provider.name, Provider.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows), total


def create_provider(session: Session, data: Mapping[str, Any], *, actor: User | None) -> Provider:
    """Add a provider from a catalogue-shape document; refuses every bad field and duplicates."""
    problems = provider_problems(data)
    if problems:
        raise ValidationError(problems)
    if session.get(Provider, data["id"]) is not None:
        raise Conflict(f"a provider with id {data['id']!r} already exists")
    ctid = data.get("ctid") or new_ctid()
    if session.scalar(select(Provider.id).where(Provider.ctid == ctid)) is not None:
        raise Conflict(f"a provider with ctid {ctid!r} already exists")
    provider = Provider(id=data["id"], ctid=ctid, **_columns(data))
    session.add(provider)
    session.flush()
    record_event(
        session,
        "provider.create",
        "provider",
        provider.id,
        actor=actor,
        after=provider_document(provider, with_ctid=True),
    )
    return provider


def update_provider(
    session: Session, provider: Provider, data: Mapping[str, Any], *, actor: User | None
) -> Provider:
    """Replace a provider's fields with a catalogue-shape document; its id and ctid stay."""
    data = {"id": provider.id, **data}
    problems = provider_problems(data)
    if data["id"] != provider.id:
        problems.append(FieldError("id", "cannot be changed"))
    if data.get("ctid") not in (None, provider.ctid):
        problems.append(FieldError("ctid", "cannot be changed"))
    if problems:
        raise ValidationError(problems)
    before = provider_document(provider, with_ctid=True)
    for key, value in _columns(data).items():
        setattr(provider, key, value)
    session.flush()
    record_event(
        session,
        "provider.update",
        "provider",
        provider.id,
        actor=actor,
        before=before,
        after=provider_document(provider, with_ctid=True),
    )
    return provider


def _columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """Column values from a checked document; absent optional fields become empty."""
    return {
        "name": data["name"].strip(),
        "country": data["country"],
        "url": data.get("url"),
        "email_domains": list(data.get("email_domains") or []),
        "description": data.get("description") or "",
    }
