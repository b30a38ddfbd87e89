"""The QA decision table as data, and the pure function that applies it (no framework imports).

REVIEW.md "States and decisions": each action lists the states it is allowed from, the roles that
may take it, the state it leads to, what it requires, and the event it logs. Anything else is
refused and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

STATES = (
    DRAFT,
    SUBMITTED,
    IN_REVIEW,
    DECISION_PENDING,
    REVISIONS_REQUESTED,
    PUBLISHED,
    REJECTED,
    WITHDRAWN,
    SUSPENDED,
    RETIRED,
)
# "Any state before a decision": the provider may still take the submission back.
BEFORE_DECISION = frozenset({DRAFT, SUBMITTED, IN_REVIEW, DECISION_PENDING, REVISIONS_REQUESTED})

PROVIDER = "provider"
COORDINATOR = "coordinator"
SYSTEM = "system"  # the registry itself: quorum reached, revision deadline passed


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    roles: frozenset[str]
    target: str
    requires: tuple[str, ...] = ()
    event: str = ""
    new_round: bool = False


def _t(action, sources, roles, target, requires=(), *, new_round=False) -> Transition:
    return Transition(
        action=action,
        sources=frozenset(sources),
        roles=frozenset(roles),
        target=target,
        requires=tuple(requires),
        event=f"submission.{action}",
        new_round=new_round,
    )


TABLE: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("submit", {DRAFT}, {PROVIDER}, SUBMITTED, ("mandatory_elements",)),
        _t("send_to_review", {SUBMITTED}, {COORDINATOR}, IN_REVIEW),
        _t("return_incomplete", {SUBMITTED}, {COORDINATOR}, DRAFT, ("reason",)),
        _t("desk_reject", {SUBMITTED}, {COORDINATOR}, REJECTED, ("reason",)),
        _t("complete_reviews", {IN_REVIEW}, {SYSTEM}, DECISION_PENDING, ("quorum",)),
        _t("approve", {DECISION_PENDING}, {COORDINATOR}, PUBLISHED, ("override_reason",)),
        _t(
            "request_revisions",
            {DECISION_PENDING},
            {COORDINATOR},
            REVISIONS_REQUESTED,
            ("deadline", "unmet_criteria"),
        ),
        _t("reject", {DECISION_PENDING}, {COORDINATOR}, REJECTED, ("reason", "override_reason")),
        _t("resubmit", {REVISIONS_REQUESTED}, {PROVIDER}, IN_REVIEW, new_round=True),
        _t("expire_revisions", {REVISIONS_REQUESTED}, {SYSTEM}, REJECTED, ("deadline_passed",)),
        _t("withdraw", BEFORE_DECISION - {DRAFT}, {PROVIDER}, WITHDRAWN),
        _t("suspend", {PUBLISHED}, {COORDINATOR}, SUSPENDED, ("reason",)),
        _t("reinstate", {SUSPENDED}, {COORDINATOR}, PUBLISHED),
        _t("retire", {PUBLISHED}, {PROVIDER, COORDINATOR}, RETIRED),
    )
}
ACTIONS = tuple(TABLE)
# The actions people take through the API (the two system actions happen by themselves).
PUBLIC_ACTIONS = tuple(a for a, t in TABLE.items() if SYSTEM not in t.roles and a != "submit")


class WorkflowError(Exception):
    """Base of the refusals; carries the action and the state it was tried from."""

    def __init__(self, action: str, state: str, message: str) -> None:
        super().__init__(message)
        self.action, self.state = action, state


class UnknownAction(WorkflowError):
    pass


class InvalidTransition(WorkflowError):
    """The state does not allow the action (a conflict)."""


class RoleNotAllowed(WorkflowError):
    """None of the actor's roles may take the action."""


class MissingRequirement(WorkflowError):
    """The action's requirements are not met; `problems` maps each to its reason."""

    def __init__(self, action: str, state: str, problems: dict[str, str]) -> None:
        super().__init__(action, state, "; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Outcome:
    transition: Transition
    from_state: str
    to_state: str


def check_requirements(transition: Transition, facts: Mapping[str, Any]) -> dict[str, str]:
    """What the action still lacks, given the facts the caller gathered ({} when complete).

    Facts: `reason` (text), `deadline` (a date after today), `unmet_criteria` (a non-empty list),
    `missing_elements` (the mandatory elements missing), `quorum` (bool), `deadline_passed`
    (bool), `recommendation` ("approve"/"reject" computed from the reviews) for overrides.
    """
    problems: dict[str, str] = {}
    for need in transition.requires:
        if need == "reason" and not str(facts.get("reason") or "").strip():
            problems["reason"] = "a reason is required"
        elif need == "mandatory_elements" and facts.get("missing_elements"):
            problems["missing_elements"] = ", ".join(facts["missing_elements"])
        elif need == "deadline" and not facts.get("deadline_ok"):
            problems["deadline"] = "a revision deadline after today is required"
        elif need == "unmet_criteria" and not facts.get("unmet_criteria"):
            problems["unmet_criteria"] = "name the criteria that are not met"
        elif need == "quorum" and not facts.get("quorum"):
            problems["quorum"] = "not enough reviews are submitted"
        elif need == "deadline_passed" and not facts.get("deadline_passed"):
            problems["deadline"] = "the revision deadline has not passed"
        elif need == "override_reason":
            recommended = facts.get("recommendation")
            decided = "approve" if transition.target == PUBLISHED else "reject"
            overriding = recommended is not None and recommended != decided
            if overriding and not str(facts.get("reason") or "").strip():
                problems["reason"] = f"overriding the recommendation ({recommended}) needs a reason"
    return problems


def apply(
    state: str, action: str, roles: set[str] | frozenset[str], facts: Mapping[str, Any]
) -> Outcome:
    """The outcome of `action` from `state` by someone with `roles`, or the refusal.

    Order of checks: the action exists, the role may take it (403), the state allows it
    (409), then its requirements (422).
    """
    transition = TABLE.get(action)
    if transition is None:
        raise UnknownAction(action, state, f"unknown action {action!r}")
    if not transition.roles & set(roles):
        who = ", ".join(sorted(transition.roles))
        raise RoleNotAllowed(action, state, f"{action} is for {who}")
    if state not in transition.sources:
        raise InvalidTransition(action, state, f"cannot {action} a submission that is {state}")
    problems = check_requirements(transition, facts)
    if problems:
        raise MissingRequirement(action, state, problems)
    return Outcome(transition, state, transition.target)


def allowed_actions(state: str, roles: set[str] | frozenset[str]) -> list[str]:
    """The actions someone with `roles` could take from `state` (requirements aside)."""
    return [a for a, t in TABLE.items() if state in t.sources and t.roles & set(roles)]
