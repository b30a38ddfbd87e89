"""Every (state, action, role) of the decision table, allowed and refused, through take_action.

The expected outcome of each triple is worked out from workflow.TABLE and the ownership rules
(provider staff act for their own provider only; coordinators never decide on their own
provider's credentials; admins, reviewers and learners take no workflow action). So that the
test does not merely restate the table, a hand-written expectation table for a subset of the
triples must agree with that derivation, and is run through the JSON API as well.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from registry.auth.services import create_token
from registry.errors import Conflict, PermissionDenied
from registry.review import workflow
from registry.review.models import Submission
from registry.review.services import take_action
from tests.conftest import bearer
from tests.review.submission_helpers import COMPLETE, event_count, make_rubric, submission_events

ROLES = (
    "staff_own",
    "staff_other",
    "coordinator",
    "coordinator_own",
    "reviewer",
    "learner",
    "admin",
    "system",
)
# The ownership rules: which workflow roles each kind of actor holds for the credential.
WORKFLOW_ROLES = {
    "staff_own": {workflow.PROVIDER},
    "coordinator": {workflow.COORDINATOR},
    "system": {workflow.SYSTEM},
}
TODAY = dt.date.today()
# What an actor says with an action: enough for every requirement of the table.
FACTS = {
    "reason": "Explained in the report",
    "deadline": (TODAY + dt.timedelta(days=14)).isoformat(),
    "unmet_criteria": ["Q1"],
    "quorum": True,
}


def derived(state: str, action: str, role: str) -> str | int:
    """The target state, 403 (the role may not) or 409 (the state does not allow it)."""
    transition = workflow.TABLE[action]
    if not transition.roles & WORKFLOW_ROLES.get(role, set()):
        return 403
    if state not in transition.sources:
        return 409
    return transition.target


# fmt: off
# Written out by hand from REVIEW.md "States and decisions" and "Roles", not from the table.
HAND: dict[tuple[str, str, str], str | int] = {
    ("draft", "submit", "staff_own"): "submitted",
    ("draft", "submit", "staff_other"): 403,
    ("draft", "submit", "coordinator"): 403,
    ("draft", "withdraw", "staff_own"): 409,
    ("submitted", "send_to_review", "coordinator"): "in_review",
    ("submitted", "send_to_review", "coordinator_own"): 403,
    ("submitted", "send_to_review", "staff_own"): 403,
    ("submitted", "send_to_review", "admin"): 403,
    ("submitted", "return_incomplete", "coordinator"): "draft",
    ("submitted", "desk_reject", "coordinator"): "rejected",
    ("submitted", "withdraw", "staff_own"): "withdrawn",
    ("submitted", "withdraw", "staff_other"): 403,
    ("submitted", "approve", "coordinator"): 409,
    ("in_review", "send_to_review", "coordinator"): 409,
    ("in_review", "complete_reviews", "system"): "decision_pending",
    ("in_review", "complete_reviews", "coordinator"): 403,
    ("in_review", "withdraw", "staff_own"): "withdrawn",
    ("in_review", "approve", "coordinator"): 409,
    ("decision_pending", "approve", "coordinator"): "published",
    ("decision_pending", "approve", "coordinator_own"): 403,
    ("decision_pending", "approve", "staff_own"): 403,
    ("decision_pending", "approve", "reviewer"): 403,
    ("decision_pending", "approve", "admin"): 403,
    ("decision_pending", "approve", "system"): 403,
    ("decision_pending", "request_revisions", "coordinator"): "revisions_requested",
    ("decision_pending", "reject", "coordinator"): "rejected",
    ("decision_pending", "withdraw", "staff_own"): "withdrawn",
    ("decision_pending", "resubmit", "staff_own"): 409,
    ("revisions_requested", "resubmit", "staff_own"): "in_review",
    ("revisions_requested", "resubmit", "coordinator"): 403,
    ("revisions_requested", "expire_revisions", "system"): "rejected",
    ("revisions_requested", "expire_revisions", "coordinator"): 403,
    ("revisions_requested", "withdraw", "staff_own"): "withdrawn",
    ("published", "suspend", "coordinator"): "suspended",
    ("published", "suspend", "staff_own"): 403,
    ("published", "retire", "staff_own"): "retired",
    ("published", "retire", "coordinator"): "retired",
    ("published", "retire", "coordinator_own"): 403,
    ("published", "retire", "staff_other"): 403,
    ("published", "withdraw", "staff_own"): 409,
    ("published", "approve", "coordinator"): 409,
    ("suspended", "reinstate", "coordinator"): "published",
    ("suspended", "retire", "staff_own"): 409,
    ("suspended", "suspend", "coordinator"): 409,
    ("rejected", "resubmit", "staff_own"): 409,
    ("rejected", "approve", "coordinator"): 409,
    ("withdrawn", "withdraw", "staff_own"): 409,
    ("withdrawn", "send_to_review", "coordinator"): 409,
    ("retired", "reinstate", "coordinator"): 409,
    ("retired", "retire", "learner"): 403,
}
# fmt: on


def test_the_hand_written_expectations_agree_with_the_table():
    wrong = {
        key: (expected, derived(*key))
        for key, expected in HAND.items()
        if derived(*key) != expected
    }
    assert not wrong


def test_every_action_and_state_of_the_table_is_covered():
    assert set(workflow.STATES) >= {s for t in workflow.TABLE.values() for s in t.sources}
    assert {a for (_s, a, _r) in HAND} == set(workflow.TABLE)
    assert {s for (s, _a, _r) in HAND} == set(workflow.STATES)
    # Each state has at least one action that is allowed from it, except the final ones.
    final = {s for s in workflow.STATES if not any(s in t.sources for t in workflow.TABLE.values())}
    assert final == {"rejected", "withdrawn", "retired"}


@pytest.fixture()
def actors(factory, db_session) -> dict[str, Any]:
    own = factory.provider("uni-own")
    other = factory.provider("uni-other")
    return {
        "provider": own,
        "staff_own": factory.user("provider", provider=own),
        "staff_other": factory.user("provider", provider=other),
        "coordinator": factory.user("coordinator"),
        "coordinator_own": factory.user("coordinator", provider=own),
        "reviewer": factory.user("reviewer"),
        "learner": factory.user("learner"),
        "admin": factory.user("admin"),
        "system": None,
    }


def submission_in(session, factory, actors, state: str) -> Submission:
    """A complete credential whose version 1 is in `state` (as the workflow would leave it)."""
    rubric = make_rubric(session)
    credential = factory.credential(actors["provider"], "subject", title="Subject", **COMPLETE)
    version = credential.current
    version.status = state
    if state == workflow.PUBLISHED:
        credential.published = version
    reviewed = state not in (workflow.DRAFT, workflow.SUBMITTED)
    submission = Submission(
        credential=credential,
        version=version,
        state=state,
        round=1,
        lock_version=3,
        rubric_version=rubric if reviewed else None,
        unmet_criteria=[],
        # Passed yesterday, so the registry may expire it.
        revision_deadline=TODAY - dt.timedelta(days=1)
        if state == workflow.REVISIONS_REQUESTED
        else None,
    )
    session.add(submission)
    session.flush()
    return submission


def run(session, submission, action: str, role: str, actors) -> None:
    take_action(
        session,
        submission,
        action,
        actor=actors[role],
        facts=dict(FACTS),
        system=role == "system",
    )


@pytest.mark.parametrize("action", list(workflow.TABLE))
@pytest.mark.parametrize("state", workflow.STATES)
def test_every_role_for_each_state_and_action(db_session, factory, actors, state, action):
    """All eight kinds of actor, each from the same start (a savepoint rolled back after each);
    every difference is reported together, like the permission table."""
    submission_id = submission_in(db_session, factory, actors, state).id
    wrong = []
    for role in ROLES:
        savepoint = db_session.begin_nested()
        try:
            check(
                db_session, db_session.get(Submission, submission_id), state, action, role, actors
            )
        except (Exception, pytest.fail.Exception) as exc:  # report every role, then fail
            wrong.append(f"{role}: {exc!r}")
        finally:
            savepoint.rollback()
    assert not wrong, f"{action} from {state}:\n" + "\n".join(wrong)


def check(session, submission, state: str, action: str, role: str, actors) -> None:
    expected = derived(state, action, role)
    before = (submission.state, submission.lock_version, event_count(session))
    version_status = submission.version.status

    if expected in (403, 409):
        error = PermissionDenied if expected == 403 else Conflict
        with pytest.raises(error):
            run(session, submission, action, role, actors)
        session.expire_all()
        submission = session.get(Submission, submission.id)
        assert (submission.state, submission.lock_version, event_count(session)) == before
        assert submission.version.status == version_status
        return

    run(session, submission, action, role, actors)
    session.expire_all()
    submission = session.get(Submission, submission.id)
    assert submission.state == expected
    assert submission.version.status == expected
    assert submission.lock_version == before[1] + 1
    [event] = submission_events(session, submission)
    assert event.action == f"submission.{action}"
    assert (event.from_state, event.to_state) == (state, expected)
    assert event.actor_role == sorted(workflow.TABLE[action].roles & WORKFLOW_ROLES[role])[0]
    assert event.actor_id == (actors[role].id if actors[role] is not None else None)
    assert event.before["state"] == state and event.after["state"] == expected


@pytest.fixture()
def tokens(actors, db_session) -> dict[str, dict[str, str]]:
    return {
        role: bearer(create_token(db_session, user, "api")[1])
        for role, user in actors.items()
        if role not in ("provider", "system")
    }


@pytest.mark.parametrize(
    ("state", "action", "role"),
    [key for key in HAND if key[2] != "system"],
    ids="-".join,
)
def test_the_hand_written_subset_through_the_api(
    client, db_session, factory, actors, tokens, state, action, role
):
    submission = submission_in(db_session, factory, actors, state)
    db_session.commit()
    before = (submission.lock_version, event_count(db_session))
    response = client.post(
        f"/api/v1/submissions/{submission.id}/actions/{action}",
        json={k: v for k, v in FACTS.items() if k != "quorum"}
        if action == "request_revisions"
        else {"reason": FACTS["reason"]},
        headers=tokens[role],
    )
    expected = HAND[(state, action, role)]
    if expected in (403, 409):
        assert response.status_code == expected
        assert response.get_json()["error"]["status"] == expected
        db_session.expire_all()
        stored = db_session.get(Submission, submission.id)
        assert (stored.lock_version, event_count(db_session)) == before
    else:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == expected
