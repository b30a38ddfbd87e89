"""Builders for the assignment, review and anonymity tests: a small rubric, reviewed submissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from registry.review import services
from registry.review.models import Criterion, Rubric, RubricVersion, Submission

LEVELS = [
    {"value": 0, "label": "Not evident"},
    {"value": 1, "label": "Partly"},
    {"value": 2, "label": "Met"},
    {"value": 3, "label": "Exemplary"},
]
# C1 is essential; all met is 4 of 4 points, C3 missed is 3 of 4 (below the 0.85 threshold).
CRITERIA = [
    ("C1", "Learning outcomes are assessable", 2, True),
    ("C2", "Workload matches the outcomes", 1, False),
    ("C3", "Information and guidance", 1, False),
]
MET = {"C1": 2, "C2": 2, "C3": 3}
UNMET_C3 = {"C1": 2, "C2": 2, "C3": 0}
SPLIT = {"C1": 0, "C2": 3, "C3": 3}  # differs from MET by 2 on C1 (an essential criterion)


def make_rubric(
    session: Session, *, reviewers: int = 3, name: str = "Test rubric"
) -> RubricVersion:
    """A current rubric version with three criteria (C1 essential) and levels 0-3, met at 2."""
    session.execute(update(RubricVersion).values(current=False))
    rubric = Rubric(name=name, description="for tests")
    version = RubricVersion(
        rubric=rubric,
        number=1,
        levels=LEVELS,
        met_level=2,
        threshold=0.85,
        reviewers_per_submission=reviewers,
        current=True,
    )
    version.criteria = [
        Criterion(
            position=i,
            code=code,
            title=title,
            guidance=f"Guidance for {code}.",
            principle="quality",
            points=points,
            essential=essential,
        )
        for i, (code, title, points, essential) in enumerate(CRITERIA)
    ]
    session.add(rubric)
    session.flush()
    return version


def complete_credential(factory: Any, provider: Any, **fields: Any) -> Any:
    """A draft credential carrying every mandatory element."""
    values = {
        "learning_outcomes": ["Explain the thing", "Build the thing"],
        "credits": 5,
        "level": 6,
        "subjects": ["0613"],
        "languages": ["en"],
        "assessment_type": "Project with oral defence",
        "participation_form": "online",
        "quality_assurance": "Internal QA of the faculty",
        **fields,
    }
    return factory.credential(provider, **values)


def in_review(
    session: Session,
    factory: Any,
    provider: Any,
    coordinator: Any,
    *,
    staff: Any = None,
    **fields: Any,
) -> Submission:
    """A complete credential of `provider`, submitted by its staff and sent to review."""
    staff = staff or factory.user("provider", provider=provider)
    credential = complete_credential(factory, provider, **fields)
    submission = services.submit_credential(session, credential, actor=staff)
    services.take_action(session, submission, "send_to_review", actor=coordinator)
    session.flush()
    # The transition is an UPDATE: reload what it changed, as the next request would.
    session.expire(submission)
    return submission


def score(
    session: Session, assignment: Any, levels: dict[str, int], *, recommendation: str = "approve"
) -> Any:
    """Accept (declaring no interest) if needed, then submit a review with these levels."""
    from registry.review.reviews import accept_assignment, submit_review

    reviewer = assignment.reviewer
    if assignment.accepted_at is None:
        accept_assignment(session, assignment, "none", actor=reviewer)
    comments = {code: f"{code} needs work" for code, level in levels.items() if level < 2}
    return submit_review(session, assignment, levels, comments, recommendation, 4, actor=reviewer)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
