"""Submissions: the mandatory-element check, submit, and the one way a submission changes state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.audit.services import record_event
from registry.auth.models import User, UserRole
from registry.credentials.catalogue import bump_revision
from registry.credentials.models import Credential, CredentialVersion, Status
from registry.db import utcnow
from registry.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationError
from registry.review import workflow
from registry.review.assignment import assignment_status
from registry.review.models import Assignment, Review, Submission
from registry.review.outbox import queue_notice
from registry.review.rubrics import current_rubric_version, freeze, submission_aggregate
from registry.review.visibility import visible_reviews

# REVIEW.md "Mandatory elements": (field, how a person names it), in the order of the page.
MANDATORY_ELEMENTS = (
    ("title", "title"),
    ("provider", "awarding provider"),
    ("country", "country"),
    ("learning_outcomes", "learning outcomes"),
    ("credits", "notional workload (credits)"),
    ("credit_unit", "notional workload (credit unit)"),
    ("level", "level (EQF/NQF)"),
    ("assessment_type", "type of assessment"),
    ("participation_form", "form of participation"),
    ("quality_assurance", "type of quality assurance"),
    ("languages", "language(s)"),
    ("subjects", "subject(s)"),
)
ELEMENT_LABELS = dict(MANDATORY_ELEMENTS)

# The decisions: they record who decided, when and why on the submission itself.
DECISIONS = frozenset(
    {
        "approve",
        "reject",
        "request_revisions",
        "desk_reject",
        "return_incomplete",
        "expire_revisions",
    }
)
# Decisions taken on the reviews: the computed recommendation is stored with them.
REVIEWED_DECISIONS = frozenset({"approve", "reject", "request_revisions"})
# A submission whose version a newer approved one replaced; no action leads out of it.
SUPERSEDED = Status.SUPERSEDED.value
# Where a published version can be suspended or retired from: learners see it.
LIVE_STATES = frozenset({workflow.PUBLISHED, workflow.SUSPENDED})
# Who hears of each transition besides the provider's staff (REVIEW.md: QA coordinators
# act on new work and on what reviewers finish).
NOTIFY_COORDINATORS = frozenset(
    {"submit", "resubmit", "withdraw", "complete_reviews", "expire_revisions", "retire"}
)
ACTION_WORDS = {
    "submit": "was submitted for review",
    "send_to_review": "was sent to review",
    "return_incomplete": "was returned to draft as incomplete",
    "desk_reject": "was rejected at screening",
    "complete_reviews": "has its reviews and awaits a decision",
    "approve": "was approved and is published",
    "request_revisions": "needs revisions",
    "reject": "was rejected",
    "resubmit": "was resubmitted for a new review round",
    "expire_revisions": "was rejected: the revision deadline passed",
    "withdraw": "was withdrawn",
    "suspend": "was suspended",
    "reinstate": "was reinstated",
    "retire": "was retired",
}
# The event that opens the review record of a version published before review existed.
RECORD_EVENT = "submission.record"
ROLE_LABELS = {
    workflow.PROVIDER: "Provider",
    workflow.COORDINATOR: "QA coordinator",
    workflow.SYSTEM: "Registry",
    "reviewer": "A reviewer",
    "admin": "Administrator",
}


def today_utc() -> dt.date:
    return utcnow().date()


# --- who may do what ----------------------------------------------------------------------


def is_provider_staff(user: Any, credential: Credential) -> bool:
    """Staff of the credential's own provider (the people who write and submit it)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", True)
        and user.has_role("provider")
        and user.provider_id == credential.provider_id
    )


def is_affiliated(user: Any, credential: Credential) -> bool:
    """Whether the user belongs to the credential's provider (whatever their roles)."""
    return (
        user is not None
        and user.provider_id is not None
        and (user.provider_id == credential.provider_id)
    )


def workflow_roles(user: Any, credential: Credential) -> set[str]:
    """The workflow roles `user` holds for this credential.

    Provider staff of its provider are "provider"; coordinators are "coordinator" unless they
    belong to its provider: coordinators never decide on their own provider's credentials.
    Admins manage the registry; they take no part in the workflow.
    """
    roles: set[str] = set()
    if user is None or not getattr(user, "is_authenticated", True):
        return roles
    if is_provider_staff(user, credential):
        roles.add(workflow.PROVIDER)
    if user.has_role("coordinator") and not is_affiliated(user, credential):
        roles.add(workflow.COORDINATOR)
    return roles


