"""Reviewer assignment: competing interests, derived status, manual and min-cost-flow assignment."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, object_session, selectinload

from registry.audit.services import record_event
from registry.auth.models import User, UserRole
from registry.db import utcnow
from registry.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationError
from registry.review.models import (
    Assignment,
    ConflictDeclaration,
    Review,
    RubricVersion,
    Submission,
)
from registry.review.workflow import IN_REVIEW

if TYPE_CHECKING:
    from registry.credentials.models import Credential
    from registry.providers.models import Provider

# Derived assignment statuses (REVIEW.md "Assignment"); none of them is ever stored.
AWAITING, OVERDUE, ACCEPTED, SUBMITTED, DECLINED, CANCELLED = (
    "awaiting",
    "overdue",
    "accepted",
    "submitted",
    "declined",
    "cancelled",
)
STATUSES = (AWAITING, OVERDUE, ACCEPTED, SUBMITTED, DECLINED, CANCELLED)
# Statuses in which the reviewer still owes something.
OPEN_STATUSES = frozenset({AWAITING, OVERDUE, ACCEPTED})
DEFAULT_REVIEWERS = 3

# Costs of the flow, in load units: one more open assignment costs LOAD_UNIT more than the last
# one did (convex, so work spreads out); a reviewer who covers none of the credential's subjects
# costs EXPERTISE_WEIGHT more than one who covers them all, so an expert is preferred until they
# carry three more open reviews than the non-expert.
LOAD_UNIT = 4
EXPERTISE_WEIGHT = 3 * LOAD_UNIT
# A reviewer of the previous round knows the file: worth as much as full expertise.
CONTINUITY_WEIGHT = EXPERTISE_WEIGHT


@dataclass(frozen=True)
class AssignmentPolicy:
    """Due dates of a new assignment (days after it is made) and the site's address for mail."""

    response_days: int = 7
    review_days: int = 21
    base_url: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AssignmentPolicy:
        return cls(
            response_days=int(config.get("REVIEW_RESPONSE_DAYS", cls.response_days)),
            review_days=int(config.get("REVIEW_DUE_DAYS", cls.review_days)),
            base_url=str(config.get("BASE_URL", "")),
        )


def today_utc() -> dt.date:
    return utcnow().date()


# Status ------------------------------------------------------------------------------------


def assignment_status(assignment: Any, today: dt.date) -> str:
    """The status of an assignment on `today`, derived from its dates and flags.

    An assignment without a review whose round is over (the submission left review, or a new
    round began) counts as cancelled: nothing more is expected of the reviewer. A due date is
    met on the day itself; the day after, the assignment is overdue.
    """
    if assignment.cancelled_at is not None:
        return CANCELLED
    if assignment.declined_at is not None:
        return DECLINED
    if assignment.reviews:
        return SUBMITTED
    submission = assignment.submission
    if submission.state != IN_REVIEW or submission.round != assignment.round:
        return CANCELLED
    if assignment.accepted_at is not None:
        return OVERDUE if today > assignment.review_due else ACCEPTED
    return OVERDUE if today > assignment.response_due else AWAITING


def is_live(assignment: Assignment) -> bool:
    """Neither declined nor cancelled: the reviewer counts towards the round."""
    return assignment.declined_at is None and assignment.cancelled_at is None


# Competing interests -----------------------------------------------------------------------


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def _domain_matches(domain: str, provider_domains: Iterable[str]) -> str | None:
    """The provider's domain that `domain` is, or is a subdomain of (staff.uni.ie of uni.ie)."""
    for candidate in provider_domains:
        candidate = candidate.strip().lower().lstrip("@")
        if candidate and (domain == candidate or domain.endswith("." + candidate)):
            return candidate
    return None


