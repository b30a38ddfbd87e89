"""The reviewer's side: accept or decline an assignment, score it, and close the round at quorum."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.audit.services import record_event
from registry.auth.models import User
from registry.db import utcnow
from registry.errors import Conflict, FieldError, NotFound, ValidationError
from registry.review.assignment import (
    ACCEPTED,
    AWAITING,
    OPEN_STATUSES,
    OVERDUE,
    SUBMITTED,
    AssignmentPolicy,
    add_extra_reviewer,
    assignment_status,
    is_live,
    pinned_version,
    reviewers_needed,
    round_assignments,
    today_utc,
)
from registry.review.models import Assignment, Review, RubricVersion, Submission
from registry.review.workflow import DECISION_PENDING, IN_REVIEW

RECOMMENDATIONS = ("approve", "revise", "reject")
CONFIDENCE_RANGE = range(1, 6)
NONE_DECLARED = "none"
# A submitted review may be revised until the coordinator decides.
REVISABLE_STATES = frozenset({IN_REVIEW, DECISION_PENDING})


def get_own_assignment(session: Session, assignment_id: int, reviewer: Any) -> Assignment:
    """The reviewer's own assignment; anyone else's does not exist for them (404)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or not getattr(reviewer, "is_authenticated", False):
        raise NotFound("no such assignment")
    if assignment.reviewer_id != reviewer.id:
        raise NotFound("no such assignment")
    return assignment


def reviewer_queue(session: Session, reviewer: User, today: dt.date | None = None) -> list[Any]:
    """The reviewer's assignments, the ones still owed first, then by due date, then newest."""
    today = today or today_utc()
    assignments = session.scalars(
        select(Assignment)
        .where(Assignment.reviewer_id == reviewer.id)
        .options(selectinload(Assignment.reviews), selectinload(Assignment.submission))
        .order_by(Assignment.id.desc())
    ).all()
    order = {OVERDUE: 0, AWAITING: 1, ACCEPTED: 2}

    def key(a: Assignment) -> tuple[int, dt.date, int]:
        status = assignment_status(a, today)
        due = a.response_due if a.accepted_at is None else a.review_due
        owed = status in OPEN_STATUSES
        return (order.get(status, 9), due if owed else dt.date.max, -a.id)

    return sorted(assignments, key=key)


def _refuse_unless(assignment: Assignment, actor: User, allowed: set[str], doing: str) -> str:
    if actor is None or assignment.reviewer_id != actor.id:
        raise NotFound("no such assignment")
    status = assignment_status(assignment, today_utc())
    if status not in allowed:
        raise Conflict(f"cannot {doing} an assignment that is {status}")
    return status


def accept_assignment(
    session: Session, assignment: Assignment, competing_interests: Any, *, actor: User
) -> Assignment:
    """Accept, with an explicit competing-interest answer: "none" is an answer, silence is not.

    Any other text is a declared interest, kept with the assignment for the coordinator.
    """
    status = _refuse_unless(assignment, actor, {AWAITING, OVERDUE}, "accept")
    if assignment.accepted_at is not None:
        raise Conflict("this assignment is already accepted")
    answer = competing_interests.strip() if isinstance(competing_interests, str) else ""
    if not answer:
        raise ValidationError(
            FieldError(
                "competing_interests",
                'answer explicitly: "none", or describe the competing interest',
            )
        )
    if answer.lower() in {"none", "no", "none.", "n/a"}:
        answer = NONE_DECLARED
    assignment.accepted_at = utcnow()
    assignment.competing_interests = answer
    session.flush()
    record_event(
        session,
        "assignment.accept",
        "submission",
        str(assignment.submission_id),
        actor=actor,
        actor_role="reviewer",
        from_state=status,
        to_state=assignment_status(assignment, today_utc()),
        after={"assignment": assignment.id, "competing_interests": answer},
    )
    return assignment


def decline_assignment(
    session: Session,
    assignment: Assignment,
    reason: str | None = None,
    *,
    actor: User,
    policy: AssignmentPolicy | None = None,
) -> Assignment:
    """Decline (before or after accepting, never after submitting); the place opens again."""
    if reason is not None and not isinstance(reason, str):
        raise ValidationError(FieldError("reason", "must be text"))
    status = _refuse_unless(assignment, actor, set(OPEN_STATUSES), "decline")
    assignment.declined_at = utcnow()
    assignment.decline_reason = (reason or "").strip() or None
    session.flush()
    record_event(
        session,
        "assignment.decline",
        "submission",
        str(assignment.submission_id),
        actor=actor,
        actor_role="reviewer",
        from_state=status,
        to_state="declined",
        after={"assignment": assignment.id},
        reason=assignment.decline_reason,
    )
    # The extra reviewer of a disagreement declining may leave the round complete.
    settle_round(session, assignment.submission, policy=policy)
    return assignment