def viewer_mode(session: Session, submission: Submission, user: Any) -> str | None:
    """How `user` sees a submission: "full" (coordinators, admins), "provider" (its
    provider's people: never a reviewer identity), "reviewer" (assigned to it), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    credential = submission.credential
    if is_affiliated(user, credential):
        # A coordinator or admin of the provider sees what the provider sees.
        return "provider" if user.has_role("provider") or _is_qa(user) else None
    if _is_qa(user):
        return "full"
    if user.has_role("reviewer") and _assigned(session, submission, user):
        return "reviewer"
    return None


def _is_qa(user: Any) -> bool:
    return user.has_role("coordinator") or user.has_role("admin")


def _assigned(session: Session, submission: Submission, user: Any) -> bool:
    return (
        session.scalar(
            select(Assignment.id)
            .where(Assignment.submission_id == submission.id, Assignment.reviewer_id == user.id)
            .limit(1)
        )
        is not None
    )


def allowed_actions(submission: Submission, user: Any) -> list[str]:
    """The actions `user` could take on the submission now (requirements aside)."""
    return workflow.allowed_actions(submission.state, workflow_roles(user, submission.credential))


# --- mandatory elements and submit --------------------------------------------------------


def missing_elements(version: CredentialVersion) -> list[str]:
    """The mandatory elements (REVIEW.md) the version lacks, as field names, in page order."""
    credential = version.credential
    provider = credential.provider if credential is not None else None
    present = {
        "title": bool((version.title or "").strip()),
        "provider": bool(credential is not None and credential.provider_id),
        "country": bool(provider is not None and provider.country),
        "learning_outcomes": any(str(o).strip() for o in version.learning_outcomes or ()),
        "credits": version.credits is not None and version.credits > 0,
        "credit_unit": bool(version.credit_unit),
        "level": version.level is not None,
        "assessment_type": bool((version.assessment_type or "").strip()),
        "participation_form": bool(version.participation_form),
        "quality_assurance": bool((version.quality_assurance or "").strip()),
        "languages": bool(version.languages),
        "subjects": bool(version.subjects),
    }
    return [name for name, _label in MANDATORY_ELEMENTS if not present[name]]


def missing_element_errors(missing: list[str]) -> list[FieldError]:
    return [
        FieldError(name, f"{ELEMENT_LABELS[name]} is required before review") for name in missing
    ]


def submission_for(session: Session, version: CredentialVersion | None) -> Submission | None:
    """The submission of one credential version, if it was ever submitted."""
    if version is None or version.id is None:
        return None
    return session.scalar(select(Submission).where(Submission.version_id == version.id))


def open_review_record(
    session: Session, credential: Credential, *, actor: User | None
) -> Submission:
    """The submission of the credential's published version, opened if it has none.

    A version published without review (a catalogue import) has no submission; this records
    one, in state published, so that it can be suspended or retired like any other. Only
    those who may act on a published credential open it: its provider's staff and the
    coordinators who may decide on it.
    """
    roles = workflow_roles(actor, credential)
    if not roles:
        raise PermissionDenied(
            "only the provider's staff and the coordinators who may decide on it open the "
            "review record of a published credential"
        )
    version = credential.published
    if version is None:
        raise Conflict(f"{credential.id!r} has no published version to suspend or retire")
    existing = submission_for(session, version)
    if existing is not None:
        return existing
    submission = Submission(
        credential=credential,
        version=version,
        state=workflow.PUBLISHED,
        round=1,
        lock_version=0,
        unmet_criteria=[],
    )
    session.add(submission)
    session.flush()
    record_event(
        session,
        RECORD_EVENT,
        "submission",
        str(submission.id),
        actor=actor,
        actor_role=sorted(roles)[0],
        to_state=workflow.PUBLISHED,
        after=submission_snapshot(submission),
        reason="published before review (a catalogue import): recorded so that it can be "
        "suspended or retired",
    )
    return submission


def submit_credential(
    session: Session, credential: Credential, *, actor: User | None, base_url: str = ""
) -> Submission:
    """Submit the credential's current version for review (provider staff of its provider).

    A version returned as incomplete goes back through its own submission; any other version
    gets a new one. A missing mandatory element is a ValidationError listing every one of
    them, and nothing changes.
    """
    version = credential.current
    if version is None:
        raise NotFound(f"{credential.id!r} has no version to submit")
    submission = submission_for(session, version)
    if submission is not None:
        return take_action(session, submission, "submit", actor=actor, base_url=base_url)
    # Checked before anything is created, so a refusal leaves no trace.
    _precheck(version.status, "submit", workflow_roles(actor, credential), credential)
    missing = missing_elements(version)
    if missing:
        raise ValidationError(
            missing_element_errors(missing), "the credential lacks mandatory elements"
        )
    submission = Submission(
        credential=credential,
        version=version,
        state=workflow.DRAFT,
        round=1,
        lock_version=0,
        submitted_by_id=actor.id if actor is not None else None,
        unmet_criteria=[],
    )
    session.add(submission)
    session.flush()
    return take_action(session, submission, "submit", actor=actor, base_url=base_url)


# --- the one way a submission changes state -----------------------------------------------


def check_action(
    submission: Submission, action: str, *, actor: User | None, system: bool = False
) -> workflow.Transition:
    """The transition `action` would take, or the refusal: NotFound for an unknown action,
    PermissionDenied when the actor's role may not take it, Conflict when the state does
    not allow it. Requirements are not looked at here (take_action does)."""
    roles = {workflow.SYSTEM} if system else workflow_roles(actor, submission.credential)
    state = submission.state
    _precheck(state, action, roles, submission.credential, actor=actor)
    return workflow.TABLE[action]


def take_action(
    session: Session,
    submission: Submission,
    action: str,
    *,
    actor: User | None,
    facts: Mapping[str, Any] | None = None,
    system: bool = False,
    base_url: str = "",
) -> Submission:
    """Apply one action of the decision table to the submission, or refuse and change nothing.

    `facts` carries what the actor said: `reason`, `deadline` (a date or YYYY-MM-DD),
    `unmet_criteria` (criterion codes of the pinned rubric version), `quorum` (system), and
    `today` (defaults to the UTC date). What the registry can work out itself (missing
    elements, the recommendation, whether the deadline passed) is never taken from `facts`.

    The state changes by one UPDATE guarded by the state and lock version read: of two
    simultaneous decisions one wins and the other is a Conflict. Then the side effects
    (rubric pinned, new round, publication), one audit event, and the notices (their links
    start with `base_url`).
    """
    facts = dict(facts or {})
    today = facts.get("today") or today_utc()
    credential = submission.credential
    roles = {workflow.SYSTEM} if system else workflow_roles(actor, credential)
    state, seen = submission.state, submission.lock_version
    _precheck(state, action, roles, credential, actor=actor)

    gathered, problems, extra = _gather_facts(session, submission, action, facts, today)
    try:
        outcome = workflow.apply(state, action, roles, gathered)
    except workflow.MissingRequirement as exc:
        problems = {**exc.problems, **problems}
    if problems:
        errors = [FieldError(f, m) for f, m in problems.items() if f != "missing_elements"]
        if "missing_elements" in problems:
            errors = missing_element_errors(missing_elements(submission.version)) + errors
        raise ValidationError(errors, f"cannot {action.replace('_', ' ')} yet")
    transition = outcome.transition
    role = sorted(transition.roles & roles)[0]
    before = submission_snapshot(submission)
    reason = str(facts.get("reason") or "").strip() or None

    values: dict[str, Any] = {"state": outcome.to_state}
    if transition.new_round:
        values["round"] = submission.round + 1
    if action == "submit":
        values["submitted_at"] = utcnow()
        values["submitted_by_id"] = actor.id if actor is not None else None
    if action == "send_to_review":
        values["rubric_version_id"] = extra["rubric"].id
    if action == "request_revisions":
        values["revision_deadline"] = extra["deadline"]
        values["unmet_criteria"] = extra["unmet_criteria"]
    if action in DECISIONS:
        values.update(
            decision=action,
            decision_reason=reason,
            decided_by_id=actor.id if actor is not None else None,
            decided_at=utcnow(),
        )
    if action in REVIEWED_DECISIONS:
        aggregate = extra.get("aggregate")
        values["recommendation"] = aggregate.as_dict() if aggregate is not None else None
    _guarded_update(session, submission, state, seen, values)

    _side_effects(session, submission, action, extra, actor=actor, role=role)
    record_event(
        session,
        transition.event,
        "submission",
        str(submission.id),
        actor=actor,
        actor_role=role,
        from_state=state,
        to_state=outcome.to_state,
        before=before,
        after=submission_snapshot(submission),
        reason=reason,
    )
    session.flush()
    _queue_notices(session, submission, action, actor=actor, reason=reason, base_url=base_url)
    return submission


def expire_overdue_revisions(session: Session, today: dt.date | None = None) -> int:
    """Reject every submission whose revision deadline has passed (a system action); how many.

    The deadline is the last day for the revisions: a submission expires the day after.
    """
    today = today or today_utc()
    overdue = session.scalars(
        select(Submission)
        .where(
            Submission.state == workflow.REVISIONS_REQUESTED,
            Submission.revision_deadline < today,
        )
        .order_by(Submission.id)
    ).all()
    expired = 0
    for submission in overdue:
        try:
            with session.begin_nested():
                take_action(
                    session,
                    submission,
                    "expire_revisions",
                    actor=None,
                    system=True,
                    facts={"today": today},
                )
        except Conflict:
            continue  # resubmitted or withdrawn at this very moment: nothing to expire
        expired += 1
    return expired


# --- the parts of take_action -------------------------------------------------------------


def _precheck(
    state: str, action: str, roles: set[str], credential: Credential, *, actor: Any = None
) -> None:
    """The refusals that come before any requirement: unknown action, role (403), state (409)."""
    try:
        workflow.apply(state, action, roles, {})
    except workflow.UnknownAction as exc:
        raise NotFound(f"no action {action!r}") from exc
    except workflow.RoleNotAllowed as exc:
        transition = workflow.TABLE[action]
        if (
            actor is not None
            and workflow.COORDINATOR in transition.roles
            and actor.has_role("coordinator")
            and is_affiliated(actor, credential)
        ):
            raise PermissionDenied(
                "coordinators never decide on a credential of a provider they belong to"
            ) from exc
        raise PermissionDenied(_role_message(transition)) from exc
    except workflow.InvalidTransition as exc:
        if state == SUPERSEDED:
            raise Conflict(
                f"cannot {action.replace('_', ' ')}: a newer approved version replaced this one"
            ) from exc
        raise Conflict(str(exc).replace("_", " ")) from exc
    except workflow.MissingRequirement:
        pass  # the role and the state allow it; take_action looks at the requirements


def _role_message(transition: workflow.Transition) -> str:
    who = {
        workflow.PROVIDER: "the staff of the credential's provider",
        workflow.COORDINATOR: "QA coordinators who do not belong to its provider",
        workflow.SYSTEM: "the registry itself",
    }
    names = " or ".join(who[r] for r in sorted(transition.roles))
    return f"only {names} may {transition.action.replace('_', ' ')} a submission"


def _gather_facts(
    session: Session,
    submission: Submission,
    action: str,
    facts: Mapping[str, Any],
    today: dt.date,
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The facts for workflow.apply, problems of the input itself, and values worked out."""
    reason = facts.get("reason")
    problems: dict[str, str] = {}
    if reason is not None and not isinstance(reason, str):
        problems["reason"] = "must be text"
        reason = None
    gathered: dict[str, Any] = {"reason": reason or ""}
    extra: dict[str, Any] = {}
    if action == "submit":
        gathered["missing_elements"] = missing_elements(submission.version)
    elif action == "send_to_review":
        rubric = _current_rubric(session)
        if rubric is None:
            problems["rubric"] = "there is no current rubric version; an admin must set one"
        extra["rubric"] = rubric
    elif action == "complete_reviews":
        gathered["quorum"] = bool(facts.get("quorum"))
    elif action == "expire_revisions":
        deadline = submission.revision_deadline
        gathered["deadline_passed"] = deadline is not None and today > deadline
    elif action == "request_revisions":
        deadline, problem = _parse_deadline(facts.get("deadline"), today)
        if problem:
            problems["deadline"] = problem
        gathered["deadline_ok"] = deadline is not None
        codes, problem = _check_criteria(submission, facts.get("unmet_criteria"))
        if problem:
            problems["unmet_criteria"] = problem
        gathered["unmet_criteria"] = codes
        extra.update(deadline=deadline, unmet_criteria=codes)
    if action in REVIEWED_DECISIONS:
        aggregate = _current_aggregate(session, submission)
        extra["aggregate"] = aggregate
        if aggregate is not None:
            gathered["recommendation"] = aggregate.recommendation
    return gathered, problems, extra