def conflicts_with(reviewer: User, provider: Provider, *, declared: bool) -> list[str]:
    """Why `reviewer` may not review `provider`'s work ([] when they may)."""
    reasons = []
    if reviewer.provider_id == provider.id:
        reasons.append(f"belongs to {provider.name}")
    if declared:
        reasons.append(f"declared a competing interest with {provider.name}")
    domain = email_domain(reviewer.email)
    if (matched := _domain_matches(domain, provider.email_domains or ())) is not None:
        reasons.append(f"email domain {domain} is {provider.name}'s ({matched})")
    return reasons


def conflict_reasons(session: Session, reviewer: User, credential: Credential) -> list[str]:
    """Why `reviewer` may not review `credential` (same provider, declared, email domain)."""
    declared = session.scalar(
        select(
            exists().where(
                ConflictDeclaration.reviewer_id == reviewer.id,
                ConflictDeclaration.provider_id == credential.provider_id,
            )
        )
    )
    return conflicts_with(reviewer, credential.provider, declared=bool(declared))


def _declared_pairs(session: Session) -> set[tuple[int, str]]:
    rows = session.execute(select(ConflictDeclaration.reviewer_id, ConflictDeclaration.provider_id))
    return {(reviewer_id, provider_id) for reviewer_id, provider_id in rows}


def declare_conflict(
    session: Session, reviewer: User, provider_id: str, reason: str, *, actor: User
) -> ConflictDeclaration:
    """Record that `reviewer` has a competing interest with a provider (never assigned its work).

    Open assignments of that provider's submissions are left for the coordinator to cancel:
    the reviewer has already been told about them and may decline them.
    """
    from registry.providers.models import Provider

    provider = session.get(Provider, provider_id) if provider_id else None
    problems = []
    if provider is None:
        problems.append(FieldError("provider", "choose a provider"))
    if not (reason or "").strip():
        problems.append(FieldError("reason", "say what the interest is"))
    if problems:
        raise ValidationError(problems)
    assert provider is not None
    existing = session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.reviewer_id == reviewer.id,
            ConflictDeclaration.provider_id == provider.id,
        )
    )
    if existing is not None:
        raise ValidationError(
            FieldError("provider", f"you have already declared an interest with {provider.name}")
        )
    declaration = ConflictDeclaration(
        reviewer_id=reviewer.id, provider_id=provider.id, reason=reason.strip()
    )
    session.add(declaration)
    session.flush()
    record_event(
        session,
        "conflict.declare",
        "user",
        str(reviewer.id),
        actor=actor,
        actor_role="reviewer",
        after={"provider": provider.id, "reason": declaration.reason},
    )
    return declaration


def withdraw_conflict(session: Session, declaration: ConflictDeclaration, *, actor: User) -> None:
    """Remove a declaration the reviewer made (only they may)."""
    if declaration.reviewer_id != actor.id:
        raise NotFound("no such declaration")
    record_event(
        session,
        "conflict.withdraw",
        "user",
        str(declaration.reviewer_id),
        actor=actor,
        actor_role="reviewer",
        before={"provider": declaration.provider_id, "reason": declaration.reason},
    )
    session.delete(declaration)
    session.flush()


# The plan: a pure minimum-cost flow ---------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """Places a submission still has for reviewers, and who may fill them."""

    submission_id: int
    places: int
    subjects: tuple[str, ...] = ()
    # No live reviewer of the round is external yet: the plan fills one place with one.
    needs_external: bool = False
    eligible: frozenset[int] = frozenset()  # reviewers without a conflict, not yet asked
    previous: frozenset[int] = frozenset()  # reviewers of an earlier round (they know the file)


@dataclass(frozen=True)
class Candidate:
    """A reviewer as the plan sees them."""

    reviewer_id: int
    expertise: tuple[str, ...] = ()
    external: bool = True  # no provider affiliation
    open_load: int = 0


def covers(expertise: str, subject: str) -> bool:
    """ISCED-F codes nest by prefix: expertise in 061 covers subject 0613, and the reverse."""
    expertise, subject = expertise.strip().lower(), subject.strip().lower()
    return bool(expertise and subject) and (
        subject.startswith(expertise) or expertise.startswith(subject)
    )


