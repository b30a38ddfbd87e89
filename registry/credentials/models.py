"""Credentials with every version kept, recognitions, credit units and the derived rule edges."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, Created, Slug, Updated
from registry.stacking.engine import COSTS

if TYPE_CHECKING:
    from registry.providers.models import Provider


class Status(enum.StrEnum):
    """Where a credential version stands in the quality-assurance workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    DECISION_PENDING = "decision_pending"
    REVISIONS_REQUESTED = "revisions_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    RETIRED = "retired"
    SUPERSEDED = "superseded"


STATUS_VALUES = tuple(s.value for s in Status)
PARTICIPATION_FORMS = ("online", "on-site", "blended")
EDGE_KINDS = ("requirement", "prerequisite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CreditUnit(Base):
    """A unit of credit and how many ECTS one unit is worth."""

    __tablename__ = "credit_units"
    __table_args__ = (CheckConstraint("ects_rate >= 0", name="rate_not_negative"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    ects_rate: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<CreditUnit {self.code}={self.ects_rate} ECTS>"


class Credential(Base):
    """The stable identity of a credential; its content lives in versions."""

    __tablename__ = "credentials"

    id: Mapped[Slug] = mapped_column(primary_key=True)
    # "ctid" is a PostgreSQL system column, hence the column name.
    ctid: Mapped[str] = mapped_column("ce_ctid", String(40), unique=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    # The newest version (what provider staff edit) and the one learners see, if any.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential_versions.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential_versions.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]

    provider: Mapped[Provider] = relationship()
    current: Mapped[CredentialVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    published: Mapped[CredentialVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )
    versions: Mapped[list[CredentialVersion]] = relationship(
        back_populates="credential",
        foreign_keys="CredentialVersion.credential_id",
        order_by="CredentialVersion.number",
        cascade="all, delete-orphan",
    )

    @property
    def status(self) -> str:
        return self.current.status if self.current else Status.DRAFT.value

    def __repr__(self) -> str:
        return f"<Credential {self.id} ({self.status})>"


class CredentialVersion(Base):
    """One version of a credential's content; versions are kept, never overwritten once used."""

    __tablename__ = "credential_versions"
    __table_args__ = (
        UniqueConstraint("credential_id", "number"),
        CheckConstraint(_in("status", STATUS_VALUES), name="known_status"),
        CheckConstraint(
            "participation_form IS NULL OR " + _in("participation_form", PARTICIPATION_FORMS),
            name="known_participation_form",
        ),
        CheckConstraint("credits >= 0", name="credits_not_negative"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 8", name="eqf_level"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
        CheckConstraint("valid_years IS NULL OR valid_years >= 1", name="valid_years_positive"),
        CheckConstraint("max_reuse IS NULL OR max_reuse >= 1", name="max_reuse_positive"),
        Index("ix_credential_versions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(30), default=Status.DRAFT.value)
    type: Mapped[str] = mapped_column(String(50), default="micro-credential")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    learning_outcomes: Mapped[list[str]] = mapped_column(default=list)
    credits: Mapped[float | None] = mapped_column(Float)
    credit_unit: Mapped[str] = mapped_column(ForeignKey("credit_units.code"), default="ECTS")
    level: Mapped[int | None]
    subjects: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    assessment_type: Mapped[str | None] = mapped_column(String(200))
    participation_form: Mapped[str | None] = mapped_column(String(20))
    quality_assurance: Mapped[str | None] = mapped_column(String(300))
    price: Mapped[float | None] = mapped_column(Float)
    duration: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(500))
    valid_years: Mapped[int | None]
    prerequisites: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    requirements: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    max_reuse: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]

    credential: Mapped[Credential] = relationship(
        back_populates="versions", foreign_keys=[credential_id]
    )
    edges: Mapped[list[CredentialEdge]] = relationship(
        cascade="all, delete-orphan", order_by="(CredentialEdge.kind, CredentialEdge.component_id)"
    )

    @property
    def is_qualification(self) -> bool:
        return self.requirements is not None

    def __repr__(self) -> str:
        return f"<CredentialVersion {self.credential_id} v{self.number} ({self.status})>"


class CredentialEdge(Base):
    """Derived from a version's rules: the version needs `component` (kept in step on save)."""

    __tablename__ = "credential_edges"
    __table_args__ = (
        CheckConstraint(_in("kind", EDGE_KINDS), name="known_kind"),
        Index("ix_credential_edges_component", "component_id", "kind"),
    )

    version_id: Mapped[int] = mapped_column(
        ForeignKey("credential_versions.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)

    def __repr__(self) -> str:
        return f"<CredentialEdge v{self.version_id} -{self.kind}-> {self.component_id}>"


class Recognition(Base):
    """`by` recognises holding `from` as holding its own credential `to`."""

    __tablename__ = "recognitions"
    __table_args__ = (UniqueConstraint("from_id", "to_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    to_id: Mapped[str] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    created_at: Mapped[Created]

    def __repr__(self) -> str:
        return f"<Recognition {self.from_id} as {self.to_id} by {self.by_id}>"


class CatalogueState(Base):
    """One row whose revision grows whenever what stacking reads changes.

    Every app server keeps the stacking catalogue in memory and reloads it when the revision
    it holds is no longer the database's, so stateless servers behind one database agree.
    """

    __tablename__ = "catalogue_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<CatalogueState revision={self.revision}>"


STACKING_COSTS = COSTS  # the engine's own list, so the column check cannot drift from it
PREPARED_STATUSES = ("completed", "in_progress", "unreachable")


class PreparedSet(Base):
    """Every qualification's empty-wallet answer under one cost, for one catalogue revision.

    Written whole by `flask stacking prepare` (one transaction), so a set that exists is
    complete; app servers loading that revision take the answers instead of computing them.
    """

    __tablename__ = "prepared_sets"
    __table_args__ = (CheckConstraint(_in("cost", STACKING_COSTS), name="cost"),)

    revision: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cost: Mapped[str] = mapped_column(String(10), primary_key=True)
    qualifications: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)  # how long computing the answers took
    created_at: Mapped[Created]

    def __repr__(self) -> str:
        return f"<PreparedSet revision={self.revision} cost={self.cost}>"


class PreparedAnswer(Base):
    """One qualification's row of a PreparedSet (see registry.stacking.engine.Prepared)."""

    __tablename__ = "prepared_answers"
    __table_args__ = (
        ForeignKeyConstraint(
            ["revision", "cost"],
            ["prepared_sets.revision", "prepared_sets.cost"],
            ondelete="CASCADE",
        ),
        CheckConstraint(_in("status", PREPARED_STATUSES), name="status"),
    )

    revision: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cost: Mapped[str] = mapped_column(String(10), primary_key=True)
    qualification_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    plan: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    plan_cost: Mapped[float | None] = mapped_column(Float)
    assignment: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    units: Mapped[int | None] = mapped_column(BigInteger)
    relaxed: Mapped[int | None] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<PreparedAnswer {self.qualification_id} r{self.revision} {self.cost}>"