def _parse_deadline(value: Any, today: dt.date) -> tuple[dt.date | None, str | None]:
    if value in (None, ""):
        return None, None  # the workflow table names it as missing
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return None, "must be a date written YYYY-MM-DD"
    if not isinstance(value, dt.date):
        return None, "must be a date written YYYY-MM-DD"
    if value <= today:
        return None, f"must be after today ({today.isoformat()})"
    return value, None


def _check_criteria(submission: Submission, value: Any) -> tuple[list[str], str | None]:
    if value in (None, "", []):
        return [], None  # the workflow table names it as missing
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return [], "must be a list of criterion codes"
    codes = list(dict.fromkeys(v.strip() for v in value))
    rubric = submission.rubric_version
    known = [c.code for c in rubric.criteria] if rubric is not None else []
    unknown = [c for c in codes if c not in known]
    if unknown:
        return [], (
            f"not criteria of rubric version {rubric.number if rubric else '?'}: "
            f"{', '.join(unknown)} (its criteria: {', '.join(known) or 'none'})"
        )
    return codes, None


def _current_rubric(session: Session) -> Any:
    try:
        return current_rubric_version(session)
    except NotFound:
        return None


def _current_aggregate(session: Session, submission: Submission) -> Any:
    """The aggregate of the current round's reviews, or None while there is none to compute."""
    if submission.rubric_version_id is None or not current_round_reviews(session, submission):
        return None
    return submission_aggregate(session, submission)