def expertise_overlap(expertise: Sequence[str], subjects: Sequence[str]) -> int:
    """How many of the credential's subjects the reviewer's expertise covers."""
    return sum(any(covers(e, s) for e in expertise) for s in subjects)


def pair_cost(opening: Opening, candidate: Candidate) -> int:
    """The cost of one reviewer for one submission: lower with more of its subjects covered,
    and lowest for a reviewer of its earlier round, who already knows the file."""
    if candidate.reviewer_id in opening.previous:
        return 0
    cost = CONTINUITY_WEIGHT if opening.previous else 0
    if opening.subjects:
        covered = expertise_overlap(candidate.expertise, opening.subjects)
        cost += EXPERTISE_WEIGHT * (len(opening.subjects) - covered) // len(opening.subjects)
    return cost


def plan_assignments(
    openings: Iterable[Opening], candidates: Iterable[Candidate]
) -> list[tuple[int, int]]:
    """Who reviews what, as sorted (submission id, reviewer id) pairs: a minimum-cost flow.

    source -> submission (capacity: its open places) -> reviewer (capacity 1: once per
    submission; cost: expertise) -> sink over parallel unit edges, the k-th costing more with the
    reviewer's open load plus k (convex, so loads even out). A submission that still lacks an
    external reviewer also has a one-unit side door reaching only external reviewers, with a
    reward that outweighs every other cost, so one place goes to an external reviewer whenever
    one is eligible. Every place that can be filled is; among such plans the cheapest wins, and
    the lower reviewer id wins an exact tie. Nodes and edges go in sorted by id, so the same pool
    gives the same plan whatever order it came in.
    """
    openings = sorted((o for o in openings if o.places > 0), key=lambda o: o.submission_id)
    pool = {c.reviewer_id: c for c in candidates}
    reviewer_ids = sorted(pool)
    rank = {rid: index for index, rid in enumerate(reviewer_ids)}
    eligible = {
        o.submission_id: [rid for rid in sorted(o.eligible) if rid in pool] for o in openings
    }
    flow_bound = sum(min(o.places, len(eligible[o.submission_id])) for o in openings)
    if flow_bound == 0:
        return []
    slots = Counter(rid for o in openings for rid in eligible[o.submission_id])

    # Lexicographic costs in one integer: externals first, then load and expertise, then ids.
    most_load = max((pool[rid].open_load + slots[rid] for rid in pool), default=0)
    main_bound = flow_bound * (EXPERTISE_WEIGHT + CONTINUITY_WEIGHT + LOAD_UNIT * most_load) + 1
    tie_scale = flow_bound * max(len(reviewer_ids), 1) + 1
    external_reward = main_bound * tie_scale

    # Every place that can be filled is (a reviewer takes at most one place per submission
    # and has a load slot for each submission they may review), so the flow's size is known
    # and the cheapest flow of that size is the plan.
    graph = nx.MultiDiGraph()
    graph.add_node("source", demand=-flow_bound)
    door: dict[int, bool] = {}
    for opening in openings:
        sid = opening.submission_id
        submission = ("submission", sid)
        graph.add_edge("source", submission, capacity=opening.places, weight=0)
        door[sid] = opening.needs_external and any(pool[rid].external for rid in eligible[sid])
        if door[sid]:
            graph.add_edge(submission, ("external", sid), capacity=1, weight=0)
        for rid in eligible[sid]:
            cost = pair_cost(opening, pool[rid]) * tie_scale + rank[rid]
            if door[sid] and pool[rid].external:
                # A pair node, so the reviewer is reached by either door but counted once.
                pair = ("pair", sid, rid)
                graph.add_edge(submission, pair, capacity=1, weight=0)
                graph.add_edge(("external", sid), pair, capacity=1, weight=-external_reward)
                graph.add_edge(pair, ("reviewer", rid), capacity=1, weight=cost)
            else:
                graph.add_edge(submission, ("reviewer", rid), capacity=1, weight=cost)
    for rid in reviewer_ids:
        for k in range(slots[rid]):
            cost = LOAD_UNIT * (pool[rid].open_load + k) * tie_scale
            graph.add_edge(("reviewer", rid), "sink", capacity=1, weight=cost)
    graph.add_node("sink", demand=flow_bound)

    _, flow = nx.network_simplex(graph)

    def used(sid: int, rid: int) -> bool:
        if door[sid] and pool[rid].external:
            return flow[("pair", sid, rid)][("reviewer", rid)][0] == 1
        return flow[("submission", sid)][("reviewer", rid)][0] == 1

    return [
        (opening.submission_id, rid)
        for opening in openings
        for rid in eligible[opening.submission_id]
        if used(opening.submission_id, rid)
    ]