def review_problems(
    version: RubricVersion,
    scores: Any,
    comments: Any,
    recommendation: Any,
    confidence: Any,
) -> list[FieldError]:
    """Every problem with a review against the pinned rubric version, each with its field."""
    problems: list[FieldError] = []
    levels = {int(level["value"]): level.get("label", "") for level in version.levels}
    codes = [c.code for c in version.criteria]
    if not isinstance(scores, Mapping):
        problems.append(FieldError("scores", "map every criterion code to a level"))
    if comments is None:
        comments = {}
    if not isinstance(comments, Mapping):
        problems.append(FieldError("comments", "must map criterion codes to text"))
        comments = {}
    scale = ", ".join(f"{value} {label}".strip() for value, label in sorted(levels.items()))
    for criterion in version.criteria if isinstance(scores, Mapping) else ():
        code = criterion.code
        level = scores.get(code)
        if level is None or level == "":
            problems.append(FieldError(f"scores.{code}", "choose a level"))
            continue
        if isinstance(level, bool) or not isinstance(level, int) or level not in levels:
            problems.append(FieldError(f"scores.{code}", f"choose one of the levels ({scale})"))
            continue
        comment = comments.get(code)
        if comment is not None and not isinstance(comment, str):
            problems.append(FieldError(f"comments.{code}", "must be text"))
        elif level < version.met_level and not (comment or "").strip():
            problems.append(
                FieldError(f"comments.{code}", "explain what is missing: this level is below met")
            )
    for code in sorted(set(scores if isinstance(scores, Mapping) else ()) - set(codes)):
        problems.append(
            FieldError(f"scores.{code}", f"is not a criterion of rubric version {version.number}")
        )
    for code in sorted(set(comments) - set(codes)):
        problems.append(
            FieldError(f"comments.{code}", f"is not a criterion of rubric version {version.number}")
        )
    if recommendation not in RECOMMENDATIONS:
        problems.append(FieldError("recommendation", f"choose one of {', '.join(RECOMMENDATIONS)}"))
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int)
        or confidence not in CONFIDENCE_RANGE
    ):
        problems.append(FieldError("confidence", "a whole number from 1 to 5"))
    return problems


def submit_review(
    session: Session,
    assignment: Assignment,
    scores: Any,
    comments: Any,
    recommendation: Any,
    confidence: Any,
    *,
    actor: User,
    policy: AssignmentPolicy | None = None,
) -> Review:
    """Store a review of every criterion of the pinned rubric; a second one is a new version.

    Refuses everything wrong at once (ValidationError) and changes nothing. The first review of
    an assignment may close the round: a disagreement adds one extra reviewer (once per round),
    and when enough reviews are in the submission moves on to its decision.
    """
    allowed = {ACCEPTED, OVERDUE, SUBMITTED} if assignment.accepted_at else {AWAITING}
    status = _refuse_unless(assignment, actor, allowed, "review")
    if assignment.accepted_at is None:
        raise Conflict("accept the assignment (declaring any competing interests) first")
    submission = assignment.submission
    if submission.round != assignment.round or (
        submission.state not in (REVISABLE_STATES if status == SUBMITTED else {IN_REVIEW})
    ):
        raise Conflict(
            f"this round is over: the submission is {submission.state.replace('_', ' ')}"
        )
    version = pinned_version(submission)
    if version is None:
        raise Conflict("the submission has no rubric version to review against")
    problems = review_problems(version, scores, comments, recommendation, confidence)
    if problems:
        raise ValidationError(problems)
    codes = [c.code for c in version.criteria]
    review = Review(
        assignment=assignment,
        number=len(assignment.reviews) + 1,
        scores={code: int(scores[code]) for code in codes},
        comments={
            code: text.strip()
            for code in codes
            if (text := (comments or {}).get(code) or "").strip()
        },
        recommendation=recommendation,
        confidence=confidence,
    )
    session.add(review)
    session.flush()
    record_event(
        session,
        "review.revise" if review.number > 1 else "review.submit",
        "submission",
        str(submission.id),
        actor=actor,
        actor_role="reviewer",
        from_state=status,
        to_state=SUBMITTED,
        after={"assignment": assignment.id, "review": review.id, "number": review.number},
    )
    if review.number == 1:
        settle_round(session, submission, policy=policy)
    return review


def submitted_in_round(submission: Submission) -> list[Assignment]:
    """Live assignments of the current round that have a review."""
    return [a for a in round_assignments(submission) if is_live(a) and a.reviews]


def quorum_reached(submission: Submission) -> bool:
    return len(submitted_in_round(submission)) >= reviewers_needed(submission)


def settle_round(
    session: Session,
    submission: Submission,
    *,
    policy: AssignmentPolicy | None = None,
    today: dt.date | None = None,
) -> str | None:
    """After a review or a decline: ask an extra reviewer on disagreement, or close the round.

    Returns "extra" when an extra reviewer was asked, "complete" when the submission moved on
    to its decision, None when the round still waits.
    """
    if submission.state != IN_REVIEW:
        return None
    done = submitted_in_round(submission)
    has_extra = any(a.extra for a in round_assignments(submission))
    if len(done) >= 2 and not has_extra:
        from registry.review.rubrics import submission_aggregate

        flags = submission_aggregate(session, submission).flags
        if flags and add_extra_reviewer(
            session, submission, reason="; ".join(flags), today=today, policy=policy
        ):
            return "extra"
    if not quorum_reached(submission):
        return None
    from registry.review.services import take_action

    take_action(
        session,
        submission,
        "complete_reviews",
        actor=None,
        system=True,
        facts={"quorum": True},
        base_url=(policy or AssignmentPolicy()).base_url,
    )
    return "complete"


def latest_review(assignment: Assignment) -> Review | None:
    return assignment.reviews[-1] if assignment.reviews else None