def current_round_reviews(session: Session, submission: Submission) -> int:
    """How many assignments of the current round have a submitted review."""
    return (
        session.scalar(
            select(func.count(func.distinct(Review.assignment_id)))
            .join(Assignment, Assignment.id == Review.assignment_id)
            .where(
                Assignment.submission_id == submission.id,
                Assignment.round == submission.round,
                Assignment.cancelled_at.is_(None),
            )
        )
        or 0
    )


def _guarded_update(
    session: Session, submission: Submission, state: str, seen: int, values: dict[str, Any]
) -> None:
    """UPDATE ... WHERE id, state and lock version are what was read; else a Conflict."""
    statement = (
        update(Submission)
        .where(
            Submission.id == submission.id,
            Submission.state == state,
            Submission.lock_version == seen,
        )
        .values(lock_version=seen + 1, **values)
    )
    try:
        result = session.execute(statement)
    except OperationalError as exc:
        # SQLite refuses the write of a transaction whose snapshot another writer moved on
        # ("database is locked"): the same lost race as an UPDATE that matches no row.
        if session.get_bind().dialect.name != "sqlite" or "locked" not in str(exc.orig):
            raise
        raise Conflict(_RACE) from exc
    if result.rowcount != 1:
        raise Conflict(_RACE)
    # Read the row back as written: relationships loaded before (the pinned rubric version)
    # follow their new foreign keys.
    session.expire(submission)