# Reading the database for the plan ----------------------------------------------------------


def pinned_version(submission: Submission) -> RubricVersion | None:
    """The rubric version the submission pinned, even when its relationship was loaded before
    the pinning UPDATE (the column is current, the loaded relationship may lag)."""
    version = submission.rubric_version
    if version is None and submission.rubric_version_id is not None:
        session = object_session(submission)
        version = session.get(RubricVersion, submission.rubric_version_id) if session else None
    return version


def reviewers_needed(submission: Submission) -> int:
    """The pinned rubric version's reviewers per submission, plus a live extra reviewer."""
    version = pinned_version(submission)
    base = version.reviewers_per_submission if version is not None else DEFAULT_REVIEWERS
    extra = any(
        a.extra and is_live(a) for a in submission.assignments if a.round == submission.round
    )
    return base + int(extra)


def round_assignments(submission: Submission) -> list[Assignment]:
    return [a for a in submission.assignments if a.round == submission.round]


def places_open(submission: Submission) -> int:
    """How many more reviewers the submission's current round needs."""
    if submission.state != IN_REVIEW:
        return 0
    live = [a for a in round_assignments(submission) if is_live(a)]
    return max(reviewers_needed(submission) - len(live), 0)


def active_reviewers(session: Session) -> list[User]:
    """Every active user with the reviewer role, by id."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "reviewer", User.active.is_(True))
            .order_by(User.id)
        )
    )


def is_reviewer(user: User) -> bool:
    return user.active and user.has_role("reviewer")


def open_loads(session: Session) -> dict[int, int]:
    """Per reviewer, the assignments still owed: live, unreviewed, of a round in review."""
    rows = session.execute(
        select(Assignment.reviewer_id, func.count())
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(
            Submission.state == IN_REVIEW,
            Assignment.round == Submission.round,
            Assignment.declined_at.is_(None),
            Assignment.cancelled_at.is_(None),
            ~exists().where(Review.assignment_id == Assignment.id),
        )
        .group_by(Assignment.reviewer_id)
    )
    return {reviewer_id: count for reviewer_id, count in rows}


def _candidate(reviewer: User, loads: Mapping[int, int]) -> Candidate:
    return Candidate(
        reviewer_id=reviewer.id,
        expertise=tuple(reviewer.expertise or ()),
        external=reviewer.provider_id is None,
        open_load=loads.get(reviewer.id, 0),
    )


def _opening(
    submission: Submission,
    reviewers: Sequence[User],
    declared: set[tuple[int, str]],
    *,
    places: int,
    needs_external: bool,
) -> Opening:
    credential = submission.credential
    asked = {a.reviewer_id for a in round_assignments(submission)}
    eligible = frozenset(
        r.id
        for r in reviewers
        if r.id not in asked
        and not conflicts_with(
            r, credential.provider, declared=(r.id, credential.provider_id) in declared
        )
    )
    previous = frozenset(
        a.reviewer_id for a in submission.assignments if a.round < submission.round and a.reviews
    )
    return Opening(
        submission_id=submission.id,
        places=places,
        subjects=tuple(submission.version.subjects or ()),
        needs_external=needs_external,
        eligible=eligible,
        previous=previous,
    )


def lacks_external(submission: Submission) -> bool:
    """No live reviewer of the current round is external (without a provider affiliation)."""
    return not any(
        is_live(a) and a.reviewer.provider_id is None for a in round_assignments(submission)
    )


def waiting_submissions(session: Session) -> list[Submission]:
    """Submissions in review whose current round still needs reviewers, by id."""
    submissions = session.scalars(
        select(Submission)
        .where(Submission.state == IN_REVIEW)
        .options(selectinload(Submission.assignments).selectinload(Assignment.reviews))
        .order_by(Submission.id)
    )
    return [s for s in submissions if places_open(s) > 0]


# Making assignments -------------------------------------------------------------------------


def coordinates(user: Any, credential: Credential) -> bool:
    """Coordinators handle every provider's credentials but those of a provider they belong to."""
    from registry.auth.permissions import has_permission

    return has_permission(user, "review:coordinate") and user.provider_id != credential.provider_id


