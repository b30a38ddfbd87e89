"""Assignment: competing interests, the min-cost-flow plan and its properties, manual assignment."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.errors import Conflict, PermissionDenied, ValidationError
from registry.review.assignment import (
    AssignmentPolicy,
    Candidate,
    Opening,
    assign_reviewers,
    auto_assign,
    auto_assign_report,
    cancel_assignment,
    conflict_reasons,
    covers,
    declare_conflict,
    expertise_overlap,
    open_loads,
    places_open,
    plan_assignments,
)
from registry.review.models import Assignment, ConflictDeclaration, OutboxMessage
from tests.conftest import bearer, post_form

from .review_world import MET, in_review, make_rubric, score

TODAY = dt.date(2031, 5, 12)


# --- competing interests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "affiliated", "declared", "expected"),
    [
        ("ann@elsewhere.example", False, False, []),
        ("ann@uni.example", False, False, ["email domain uni.example"]),
        ("ann@cs.uni.example", False, False, ["email domain cs.uni.example"]),
        ("ann@notuni.example", False, False, []),  # a suffix that is not a subdomain
        ("ann@elsewhere.example", True, False, ["belongs to"]),
        ("ann@elsewhere.example", False, True, ["declared a competing interest"]),
        ("ann@UNI.example", True, True, ["belongs to", "declared", "email domain uni.example"]),
    ],
)
def test_conflict_reasons(db_session, factory, email, affiliated, declared, expected) -> None:
    provider = factory.provider("uni", name="The University", email_domains=["uni.example"])
    credential = factory.credential(provider)
    reviewer = factory.user("reviewer", email=email, provider=provider if affiliated else None)
    if declared:
        declare_conflict(db_session, reviewer, provider.id, "I teach there", actor=reviewer)

    reasons = conflict_reasons(db_session, reviewer, credential)

    assert len(reasons) == len(expected)
    for reason, fragment in zip(reasons, expected, strict=True):
        assert fragment in reason


def test_declaring_needs_a_provider_and_a_reason_and_only_once(db_session, factory) -> None:
    provider = factory.provider()
    reviewer = factory.user("reviewer")
    with pytest.raises(ValidationError) as refused:
        declare_conflict(db_session, reviewer, "", "  ", actor=reviewer)
    assert {e.field for e in refused.value.errors} == {"provider", "reason"}

    declare_conflict(db_session, reviewer, provider.id, "Former employer", actor=reviewer)
    with pytest.raises(ValidationError, match="already declared"):
        declare_conflict(db_session, reviewer, provider.id, "Again", actor=reviewer)
    count = select(func.count()).select_from(ConflictDeclaration)
    assert db_session.scalar(count) == 1


# --- the plan (pure) ----------------------------------------------------------------------


def test_expertise_covers_by_isced_prefix() -> None:
    assert covers("061", "0613") and covers("0613", "061") and covers("0613", "0613")
    assert not covers("0612", "0613") and not covers("", "0613")
    assert expertise_overlap(["061", "0411"], ["0613", "0411", "0714"]) == 2


def test_each_submission_gets_its_places_and_every_reviewer_at_most_once() -> None:
    pool = [Candidate(rid) for rid in range(1, 8)]
    openings = [Opening(sid, 3, eligible=frozenset(range(1, 8))) for sid in (10, 11, 12)]

    plan = plan_assignments(openings, pool)

    per_submission = Counter(sid for sid, _ in plan)
    assert per_submission == {10: 3, 11: 3, 12: 3}
    assert len(set(plan)) == len(plan)


def test_loads_even_out_within_one() -> None:
    pool = [Candidate(rid) for rid in range(1, 6)]
    openings = [Opening(sid, 3, eligible=frozenset(range(1, 6))) for sid in range(1, 8)]

    loads = Counter(rid for _, rid in plan_assignments(openings, pool))

    assert sum(loads.values()) == 21
    assert max(loads.values()) - min(loads.values()) <= 1


def test_open_load_counts_so_busy_reviewers_get_less() -> None:
    pool = [Candidate(1, open_load=4), Candidate(2), Candidate(3), Candidate(4)]
    openings = [Opening(sid, 2, eligible=frozenset({1, 2, 3, 4})) for sid in (1, 2, 3)]

    loads = Counter(rid for _, rid in plan_assignments(openings, pool))

    assert loads[1] == 0
    assert loads[2] == loads[3] == loads[4] == 2


def test_expertise_is_preferred_at_equal_load() -> None:
    pool = [Candidate(1, ("0411",)), Candidate(2, ("061",)), Candidate(3, ())]
    opening = Opening(7, 1, subjects=("0613",), eligible=frozenset({1, 2, 3}))

    assert plan_assignments([opening], pool) == [(7, 2)]


def test_an_expert_is_preferred_until_much_busier() -> None:
    """Expertise is worth three open reviews: with four more, the non-expert is asked."""
    opening = Opening(7, 1, subjects=("0613",), eligible=frozenset({1, 2}))
    for extra_load, chosen in ((2, 1), (4, 2)):
        pool = [Candidate(1, ("0613",), open_load=extra_load), Candidate(2, ())]
        assert plan_assignments([opening], pool) == [(7, chosen)]


def test_one_external_reviewer_per_submission_when_one_is_eligible() -> None:
    # Affiliated reviewers are better experts and idle; the one external reviewer is busy.
    pool = [
        Candidate(1, ("0613",), external=False),
        Candidate(2, ("0613",), external=False),
        Candidate(3, ("0613",), external=False),
        Candidate(9, (), external=True, open_load=5),
    ]
    openings = [
        Opening(sid, 3, ("0613",), needs_external=True, eligible=frozenset({1, 2, 3, 9}))
        for sid in (1, 2)
    ]

    plan = plan_assignments(openings, pool)

    for sid in (1, 2):
        assert 9 in {rid for s, rid in plan if s == sid}


def test_no_external_needed_when_the_round_has_one() -> None:
    pool = [Candidate(1, ("0613",), external=False), Candidate(9, (), external=True)]
    opening = Opening(1, 1, ("0613",), needs_external=False, eligible=frozenset({1, 9}))

    assert plan_assignments([opening], pool) == [(1, 1)]


def test_ties_go_to_the_lower_id_and_input_order_does_not_matter() -> None:
    pool = [Candidate(rid) for rid in (5, 3, 8, 1)]
    openings = [Opening(2, 1, eligible=frozenset({5, 3, 8, 1}))]

    assert plan_assignments(openings, pool) == [(2, 1)]
    assert plan_assignments(openings, list(reversed(pool))) == [(2, 1)]


def test_previous_round_reviewers_are_asked_again() -> None:
    pool = [Candidate(1, ("0613",)), Candidate(2, ())]
    opening = Opening(4, 1, ("0613",), eligible=frozenset({1, 2}), previous=frozenset({2}))

    assert plan_assignments([opening], pool) == [(4, 2)]


def test_nobody_eligible_means_no_plan() -> None:
    assert plan_assignments([Opening(1, 3, eligible=frozenset())], [Candidate(1)]) == []
    assert plan_assignments([], [Candidate(1)]) == []


SUBJECTS = ("0411", "0613", "0714", "061", "07")


@st.composite
def pools(draw):
    """A random pool of reviewers and a random set of openings with random conflicts."""
    n_reviewers = draw(st.integers(1, 9))
    candidates = [
        Candidate(
            reviewer_id=rid,
            expertise=tuple(draw(st.lists(st.sampled_from(SUBJECTS), max_size=2, unique=True))),
            external=draw(st.booleans()),
            open_load=draw(st.integers(0, 3)),
        )
        for rid in range(1, n_reviewers + 1)
    ]
    ids = [c.reviewer_id for c in candidates]
    openings = [
        Opening(
            submission_id=100 + sid,
            places=draw(st.integers(0, 4)),
            subjects=tuple(draw(st.lists(st.sampled_from(SUBJECTS), max_size=2, unique=True))),
            needs_external=draw(st.booleans()),
            eligible=frozenset(draw(st.lists(st.sampled_from(ids), unique=True))),
        )
        for sid in range(draw(st.integers(1, 6)))
    ]
    return openings, candidates, draw(st.randoms(use_true_random=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_plan_properties_on_random_pools(world) -> None:
    """No conflict ever, every fillable place filled, one external where possible, loads as
    even as expertise allows (no swap would help), and the same plan whatever the order."""
    openings, candidates, rnd = world
    pool = {c.reviewer_id: c for c in candidates}

    plan = plan_assignments(openings, candidates)

    chosen: dict[int, set[int]] = {o.submission_id: set() for o in openings}
    for sid, rid in plan:
        chosen[sid].add(rid)
    assert len(plan) == len(set(plan))
    load = Counter({rid: c.open_load for rid, c in pool.items()})
    load.update(rid for _, rid in plan)
    for opening in openings:
        mine = chosen[opening.submission_id]
        assert mine <= opening.eligible, "a reviewer with a competing interest was assigned"
        assert len(mine) == min(opening.places, len(opening.eligible))
        externals = {rid for rid in opening.eligible if pool[rid].external}
        if opening.needs_external and externals and opening.places:
            assert mine & externals, "no external reviewer though one was eligible"
        # Loads within one of each other where expertise allows: swapping a chosen reviewer for
        # an unchosen one at least as expert never leaves a gap of two or more.
        for a in mine:
            for b in opening.eligible - mine:
                at_least_as_expert = expertise_overlap(
                    pool[b].expertise, opening.subjects
                ) >= expertise_overlap(pool[a].expertise, opening.subjects)
                external_kept = (
                    not opening.needs_external
                    or pool[b].external
                    or not pool[a].external
                    or len(mine & externals) > 1
                )
                if at_least_as_expert and external_kept:
                    assert load[a] - load[b] <= 1, (opening, a, b, load)

    shuffled_openings, shuffled_pool = list(openings), list(candidates)
    rnd.shuffle(shuffled_openings)
    rnd.shuffle(shuffled_pool)
    assert plan_assignments(openings, candidates) == plan
    assert plan_assignments(shuffled_openings, shuffled_pool) == plan


# --- the database: automatic and manual assignment ----------------------------------------


@pytest.fixture()
def qa(db_session, factory):
    """Two providers, a coordinator, and reviewers of every kind."""
    make_rubric(db_session, reviewers=3)
    uni = factory.provider("uni", email_domains=["uni.example"])
    college = factory.provider("college", email_domains=["college.example"])
    reviewers = {
        "staff_of_uni": factory.user("reviewer", provider=uni, email="in@uni-staff.example"),
        "uni_domain": factory.user("reviewer", email="r@cs.uni.example"),
        "declared_uni": factory.user("reviewer", email="d@free.example", expertise=["0613"]),
        "college": factory.user("reviewer", provider=college, email="c@college-r.example"),
        "ext1": factory.user("reviewer", email="e1@free.example", expertise=["061"]),
        "ext2": factory.user("reviewer", email="e2@free.example"),
        "ext3": factory.user("reviewer", email="e3@free.example", expertise=["0714"]),
        "ext4": factory.user("reviewer", email="e4@free.example"),
    }
    declared = reviewers["declared_uni"]
    declare_conflict(db_session, declared, "uni", "Former colleague", actor=declared)
    coordinator = factory.user("coordinator")
    return {
        "uni": uni,
        "college": college,
        "reviewers": reviewers,
        "coordinator": coordinator,
        "learner": factory.user("learner"),
    }


def test_auto_assign_fills_every_waiting_submission_without_conflicts(db_session, factory, qa):
    coordinator = qa["coordinator"]
    uni_subs = [in_review(db_session, factory, qa["uni"], coordinator) for _ in range(3)]
    college_sub = in_review(db_session, factory, qa["college"], coordinator, subjects=["0714"])

    made = auto_assign(db_session, actor=coordinator, today=TODAY)

    assert len(made) == 12
    for submission in [*uni_subs, college_sub]:
        assert places_open(submission) == 0
        mine = [a for a in made if a.submission_id == submission.id]
        assert len(mine) == 3
        for a in mine:
            assert conflict_reasons(db_session, a.reviewer, submission.credential) == []
            assert a.automatic and a.round == 1 and a.assigned_by_id == coordinator.id
            assert a.response_due == TODAY + dt.timedelta(days=7)
            assert a.review_due == TODAY + dt.timedelta(days=21)
        assert any(a.reviewer.provider_id is None for a in mine)
    barred = {qa["reviewers"][k].id for k in ("staff_of_uni", "uni_domain", "declared_uni")}
    assert not {a.reviewer_id for a in made if a.submission.credential.provider_id == "uni"} & (
        barred
    )
    # Every assignment is on the record and its reviewer was mailed.
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.create")
    ).all()
    assert len(events) == 12
    notices = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "review.request")
    ).all()
    assert sorted(n.to_address for n in notices) == sorted(a.reviewer.email for a in made)
    # Nothing is waiting any more, so a second run asks nobody.
    assert auto_assign(db_session, actor=coordinator, today=TODAY) == []


def test_auto_assign_balances_the_open_load(db_session, factory, qa):
    coordinator = qa["coordinator"]
    for _ in range(4):
        in_review(db_session, factory, qa["college"], coordinator, subjects=["0999"])

    auto_assign(db_session, actor=coordinator, today=TODAY)

    loads = open_loads(db_session)
    eligible = [r.id for k, r in qa["reviewers"].items() if k != "college"]
    counts = [loads.get(rid, 0) for rid in eligible]
    assert sum(counts) == 12
    assert max(counts) - min(counts) <= 1


def test_auto_assign_is_deterministic(db_session, factory, qa):
    coordinator = qa["coordinator"]
    for provider in ("uni", "college", "uni", "college"):
        in_review(db_session, factory, qa[provider], coordinator)

    runs = []
    for _ in range(2):
        savepoint = db_session.begin_nested()
        made = auto_assign(db_session, actor=coordinator, today=TODAY)
        runs.append(sorted((a.submission_id, a.reviewer_id) for a in made))
        savepoint.rollback()

    assert runs[0] == runs[1] and len(runs[0]) == 12


def test_auto_assign_reports_places_it_could_not_fill(db_session, factory, qa):
    coordinator = qa["coordinator"]
    for key in ("ext2", "ext3", "ext4", "college"):
        qa["reviewers"][key].active = False
    submission = in_review(db_session, factory, qa["uni"], coordinator)

    result = auto_assign_report(db_session, actor=coordinator, today=TODAY)

    assert [a.reviewer.email for a in result.assignments] == ["e1@free.example"]
    assert result.unfilled == {submission.id: 2}


def test_a_coordinators_run_leaves_out_their_own_provider(db_session, factory, qa):
    own = factory.user("coordinator", provider=qa["uni"], email="qa@uni.example")
    uni_sub = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    college_sub = in_review(db_session, factory, qa["college"], qa["coordinator"])

    result = auto_assign_report(db_session, actor=own, today=TODAY)

    assert result.skipped == [uni_sub.id]
    assert {a.submission_id for a in result.assignments} == {college_sub.id}
    with pytest.raises(PermissionDenied):
        assign_reviewers(db_session, uni_sub, [qa["reviewers"]["ext1"]], actor=own)


def test_manual_assignment_refuses_a_conflicted_reviewer_and_changes_nothing(
    db_session, factory, qa
):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    r = qa["reviewers"]
    chosen = [r["ext1"], r["staff_of_uni"], r["uni_domain"], r["declared_uni"], qa["learner"]]

    with pytest.raises(ValidationError) as refused:
        assign_reviewers(db_session, submission, chosen, actor=qa["coordinator"])

    messages = {e.field: e.message for e in refused.value.errors}
    assert set(messages) == {"reviewers[1]", "reviewers[2]", "reviewers[3]", "reviewers[4]"}
    assert "belongs to" in messages["reviewers[1]"]
    assert "email domain cs.uni.example" in messages["reviewers[2]"]
    assert "declared a competing interest" in messages["reviewers[3]"]
    assert "not an active reviewer" in messages["reviewers[4]"]
    assert submission.assignments == []


def test_manual_assignment_asks_the_named_reviewers_once(db_session, factory, qa):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    r = qa["reviewers"]

    made = assign_reviewers(
        db_session, submission, [r["college"], r["ext2"]], actor=qa["coordinator"], today=TODAY
    )

    assert [a.reviewer for a in made] == [r["college"], r["ext2"]]
    assert not any(a.automatic for a in made)
    assert places_open(submission) == 1
    with pytest.raises(ValidationError, match="already asked in this round"):
        assign_reviewers(db_session, submission, [r["ext2"]], actor=qa["coordinator"])
    with pytest.raises(ValidationError, match="named twice"):
        assign_reviewers(db_session, submission, [r["ext3"], r["ext3"]], actor=qa["coordinator"])


def test_assignment_needs_a_submission_in_review(db_session, factory, qa):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    submission.state = "withdrawn"
    with pytest.raises(Conflict, match="in review"):
        assign_reviewers(db_session, submission, [qa["reviewers"]["ext1"]], actor=qa["coordinator"])


def test_cancelling_reopens_the_place(db_session, factory, qa):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    made = auto_assign(db_session, actor=qa["coordinator"])

    with pytest.raises(ValidationError):
        cancel_assignment(db_session, made[0], " ", actor=qa["coordinator"])
    cancel_assignment(db_session, made[0], "No answer for weeks", actor=qa["coordinator"])

    assert places_open(submission) == 1
    with pytest.raises(Conflict, match="cancelled"):
        cancel_assignment(db_session, made[0], "again", actor=qa["coordinator"])
    score(db_session, made[1], MET)
    with pytest.raises(Conflict, match="submitted"):
        cancel_assignment(db_session, made[1], "too late", actor=qa["coordinator"])
    refill = auto_assign(db_session, actor=qa["coordinator"])
    assert len(refill) == 1 and refill[0].reviewer_id != made[0].reviewer_id


def test_policy_reads_the_due_days_from_config() -> None:
    policy = AssignmentPolicy.from_config(
        {"REVIEW_RESPONSE_DAYS": 3, "REVIEW_DUE_DAYS": 10, "BASE_URL": "https://r.example"}
    )
    assert (policy.response_days, policy.review_days, policy.base_url) == (
        3,
        10,
        "https://r.example",
    )
    assert AssignmentPolicy.from_config({}) == AssignmentPolicy(7, 21, "")


# --- pages and API -------------------------------------------------------------------------


def test_the_assignment_page_shows_conflicts_and_refuses_them(
    client, auth, db_session, factory, qa
):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    db_session.commit()
    auth.login(qa["coordinator"])
    url = f"/reviews/assign/{submission.id}"

    page = client.get(url).get_data(as_text=True)
    assert "belongs to" in page and "email domain cs.uni.example" in page
    assert "declared a competing interest" in page
    assert "Assign all waiting automatically" in page

    conflicted = qa["reviewers"]["staff_of_uni"].id
    refused = post_form(client, url, {"reviewers": [conflicted]})
    assert refused.status_code == 422
    assert "has a competing interest" in refused.get_data(as_text=True)
    assert submission.assignments == []

    fine = qa["reviewers"]["ext2"].id
    asked = post_form(client, url, {"reviewers": [fine]})
    assert asked.status_code == 302
    db_session.expire_all()
    assert [a.reviewer_id for a in submission.assignments] == [fine]


def test_the_automatic_button_assigns_all_waiting(client, auth, db_session, factory, qa):
    subs = [in_review(db_session, factory, qa["uni"], qa["coordinator"]) for _ in range(2)]
    db_session.commit()
    auth.login(qa["coordinator"])

    index = client.get("/reviews/assign").get_data(as_text=True)
    assert all(f"#{s.id}" in index for s in subs)
    response = post_form(client, "/reviews/assign/auto", {}, form_url="/reviews/assign")

    assert response.status_code == 302
    assert "Asked 6 reviewers for 2 submissions" in client.get("/reviews/assign").get_data(
        as_text=True
    )
    db_session.expire_all()
    assert all(places_open(s) == 0 for s in subs)


def test_reviewers_declare_conflicts_on_their_page(client, auth, db_session, factory, qa):
    reviewer = qa["reviewers"]["ext2"]
    db_session.commit()
    auth.login(reviewer)

    empty = post_form(client, "/reviews/conflicts", {"provider": "", "reason": ""})
    assert empty.status_code == 422
    declared = post_form(
        client, "/reviews/conflicts", {"provider": "college", "reason": "I advise their board"}
    )
    assert declared.status_code == 302
    page = client.get("/reviews/conflicts").get_data(as_text=True)
    assert "I advise their board" in page

    submission = in_review(db_session, factory, qa["college"], qa["coordinator"])
    reasons = conflict_reasons(db_session, reviewer, submission.credential)
    assert reasons and "declared" in reasons[0]


def _token(db_session, user) -> str:
    from registry.auth.services import create_token

    _, secret = create_token(db_session, user, "test")
    db_session.commit()
    return secret


def test_the_assign_api(app, db_session, factory, qa):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    api = app.test_client()
    headers = bearer(_token(db_session, qa["coordinator"]))
    url = f"/api/v1/submissions/{submission.id}/assign"

    for body, field in (
        ({}, ""),
        ({"auto": True, "reviewers": ["x@y.z"]}, ""),
        ({"auto": False}, "auto"),
        ({"reviewers": []}, "reviewers"),
        ({"reviewers": ["e1@free.example"], "urgent": True}, "urgent"),
    ):
        refused = api.post(url, json=body, headers=headers)
        assert refused.status_code == 422, body
        assert field in {e["field"] for e in refused.get_json()["error"]["errors"]}

    conflicted = api.post(
        url, json={"reviewers": ["e1@free.example", "in@uni-staff.example"]}, headers=headers
    )
    assert conflicted.status_code == 422
    [error] = conflicted.get_json()["error"]["errors"]
    assert error["field"] == "reviewers[1]" and "belongs to" in error["message"]
    unknown = api.post(url, json={"reviewers": ["ghost@free.example"]}, headers=headers)
    assert "ghost@free.example: no such user" in unknown.get_json()["error"]["errors"][0]["message"]
    assert db_session.scalar(select(func.count()).select_from(Assignment)) == 0

    named = api.post(url, json={"reviewers": ["e1@free.example"]}, headers=headers)
    assert named.status_code == 201
    assert named.get_json()["places_open"] == 2
    auto = api.post(url, json={"auto": True}, headers=headers)
    assert auto.status_code == 201
    body = auto.get_json()
    assert len(body["assigned"]) == 2 and body["places_open"] == 0
    again = api.post(url, json={"auto": True}, headers=headers)
    assert again.status_code == 200 and again.get_json()["assigned"] == []


def test_the_assign_api_refuses_providers_and_wrong_states(app, db_session, factory, qa):
    submission = in_review(db_session, factory, qa["uni"], qa["coordinator"])
    staff = factory.user("provider", provider=qa["uni"])
    own = factory.user("coordinator", provider=qa["uni"], email="qa2@uni.example")
    api = app.test_client()
    url = f"/api/v1/submissions/{submission.id}/assign"

    assert api.post(url, json={"auto": True}).status_code == 401
    as_staff = api.post(url, json={"auto": True}, headers=bearer(_token(db_session, staff)))
    assert as_staff.status_code == 403
    as_own = api.post(url, json={"auto": True}, headers=bearer(_token(db_session, own)))
    assert as_own.status_code == 403
    submission.state = "withdrawn"
    db_session.commit()
    headers = bearer(_token(db_session, qa["coordinator"]))
    assert api.post(url, json={"auto": True}, headers=headers).status_code == 409
    missing = api.post("/api/v1/submissions/999999/assign", json={"auto": True}, headers=headers)
    assert missing.status_code == 404


def test_random_submission_order_gives_the_same_database_plan(db_session, factory, qa):
    """The database run sorts what it reads; the same pool in any order plans the same."""
    coordinator = qa["coordinator"]
    subs = [in_review(db_session, factory, qa["college"], coordinator) for _ in range(3)]
    first = auto_assign(db_session, actor=coordinator, submissions=subs, today=TODAY)
    pairs = sorted((a.submission_id, a.reviewer_id) for a in first)
    for a in first:
        db_session.delete(a)
    db_session.flush()
    db_session.expire_all()

    shuffled = list(subs)
    random.Random(4).shuffle(shuffled)
    second = auto_assign(db_session, actor=coordinator, submissions=shuffled, today=TODAY)

    assert sorted((a.submission_id, a.reviewer_id) for a in second) == pairs


def test_pages_use_the_configured_due_days(app, client, auth, db_session, factory, qa):
    submission = in_review(db_session, factory, qa["college"], qa["coordinator"])
    db_session.commit()
    auth.login(qa["coordinator"])
    saved = app.config["REVIEW_RESPONSE_DAYS"], app.config["REVIEW_DUE_DAYS"]
    app.config.update(REVIEW_RESPONSE_DAYS=3, REVIEW_DUE_DAYS=10)
    try:
        response = post_form(
            client, f"/reviews/assign/{submission.id}", {"reviewers": [qa["reviewers"]["ext1"].id]}
        )
    finally:
        app.config["REVIEW_RESPONSE_DAYS"], app.config["REVIEW_DUE_DAYS"] = saved
    assert response.status_code == 302
    db_session.expire_all()
    [made] = submission.assignments
    assert made.review_due - made.response_due == dt.timedelta(days=7)
    assert made.response_due - made.assigned_at.date() == dt.timedelta(days=3)


def test_coordinators_cancel_on_the_page(client, auth, db_session, factory, qa):
    submission = in_review(db_session, factory, qa["college"], qa["coordinator"])
    [made] = assign_reviewers(
        db_session, submission, [qa["reviewers"]["ext1"]], actor=qa["coordinator"]
    )
    db_session.commit()
    auth.login(qa["coordinator"])
    page = f"/reviews/assign/{submission.id}"
    url = f"/reviews/assignments/{made.id}/cancel"

    assert post_form(client, url, {"reason": ""}, form_url=page).status_code == 422
    response = post_form(client, url, {"reason": "No answer"}, form_url=page)

    assert response.status_code == 302
    db_session.expire_all()
    assert made.cancelled_at is not None and places_open(submission) == 3
    assert "cancelled" in client.get(page).get_data(as_text=True)


def test_reviewers_withdraw_their_own_declarations_only(client, auth, db_session, factory, qa):
    reviewer, other = qa["reviewers"]["ext1"], qa["reviewers"]["ext2"]
    mine = declare_conflict(db_session, reviewer, "college", "Adviser", actor=reviewer)
    theirs = declare_conflict(db_session, other, "college", "Alumna", actor=other)
    db_session.commit()
    auth.login(reviewer)

    refused = post_form(
        client, f"/reviews/conflicts/{theirs.id}/withdraw", {}, form_url="/reviews/conflicts"
    )
    withdrawn = post_form(
        client, f"/reviews/conflicts/{mine.id}/withdraw", {}, form_url="/reviews/conflicts"
    )

    assert refused.status_code == 404 and withdrawn.status_code == 302
    db_session.expire_all()
    remaining = set(db_session.scalars(select(ConflictDeclaration.reviewer_id)))
    assert other.id in remaining and reviewer.id not in remaining
    assert "You have declared no competing interests" in client.get("/reviews/conflicts").get_data(
        as_text=True
    )


def test_the_menu_leads_reviewers_and_coordinators_to_their_pages(client, auth, db_session, qa):
    db_session.commit()
    auth.login(qa["reviewers"]["ext1"])
    menu = client.get("/").get_data(as_text=True)
    assert 'href="/reviews/"' in menu and 'href="/reviews/assign"' not in menu
    auth.logout()
    auth.login(qa["coordinator"])
    menu = client.get("/").get_data(as_text=True)
    assert 'href="/reviews/assign"' in menu and 'href="/reviews/"' not in menu