_RACE = (
    "someone else changed this submission at the same moment; reload it to see its state "
    "and decide again"
)


def _side_effects(
    session: Session,
    submission: Submission,
    action: str,
    extra: Mapping[str, Any],
    *,
    actor: User | None,
    role: str,
) -> None:
    """What a transition does beyond the submission row: the version, the credential."""
    version = submission.version
    credential = submission.credential
    version.status = submission.state
    if action == "send_to_review":
        freeze(extra["rubric"])
    elif action == "approve":
        _supersede_others(session, submission, actor=actor, role=role)
        credential.published = version
        bump_revision(session)
    elif action == "suspend" or action == "retire":
        if credential.published_version_id == version.id:
            credential.published = None
        bump_revision(session)
    elif action == "reinstate":
        credential.published = version
        bump_revision(session)
    session.flush()


def _supersede_others(
    session: Session, submission: Submission, *, actor: User | None, role: str
) -> None:
    """The versions learners saw until now (published or suspended) become superseded."""
    for version in submission.credential.versions:
        if version.id == submission.version_id or version.status not in LIVE_STATES:
            continue
        old_status = version.status
        version.status = SUPERSEDED
        old = submission_for(session, version)
        if old is None:
            continue  # published before review existed (an import): no submission to close
        before = submission_snapshot(old)
        _guarded_update(session, old, old.state, old.lock_version, {"state": SUPERSEDED})
        record_event(
            session,
            "submission.superseded",
            "submission",
            str(old.id),
            actor=actor,
            actor_role=role,
            from_state=old_status,
            to_state=SUPERSEDED,
            before=before,
            after=submission_snapshot(old),
            reason=f"version {submission.version.number} was approved",
        )