def _create(
    session: Session,
    submission: Submission,
    reviewer: User,
    *,
    actor: User | None,
    automatic: bool,
    extra: bool,
    today: dt.date,
    policy: AssignmentPolicy,
    reason: str | None = None,
) -> Assignment:
    from registry.review.outbox import queue_notice

    assignment = Assignment(
        submission=submission,
        round=submission.round,
        reviewer=reviewer,
        assigned_by_id=actor.id if actor is not None else None,
        automatic=automatic,
        extra=extra,
        response_due=today + dt.timedelta(days=policy.response_days),
        review_due=today + dt.timedelta(days=policy.review_days),
    )
    session.add(assignment)
    session.flush()
    record_event(
        session,
        "assignment.create",
        "submission",
        str(submission.id),
        actor=actor,
        actor_role=None if actor is not None else "system",
        after={
            "assignment": assignment.id,
            "reviewer": reviewer.id,
            "round": assignment.round,
            "automatic": automatic,
            "extra": extra,
            "response_due": assignment.response_due.isoformat(),
            "review_due": assignment.review_due.isoformat(),
        },
        reason=reason,
    )
    title = submission.version.title
    queue_notice(
        session,
        "review.request",
        reviewer,
        f"Review request: {title}",
        (
            f"Dear {reviewer.name},\n\n"
            f"The QA office asks you to review {title!r} from "
            f"{submission.credential.provider.name} against the registry's rubric.\n\n"
            f"Please accept (declaring any competing interests) or decline by "
            f"{assignment.response_due:%d %B %Y}. The review is due by "
            f"{assignment.review_due:%d %B %Y}.\n\n"
            f"Your review queue: {policy.base_url.rstrip('/')}/reviews/\n\n"
            "-- The credential registry QA office\n"
        ),
    )
    return assignment


