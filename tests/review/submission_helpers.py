"""Helpers for the submission tests: a complete credential, a small rubric, reviews as rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.db import utcnow
from registry.review.models import (
    Assignment,
    Criterion,
    Review,
    Rubric,
    RubricVersion,
    Submission,
)

# Every mandatory element of REVIEW.md (title and provider come with the factory).
COMPLETE: dict[str, Any] = {
    "learning_outcomes": ["Explain regression", "Fit a model to data"],
    "credits": 5,
    "credit_unit": "ECTS",
    "level": 6,
    "assessment_type": "Project graded by two assessors",
    "participation_form": "online",
    "quality_assurance": "Internal QA of the university",
    "languages": ["en"],
    "subjects": ["0542"],
}
LEVELS = [
    {"value": 0, "label": "Not evident"},
    {"value": 1, "label": "Partly"},
    {"value": 2, "label": "Met"},
    {"value": 3, "label": "Exemplary"},
]
# Code, points, essential.
CRITERIA = (("Q1", 3, True), ("T1", 2, False), ("R1", 1, False))
ALL_MET = {"Q1": 2, "T1": 3, "R1": 2}
NONE_MET = {"Q1": 0, "T1": 1, "R1": 0}


def make_rubric(session: Session, *, reviewers: int = 2, name: str = "Test rubric"):
    """A current rubric version with three criteria (Q1 essential), not frozen yet."""
    version = RubricVersion(
        number=1,
        levels=LEVELS,
        met_level=2,
        threshold=0.85,
        reviewers_per_submission=reviewers,
        current=True,
        criteria=[
            Criterion(
                position=i,
                code=code,
                title=f"Criterion {code}",
                guidance=f"What {code} asks for",
                principle="quality",
                points=points,
                essential=essential,
            )
            for i, (code, points, essential) in enumerate(CRITERIA)
        ],
    )
    session.add(Rubric(name=name, versions=[version]))
    session.flush()
    return version


def add_review(
    session: Session,
    submission: Submission,
    reviewer,
    scores: dict[str, int],
    *,
    recommendation: str = "approve",
) -> Review:
    """An accepted assignment of the current round with a submitted review (rows only)."""
    today = utcnow().date()
    assignment = Assignment(
        submission=submission,
        round=submission.round,
        reviewer_id=reviewer.id,
        response_due=today + dt.timedelta(days=7),
        review_due=today + dt.timedelta(days=21),
        accepted_at=utcnow(),
        competing_interests="none",
    )
    review = Review(
        assignment=assignment,
        number=1,
        scores=dict(scores),
        comments={code: f"Comment on {code}" for code, level in scores.items() if level < 2},
        recommendation=recommendation,
        confidence=4,
    )
    session.add_all([assignment, review])
    session.flush()
    return review


def event_count(session: Session, submission: Submission | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if submission is not None:
        query = query.where(
            AuditEvent.object_type == "submission", AuditEvent.object_id == str(submission.id)
        )
    return session.scalar(query) or 0


def submission_events(session: Session, submission: Submission) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "submission",
                AuditEvent.object_id == str(submission.id),
            )
            .order_by(AuditEvent.id)
        )
    )