def submission_snapshot(submission: Submission) -> dict[str, Any]:
    """The submission's workflow fields as JSON, for the before/after of its events."""

    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "state": submission.state,
        "round": submission.round,
        "lock_version": submission.lock_version,
        "version": submission.version.number if submission.version else None,
        "rubric_version_id": submission.rubric_version_id,
        "revision_deadline": day(submission.revision_deadline),
        "unmet_criteria": list(submission.unmet_criteria or []),
        "decision": submission.decision,
        "decision_reason": submission.decision_reason,
    }


# --- notices ------------------------------------------------------------------------------


def provider_staff(session: Session, provider_id: str) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.provider_id == provider_id, User.active, UserRole.role == "provider")
            .order_by(User.id)
        )
    )


def coordinators_for(session: Session, credential: Credential) -> list[User]:
    """Active coordinators who may decide on the credential (not of its provider)."""
    return [
        user
        for user in session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active, UserRole.role == "coordinator")
            .order_by(User.id)
        )
        if not is_affiliated(user, credential)
    ]


def _queue_notices(
    session: Session,
    submission: Submission,
    action: str,
    *,
    actor: User | None,
    reason: str | None,
    base_url: str = "",
) -> None:
    """One outbox row per person to tell (mail goes out later, never inside the request)."""
    credential = submission.credential
    title = submission.version.title
    what = ACTION_WORDS.get(action, action.replace("_", " "))
    subject = f"{title}: {what}"
    lines = [
        f"The submission of {title} ({credential.id}, version {submission.version.number}) {what}.",
        f"State: {submission.state.replace('_', ' ')}; review round {submission.round}.",
    ]
    if reason:
        lines.append(f"Reason: {reason}")
    if action == "request_revisions":
        lines.append(f"Criteria not met: {', '.join(submission.unmet_criteria)}")
        lines.append(
            f"Resubmit by {submission.revision_deadline.isoformat()}; after that day the "
            "submission is rejected."
        )
    lines.append(f"Details: {base_url.rstrip('/')}/review/submissions/{submission.id}")
    body = "\n".join(lines) + "\n"
    kind = f"submission.{action}"
    people = {u.id: u for u in provider_staff(session, credential.provider_id)}
    if action in NOTIFY_COORDINATORS:
        people.update((u.id, u) for u in coordinators_for(session, credential))
    for user in people.values():
        if actor is not None and user.id == actor.id:
            continue
        queue_notice(session, kind, user, subject, body)


# --- reading ------------------------------------------------------------------------------