def assign_reviewers(
    session: Session,
    submission: Submission,
    reviewers: Sequence[User | None],
    *,
    actor: User,
    today: dt.date | None = None,
    policy: AssignmentPolicy | None = None,
    labels: Sequence[str] | None = None,
) -> list[Assignment]:
    """Assign these reviewers to the submission's current round; all or none.

    Refuses (ValidationError, one error per reviewer, nothing changes) a missing or inactive
    reviewer, someone who is not a reviewer, a reviewer with a competing interest, and one
    already asked in this round. `labels` name the reviewers in the errors (e.g. the emails
    the caller sent, for an unknown one passed as None).
    """
    if submission.state != IN_REVIEW:
        raise Conflict(
            f"reviewers are assigned while a submission is in review; this one is "
            f"{submission.state.replace('_', ' ')}"
        )
    if not coordinates(actor, submission.credential):
        raise PermissionDenied(
            "Coordinators assign reviewers, and never for a provider they belong to."
        )
    labels = list(labels) if labels is not None else [getattr(r, "email", "") for r in reviewers]
    if not reviewers:
        raise ValidationError(FieldError("reviewers", "name at least one reviewer"))
    asked = {a.reviewer_id: a for a in round_assignments(submission)}
    problems, seen = [], set()
    for index, (reviewer, label) in enumerate(zip(reviewers, labels, strict=True)):
        where = f"reviewers[{index}]"
        if reviewer is None:
            problems.append(FieldError(where, f"{label}: no such user"))
        elif not is_reviewer(reviewer):
            problems.append(FieldError(where, f"{label} is not an active reviewer"))
        elif reviewer.id in seen:
            problems.append(FieldError(where, f"{label} is named twice"))
        elif reviewer.id in asked:
            earlier = assignment_status(asked[reviewer.id], today or today_utc())
            problems.append(
                FieldError(where, f"{label} is already asked in this round ({earlier})")
            )
        elif reasons := conflict_reasons(session, reviewer, submission.credential):
            problems.append(
                FieldError(where, f"{label} has a competing interest: {'; '.join(reasons)}")
            )
        if reviewer is not None:
            seen.add(reviewer.id)
    if problems:
        raise ValidationError(problems)
    policy = policy or AssignmentPolicy()
    today = today or today_utc()
    return [
        _create(
            session,
            submission,
            reviewer,
            actor=actor,
            automatic=False,
            extra=False,
            today=today,
            policy=policy,
        )
        for reviewer in reviewers
        if reviewer is not None
    ]


@dataclass
class AutoAssignResult:
    """What an automatic run made, and the submissions it could not fill."""

    assignments: list[Assignment] = field(default_factory=list)
    unfilled: dict[int, int] = field(default_factory=dict)  # submission id -> places left
    skipped: list[int] = field(default_factory=list)  # the actor's own provider's submissions


def auto_assign(
    session: Session,
    *,
    actor: User | None,
    today: dt.date | None = None,
    policy: AssignmentPolicy | None = None,
    submissions: Sequence[Submission] | None = None,
) -> list[Assignment]:
    """Fill every open place of every waiting submission at once (see `plan_assignments`)."""
    return auto_assign_report(
        session, actor=actor, today=today, policy=policy, submissions=submissions
    ).assignments


def auto_assign_report(
    session: Session,
    *,
    actor: User | None,
    today: dt.date | None = None,
    policy: AssignmentPolicy | None = None,
    submissions: Sequence[Submission] | None = None,
) -> AutoAssignResult:
    """`auto_assign` with what it could not do: places left open, submissions skipped.

    A coordinator's run leaves out the submissions of a provider they belong to.
    """
    result = AutoAssignResult()
    waiting = (
        waiting_submissions(session)
        if submissions is None
        else sorted((s for s in submissions if places_open(s) > 0), key=lambda s: s.id)
    )
    if actor is not None:
        result.skipped = [s.id for s in waiting if not coordinates(actor, s.credential)]
        waiting = [s for s in waiting if s.id not in set(result.skipped)]
    if not waiting:
        return result
    reviewers = active_reviewers(session)
    declared = _declared_pairs(session)
    loads = open_loads(session)
    openings = [
        _opening(
            s,
            reviewers,
            declared,
            places=places_open(s),
            needs_external=lacks_external(s),
        )
        for s in waiting
    ]
    plan = plan_assignments(openings, [_candidate(r, loads) for r in reviewers])
    by_id = {r.id: r for r in reviewers}
    submissions_by_id = {s.id: s for s in waiting}
    policy = policy or AssignmentPolicy()
    today = today or today_utc()
    for sid, rid in plan:
        result.assignments.append(
            _create(
                session,
                submissions_by_id[sid],
                by_id[rid],
                actor=actor,
                automatic=True,
                extra=False,
                today=today,
                policy=policy,
            )
        )
    for submission in waiting:
        if (left := places_open(submission)) > 0:
            result.unfilled[submission.id] = left
    return result


