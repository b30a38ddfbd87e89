"""Who reads which reviews: blind until one's own is in; providers never learn who reviewed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.auth.permissions import has_permission
from registry.review.models import Assignment, Submission
from registry.review.workflow import (
    PUBLISHED,
    REJECTED,
    RETIRED,
    REVISIONS_REQUESTED,
    SUSPENDED,
)

PROVIDER, COORDINATOR, REVIEWER, NOBODY = "provider", "coordinator", "reviewer", "nobody"
# States that follow a decision: the reviews of the round that led there are shared.
DECIDED_STATES = frozenset(
    {REVISIONS_REQUESTED, PUBLISHED, REJECTED, SUSPENDED, RETIRED, "superseded"}
)


def viewer_role(viewer: Any, submission: Submission) -> str:
    """How `viewer` stands to the submission's reviews.

    Anyone who belongs to the credential's provider is the provider, whatever other roles they
    hold: reviewer identities never reach a provider's staff.
    """
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return NOBODY
    if viewer.provider_id is not None and viewer.provider_id == submission.credential.provider_id:
        return PROVIDER
    # Coordinators, and whoever reads the full audit record (admins), see the whole review.
    if has_permission(viewer, "review:coordinate") or has_permission(viewer, "audit:view"):
        return COORDINATOR
    if any(a.reviewer_id == viewer.id for a in submission.assignments):
        return REVIEWER
    return NOBODY


def round_decided(submission: Submission, round_number: int) -> bool:
    """A round is decided once a later round began or the submission was decided after it."""
    return round_number < submission.round or submission.state in DECIDED_STATES


def _reviewed(submission: Submission, round_number: int) -> list[Assignment]:
    return [
        a
        for a in submission.assignments
        if a.round == round_number and a.cancelled_at is None and a.reviews
    ]


def visible_reviews(session: Session, submission: Submission, viewer: Any) -> list[dict[str, Any]]:
    """The reviews `viewer` may read, round by round, each the latest version of its review.

    - Coordinators and admins (of another provider) read every review with the reviewer's
      identity.
    - A reviewer reads the reviews of a round only once their own review of it is in; the
      others are "Reviewer N" to them.
    - The provider's staff read the reviews of decided rounds as "Reviewer N", with no
      identity, id or date that could point to a person.
    - Everyone else reads nothing.
    Reviewers are numbered per round in the order they were asked, counting only those whose
    review is in, so the numbers have no gaps that would hint at a decline.
    """
    role = viewer_role(viewer, submission)
    if role == NOBODY:
        return []
    answer: list[dict[str, Any]] = []
    for round_number in range(1, submission.round + 1):
        reviewed = _reviewed(submission, round_number)
        if role == PROVIDER and not round_decided(submission, round_number):
            continue
        if role == REVIEWER and not any(a.reviewer_id == viewer.id for a in reviewed):
            continue
        for number, assignment in enumerate(reviewed, start=1):
            review = assignment.reviews[-1]
            entry: dict[str, Any] = {
                "label": f"Reviewer {number}",
                "round": round_number,
                "scores": dict(review.scores),
                "comments": dict(review.comments or {}),
                "recommendation": review.recommendation,
                "confidence": review.confidence,
            }
            if role == REVIEWER:
                entry["own"] = assignment.reviewer_id == viewer.id
            if role == COORDINATOR:
                reviewer = assignment.reviewer
                entry.update(
                    assignment=assignment.id,
                    reviewer={
                        "id": reviewer.id,
                        "name": reviewer.name,
                        "email": reviewer.email,
                        "affiliation": reviewer.provider_id,
                    },
                    extra=assignment.extra,
                    version=review.number,
                    versions=len(assignment.reviews),
                    submitted_at=review.submitted_at.isoformat(),
                    competing_interests=assignment.competing_interests,
                )
            answer.append(entry)
    return answer