def get_submission(session: Session, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    return submission


def timeline(session: Session, submission: Submission, *, mode: str) -> list[dict[str, Any]]:
    """The submission's events, oldest first; outside the "full" view, workflow events only,
    with the actor named by role alone (never a reviewer's identity) and no payloads."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "submission", AuditEvent.object_id == str(submission.id))
        .order_by(AuditEvent.id)
    ).all()
    public = {t.event for t in workflow.TABLE.values()} | {"submission.superseded", RECORD_EVENT}
    actors = {}
    if mode == "full":
        ids = {e.actor_id for e in events if e.actor_id is not None}
        if ids:
            actors = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    items = []
    for event in events:
        if mode != "full" and event.action not in public:
            continue
        item: dict[str, Any] = {
            "at": event.occurred_at.isoformat(),
            "action": event.action.removeprefix("submission."),
            "from_state": event.from_state,
            "to_state": event.to_state,
            "role": event.actor_role,
            "actor": ROLE_LABELS.get(event.actor_role or "", "Registry"),
            "reason": event.reason,
        }
        if mode == "full":
            user = actors.get(event.actor_id)
            if user is not None:
                item["actor"] = f"{user.name} ({ROLE_LABELS.get(event.actor_role or '', '')})"
                item["actor_email"] = user.email
            item["before"], item["after"] = event.before, event.after
        items.append(item)
    return items


# States in which the provider reads the computed result stored with the decision.
DECIDED_STATES = frozenset(
    {
        workflow.REVISIONS_REQUESTED,
        workflow.PUBLISHED,
        workflow.REJECTED,
        workflow.SUSPENDED,
        workflow.RETIRED,
        SUPERSEDED,
    }
)


def page_aggregate(session: Session, submission: Submission, *, mode: str) -> dict[str, Any] | None:
    """The aggregate a viewer sees: coordinators the live one while reviews come in and the
    stored one after the decision; providers the stored one once decided; reviewers none
    (their view of the others is their reviews, once their own is in)."""
    if mode == "full":
        if submission.state in (workflow.IN_REVIEW, workflow.DECISION_PENDING):
            live = _current_aggregate(session, submission)
            return live.as_dict() if live is not None else None
        return submission.recommendation
    if mode == "provider" and submission.state in DECIDED_STATES:
        return submission.recommendation
    return None


def list_submissions(
    session: Session, viewer: Any, *, state: str | None = None
) -> list[Submission]:
    """Submissions the viewer may see, newest first: all for QA, their provider's for staff."""
    query = select(Submission).order_by(Submission.submitted_at.desc(), Submission.id.desc())
    if state:
        query = query.where(Submission.state == state)
    if not _is_qa(viewer):
        if not viewer.has_role("provider") or viewer.provider_id is None:
            return []
        query = query.join(Credential, Credential.id == Submission.credential_id).where(
            Credential.provider_id == viewer.provider_id
        )
    return list(session.scalars(query))


def submission_document(
    session: Session, submission: Submission, viewer: Any, *, mode: str
) -> dict[str, Any]:
    """The submission as JSON for `viewer`, masked by `mode` (see viewer_mode): providers never
    get a reviewer's identity, reviewers get the other reviews only after their own."""
    today = today_utc()
    rubric = submission.rubric_version
    aggregate = page_aggregate(session, submission, mode=mode)
    decision = None
    if submission.decision is not None:
        decision = {
            "action": submission.decision,
            "reason": submission.decision_reason,
            "decided_at": _iso(submission.decided_at),
        }
        if mode == "full" and submission.decided_by_id is not None:
            decided_by = session.get(User, submission.decided_by_id)
            if decided_by is not None:
                decision["decided_by"] = {"name": decided_by.name, "email": decided_by.email}
    assignments: list[dict[str, Any]] = []
    for assignment in submission.assignments:
        status = assignment_status(assignment, today)
        if mode == "provider":
            assignments.append({"round": assignment.round, "status": status})
            continue
        if mode == "reviewer" and assignment.reviewer_id != getattr(viewer, "id", None):
            continue
        assignments.append(
            {
                "id": assignment.id,
                "round": assignment.round,
                "reviewer": {
                    "id": assignment.reviewer.id,
                    "name": assignment.reviewer.name,
                    "email": assignment.reviewer.email,
                },
                "status": status,
                "response_due": assignment.response_due.isoformat(),
                "review_due": assignment.review_due.isoformat(),
                "automatic": assignment.automatic,
                "extra": assignment.extra,
            }
        )
    if mode == "provider":
        # Sorted, so the order says nothing about who was asked first.
        assignments.sort(key=lambda a: (a["round"], a["status"]))
    return {
        "id": submission.id,
        "credential": submission.credential_id,
        "provider": submission.credential.provider_id,
        "version": submission.version.number,
        "title": submission.version.title,
        "state": submission.state,
        "round": submission.round,
        "lock_version": submission.lock_version,
        "rubric_version": (
            {"id": rubric.id, "rubric": rubric.rubric.name, "number": rubric.number}
            if rubric is not None
            else None
        ),
        "submitted_at": _iso(submission.submitted_at),
        "revision_deadline": _iso(submission.revision_deadline),
        "unmet_criteria": list(submission.unmet_criteria or []),
        "decision": decision,
        "allowed_actions": allowed_actions(submission, viewer),
        "assignments": assignments,
        "reviews": visible_reviews(session, submission, viewer),
        "aggregate": aggregate,
        "flags": list(aggregate.get("flags", [])) if aggregate else [],
        "events": timeline(session, submission, mode=mode),
    }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
