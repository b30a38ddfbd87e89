"""Imports every model so that `metadata` is complete (Alembic and tests read it)."""

from registry.audit.models import AuditEvent
from registry.auth.models import ApiToken, User, UserRole
from registry.credentials.models import (
    CatalogueState,
    Credential,
    CredentialEdge,
    CredentialVersion,
    CreditUnit,
    PreparedAnswer,
    PreparedSet,
    Recognition,
)
from registry.db import Base
from registry.learners.models import WalletEntry
from registry.providers.models import Provider
from registry.review.models import (
    Assignment,
    ConflictDeclaration,
    Criterion,
    OutboxMessage,
    Review,
    Rubric,
    RubricVersion,
    Submission,
)
from registry.search.models import (
    SearchEntry,
    SearchLanguage,
    SearchState,
    SearchSubject,
    SubjectField,
)

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "CatalogueState",
    "ConflictDeclaration",
    "Credential",
    "CredentialEdge",
    "CredentialVersion",
    "CreditUnit",
    "Criterion",
    "OutboxMessage",
    "PreparedAnswer",
    "PreparedSet",
    "Provider",
    "Recognition",
    "Review",
    "Rubric",
    "RubricVersion",
    "SearchEntry",
    "SearchLanguage",
    "SearchState",
    "SearchSubject",
    "SubjectField",
    "Submission",
    "User",
    "UserRole",
    "WalletEntry",
    "metadata",
]
