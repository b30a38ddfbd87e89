"""Imports every model so that `metadata` is complete (Alembic and tests read it)."""

from registry.audit.models import AuditEvent
from registry.auth.models import ApiToken, User, UserRole
from registry.credentials.models import (
    CatalogueState,
    Credential,
    CredentialEdge,
    CredentialVersion,
    CreditUnit,
    Recognition,
)
from registry.db import Base
from registry.providers.models import Provider

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CatalogueState",
    "Credential",
    "CredentialEdge",
    "CredentialVersion",
    "CreditUnit",
    "Provider",
    "Recognition",
    "User",
    "UserRole",
    "metadata",
]
