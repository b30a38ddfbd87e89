"""Rubrics with versions, submissions and rounds, assignments, reviews, conflicts and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, Created, utcnow

if TYPE_CHECKING:
    from registry.auth.models import User
    from registry.credentials.models import Credential, CredentialVersion


class Rubric(Base):
    """A named rubric; its content lives in immutable-once-used versions."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Created]

    versions: Mapped[list[RubricVersion]] = relationship(
        back_populates="rubric", order_by="RubricVersion.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Rubric {self.id} {self.name}>"


class RubricVersion(Base):
    """One version of a rubric: criteria, level scale, pass threshold, reviewers per submission.

    `frozen_at` is set when a submission first pins it; a frozen version never changes.
    `current` marks the version new submissions pin (one per registry).
    """

    __tablename__ = "rubric_versions"
    __table_args__ = (
        UniqueConstraint("rubric_id", "number"),
        CheckConstraint("threshold > 0 AND threshold <= 1", name="threshold_range"),
        CheckConstraint("reviewers_per_submission >= 1", name="reviewers_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"))
    number: Mapped[int]
    # [{"value": 0, "label": "Not evident"}, ...]; levels >= met_level count as met.
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    met_level: Mapped[int] = mapped_column(default=2)
    threshold: Mapped[float] = mapped_column(Float, default=0.85)
    reviewers_per_submission: Mapped[int] = mapped_column(default=3)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    frozen_at: Mapped[dt.datetime | None]
    created_at: Mapped[Created]

    rubric: Mapped[Rubric] = relationship(back_populates="versions")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="version", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def __repr__(self) -> str:
        return f"<RubricVersion {self.rubric_id} v{self.number}>"


class Criterion(Base):
    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("version_id", "code"),
        CheckConstraint("points BETWEEN 1 AND 3", name="points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="")
    principle: Mapped[str] = mapped_column(String(60))
    points: Mapped[int] = mapped_column(default=1)
    essential: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[RubricVersion] = relationship(back_populates="criteria")

    def __repr__(self) -> str:
        return f"<Criterion {self.code}>"


class Submission(Base):
    """One credential version going through review; `state` follows review/workflow.py.

    `lock_version` grows with every transition: a transition is an UPDATE guarded by the
    state and lock version it was decided from, so of two simultaneous decisions one wins.
    """

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("credential_versions.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(30))
    round: Mapped[int] = mapped_column(default=1)
    lock_version: Mapped[int] = mapped_column(default=0)
    rubric_version_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_versions.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revision_deadline: Mapped[dt.date | None] = mapped_column(Date)
    unmet_criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The computed result stored with the decision, so a later rubric change rewrites nothing.
    recommendation: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    decision: Mapped[str | None] = mapped_column(String(30))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    credential: Mapped[Credential] = relationship()
    version: Mapped[CredentialVersion] = relationship()
    rubric_version: Mapped[RubricVersion | None] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="submission", order_by="Assignment.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Submission {self.id} {self.credential_id} {self.state} r{self.round}>"


class Assignment(Base):
    """A reviewer asked to review one round of a submission.

    Its status (awaiting, overdue, accepted, submitted, declined, cancelled) is derived from
    these dates and flags, never stored.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("submission_id", "round", "reviewer_id"),
        Index("ix_assignments_reviewer", "reviewer_id", "submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    round: Mapped[int]
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[bool] = mapped_column(Boolean, default=False)  # added on disagreement
    assigned_at: Mapped[Created]
    response_due: Mapped[dt.date] = mapped_column(Date)
    review_due: Mapped[dt.date] = mapped_column(Date)
    accepted_at: Mapped[dt.datetime | None]
    competing_interests: Mapped[str | None] = mapped_column(Text)
    declined_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[dt.datetime | None]
    last_reminded_at: Mapped[dt.datetime | None]

    submission: Mapped[Submission] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    reviews: Mapped[list[Review]] = relationship(
        back_populates="assignment", order_by="Review.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Assignment {self.id} s{self.submission_id} r{self.round} u{self.reviewer_id}>"


class Review(Base):
    """A submitted review; revising makes a new number, the old one is kept."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("assignment_id", "number"),
        CheckConstraint("confidence BETWEEN 1 AND 5", name="confidence_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)  # criterion code -> level
    comments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # code -> text
    recommendation: Mapped[str] = mapped_column(String(30))
    confidence: Mapped[int]
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="reviews")

    def __repr__(self) -> str:
        return f"<Review {self.id} a{self.assignment_id} #{self.number}>"


class ConflictDeclaration(Base):
    """A reviewer's declared competing interest with a provider (never assigned its work)."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("reviewer_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Created]

    def __repr__(self) -> str:
        return f"<ConflictDeclaration u{self.reviewer_id} {self.provider_id}>"


class OutboxMessage(Base):
    """A notice or reminder waiting to be mailed; the app never sends mail inside a request."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Created]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.to_address}>"