def add_extra_reviewer(
    session: Session,
    submission: Submission,
    *,
    reason: str,
    today: dt.date | None = None,
    policy: AssignmentPolicy | None = None,
) -> Assignment | None:
    """One more reviewer for a round whose reviews disagree; at most one per round.

    Chosen by the same flow as every other assignment; None when the round already had its
    extra reviewer or nobody eligible is left.
    """
    if submission.state != IN_REVIEW or any(a.extra for a in round_assignments(submission)):
        return None
    reviewers = active_reviewers(session)
    opening = _opening(
        submission, reviewers, _declared_pairs(session), places=1, needs_external=False
    )
    loads = open_loads(session)
    plan = plan_assignments([opening], [_candidate(r, loads) for r in reviewers])
    if not plan:
        return None
    (_, rid), by_id = plan[0], {r.id: r for r in reviewers}
    return _create(
        session,
        submission,
        by_id[rid],
        actor=None,
        automatic=True,
        extra=True,
        today=today or today_utc(),
        policy=policy or AssignmentPolicy(),
        reason=reason,
    )


def cancel_assignment(
    session: Session, assignment: Assignment, reason: str, *, actor: User
) -> Assignment:
    """Withdraw a request from a reviewer who has not submitted; their place opens again
    (the place of a cancelled extra reviewer closes, which may complete the round)."""
    if not coordinates(actor, assignment.submission.credential):
        raise PermissionDenied(
            "Coordinators cancel assignments, and never for a provider they belong to."
        )
    status = assignment_status(assignment, today_utc())
    if status not in OPEN_STATUSES:
        raise Conflict(f"this assignment is {status}; only an open one can be cancelled")
    if not (reason or "").strip():
        raise ValidationError(FieldError("reason", "a reason is required"))
    assignment.cancelled_at = utcnow()
    session.flush()
    record_event(
        session,
        "assignment.cancel",
        "submission",
        str(assignment.submission_id),
        actor=actor,
        from_state=status,
        to_state=CANCELLED,
        after={"assignment": assignment.id, "reviewer": assignment.reviewer_id},
        reason=reason.strip(),
    )
    # Cancelling the extra reviewer of a disagreement may leave the round complete.
    from registry.review.reviews import settle_round

    settle_round(session, assignment.submission)
    return assignment


# Suggestions for the coordinator's page ------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A reviewer as the coordinator sees them for one submission."""

    reviewer: User
    conflicts: list[str]
    overlap: int
    open_load: int
    suggested: bool  # the flow would pick them for this submission now
    asked: str | None  # their status in this round if already asked


def suggest_reviewers(
    session: Session, submission: Submission, today: dt.date | None = None
) -> list[Suggestion]:
    """Every active reviewer for this submission: the flow's picks first, conflicts last."""
    today = today or today_utc()
    reviewers = active_reviewers(session)
    declared = _declared_pairs(session)
    loads = open_loads(session)
    places = places_open(submission)
    picks: set[int] = set()
    if places:
        opening = _opening(
            submission,
            reviewers,
            declared,
            places=places,
            needs_external=lacks_external(submission),
        )
        plan = plan_assignments([opening], [_candidate(r, loads) for r in reviewers])
        picks = {rid for _, rid in plan}
    asked = {a.reviewer_id: a for a in round_assignments(submission)}
    provider = submission.credential.provider
    subjects = submission.version.subjects or []
    rows = [
        Suggestion(
            reviewer=r,
            conflicts=conflicts_with(r, provider, declared=(r.id, provider.id) in declared),
            overlap=expertise_overlap(r.expertise or [], subjects),
            open_load=loads.get(r.id, 0),
            suggested=r.id in picks,
            asked=assignment_status(asked[r.id], today) if r.id in asked else None,
        )
        for r in reviewers
    ]
    return sorted(
        rows,
        key=lambda s: (
            not s.suggested,
            s.asked is not None,
            bool(s.conflicts),
            -s.overlap,
            s.open_load,
            s.reviewer.id,
        ),
    )
