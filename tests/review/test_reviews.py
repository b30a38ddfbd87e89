"""Reviewers: derived status by date, accept and decline, scoring rules, quorum, disagreement."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.errors import Conflict, NotFound, ValidationError
from registry.review.assignment import (
    assign_reviewers,
    assignment_status,
    auto_assign,
    cancel_assignment,
)
from registry.review.models import Review
from registry.review.reviews import (
    accept_assignment,
    decline_assignment,
    submit_review,
)
from registry.review.visibility import visible_reviews
from tests.conftest import bearer, csrf_token, post_form

from .review_world import MET, SPLIT, UNMET_C3, in_review, make_rubric, score

D = dt.date(2031, 3, 1)
NOW = dt.datetime(2031, 3, 2, 9, 0, tzinfo=dt.UTC)


# --- status, derived from dates and flags -----------------------------------------------------


def _assignment(**kw):
    values = {
        "round": 1,
        "response_due": D,
        "review_due": D + dt.timedelta(days=14),
        "accepted_at": None,
        "declined_at": None,
        "cancelled_at": None,
        "reviews": [],
        "submission": SimpleNamespace(state="in_review", round=1),
    }
    values.update(kw)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("fields", "today", "expected"),
    [
        ({}, D - dt.timedelta(days=6), "awaiting"),
        ({}, D, "awaiting"),  # the due day itself is still in time
        ({}, D + dt.timedelta(days=1), "overdue"),
        ({"accepted_at": NOW}, D + dt.timedelta(days=1), "accepted"),
        ({"accepted_at": NOW}, D + dt.timedelta(days=14), "accepted"),
        ({"accepted_at": NOW}, D + dt.timedelta(days=15), "overdue"),
        ({"accepted_at": NOW, "reviews": ["r"]}, D + dt.timedelta(days=99), "submitted"),
        ({"declined_at": NOW}, D + dt.timedelta(days=99), "declined"),
        ({"accepted_at": NOW, "declined_at": NOW}, D, "declined"),
        ({"cancelled_at": NOW}, D, "cancelled"),
        ({"cancelled_at": NOW, "declined_at": NOW}, D, "cancelled"),
        # The round ended without this review: nothing more is expected of the reviewer.
        ({"submission": SimpleNamespace(state="decision_pending", round=1)}, D, "cancelled"),
        ({"submission": SimpleNamespace(state="in_review", round=2)}, D, "cancelled"),
        (
            {"reviews": ["r"], "submission": SimpleNamespace(state="published", round=1)},
            D,
            "submitted",
        ),
    ],
)
def test_status_is_derived_from_dates_and_flags(fields, today, expected) -> None:
    assert assignment_status(_assignment(**fields), today) == expected


# --- a world with one submission in review -------------------------------------------------


@pytest.fixture()
def world(db_session, factory):
    make_rubric(db_session, reviewers=3)
    uni = factory.provider("uni", email_domains=["uni.example"])
    coordinator = factory.user("coordinator")
    reviewers = [
        factory.user("reviewer", email=f"rev{i}@free.example", name=f"Reviewer Person {i}")
        for i in range(1, 6)
    ]
    submission = in_review(db_session, factory, uni, coordinator)
    assignments = assign_reviewers(db_session, submission, reviewers[:3], actor=coordinator)
    return SimpleNamespace(
        uni=uni,
        coordinator=coordinator,
        reviewers=reviewers,
        submission=submission,
        assignments=assignments,
    )


def test_accepting_needs_an_explicit_answer(db_session, world) -> None:
    a = world.assignments[0]
    for silent in (None, "", "   ", 7, ["none"]):
        with pytest.raises(ValidationError) as refused:
            accept_assignment(db_session, a, silent, actor=a.reviewer)
        assert refused.value.errors[0].field == "competing_interests"
        assert a.accepted_at is None

    accept_assignment(db_session, a, " None ", actor=a.reviewer)
    assert a.competing_interests == "none" and a.accepted_at is not None
    assert assignment_status(a, dt.date.today()) == "accepted"
    with pytest.raises(Conflict, match="that is accepted"):
        accept_assignment(db_session, a, "none", actor=a.reviewer)

    b = world.assignments[1]
    accept_assignment(db_session, b, "I examined at this provider in 2019", actor=b.reviewer)
    assert b.competing_interests == "I examined at this provider in 2019"


def test_only_the_reviewer_may_answer(db_session, world) -> None:
    a, other = world.assignments[0], world.reviewers[4]
    with pytest.raises(NotFound):
        accept_assignment(db_session, a, "none", actor=other)
    with pytest.raises(NotFound):
        decline_assignment(db_session, a, "no", actor=other)
    with pytest.raises(NotFound):
        submit_review(db_session, a, MET, {}, "approve", 3, actor=other)


def test_declining_before_or_after_accepting_but_not_after_submitting(db_session, world) -> None:
    a, b, c = world.assignments
    decline_assignment(db_session, a, "On leave", actor=a.reviewer)
    assert assignment_status(a, dt.date.today()) == "declined"
    assert a.decline_reason == "On leave"
    with pytest.raises(Conflict, match="declined"):
        accept_assignment(db_session, a, "none", actor=a.reviewer)

    accept_assignment(db_session, b, "none", actor=b.reviewer)
    decline_assignment(db_session, b, None, actor=b.reviewer)
    assert assignment_status(b, dt.date.today()) == "declined"

    score(db_session, c, MET)
    with pytest.raises(Conflict, match="submitted"):
        decline_assignment(db_session, c, "changed my mind", actor=c.reviewer)
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(world.submission.id))
    ).all()
    assert actions.count("assignment.decline") == 2 and "review.submit" in actions


def test_scoring_comes_after_accepting(db_session, world) -> None:
    a = world.assignments[0]
    with pytest.raises(Conflict, match="accept"):
        submit_review(db_session, a, MET, {}, "approve", 3, actor=a.reviewer)


@pytest.mark.parametrize(
    ("scores", "comments", "recommendation", "confidence", "fields"),
    [
        ({"C1": 2, "C2": 2}, {}, "approve", 3, {"scores.C3"}),
        ({"C1": 2, "C2": 2, "C3": 4}, {}, "approve", 3, {"scores.C3"}),
        ({"C1": 2, "C2": 2, "C3": "2"}, {}, "approve", 3, {"scores.C3"}),
        ({"C1": 2, "C2": 2, "C3": True}, {}, "approve", 3, {"scores.C3"}),
        ({**MET, "C9": 2}, {}, "approve", 3, {"scores.C9"}),
        ({**MET}, {"C9": "?"}, "approve", 3, {"comments.C9"}),
        (UNMET_C3, {}, "revise", 3, {"comments.C3"}),
        (UNMET_C3, {"C3": "   "}, "revise", 3, {"comments.C3"}),
        (UNMET_C3, {"C3": 5}, "revise", 3, {"comments.C3"}),
        (MET, {}, "accept", 3, {"recommendation"}),
        (MET, {}, None, 3, {"recommendation"}),
        (MET, {}, "approve", 0, {"confidence"}),
        (MET, {}, "approve", 6, {"confidence"}),
        (MET, {}, "approve", "5", {"confidence"}),
        (MET, {}, "approve", None, {"confidence"}),
        (None, [], "maybe", 9, {"scores", "comments", "recommendation", "confidence"}),
        ({}, {}, "approve", 3, {"scores.C1", "scores.C2", "scores.C3"}),
    ],
)
def test_scoring_is_refused_whole_with_every_problem(
    db_session, world, scores, comments, recommendation, confidence, fields
) -> None:
    a = world.assignments[0]
    accept_assignment(db_session, a, "none", actor=a.reviewer)

    with pytest.raises(ValidationError) as refused:
        submit_review(db_session, a, scores, comments, recommendation, confidence, actor=a.reviewer)

    assert {e.field for e in refused.value.errors} == fields
    assert db_session.scalar(select(func.count()).select_from(Review)) == 0


def test_a_comment_is_required_only_below_met(db_session, world) -> None:
    a = world.assignments[0]
    accept_assignment(db_session, a, "none", actor=a.reviewer)

    review = submit_review(
        db_session,
        a,
        UNMET_C3,
        {"C3": " No guidance page ", "C1": ""},
        "revise",
        2,
        actor=a.reviewer,
    )

    assert review.scores == UNMET_C3
    assert review.comments == {"C3": "No guidance page"}
    assert assignment_status(a, dt.date.today()) == "submitted"


def test_revising_makes_a_new_version_and_keeps_the_old(db_session, world) -> None:
    a = world.assignments[0]
    first = score(db_session, a, MET)
    second = submit_review(
        db_session, a, UNMET_C3, {"C3": "On reflection, no"}, "revise", 5, actor=a.reviewer
    )

    assert (first.number, second.number) == (1, 2)
    assert [r.scores for r in a.reviews] == [MET, UNMET_C3]
    events = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("review.%"))
    ).all()
    assert events == ["review.submit", "review.revise"]


def test_quorum_moves_the_submission_to_its_decision(db_session, world) -> None:
    a, b, c = world.assignments
    score(db_session, a, MET)
    score(db_session, b, MET)
    assert world.submission.state == "in_review"

    score(db_session, c, MET)

    assert world.submission.state == "decision_pending"
    completed = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "submission.complete_reviews")
    ).all()
    assert len(completed) == 1 and completed[0].actor_role == "system"
    # A reviewer may still revise until the decision; that does not complete the round twice.
    submit_review(db_session, c, MET, {}, "approve", 2, actor=c.reviewer)
    assert world.submission.state == "decision_pending"


def test_disagreement_adds_one_extra_reviewer_and_raises_the_quorum(db_session, world) -> None:
    a, b, c = world.assignments
    score(db_session, a, MET)
    score(db_session, b, SPLIT, recommendation="reject")

    extras = [x for x in world.submission.assignments if x.extra]
    assert len(extras) == 1 and extras[0].automatic
    assert extras[0].reviewer_id not in {r.id for r in world.reviewers[:3]}
    assert extras[0].response_due > dt.date.today()
    extra_event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.create", AuditEvent.reason != "")
    ).one()
    assert "C1" in extra_event.reason and extra_event.actor_role == "system"

    score(db_session, c, SPLIT, recommendation="reject")  # flags persist: no second extra
    assert sum(x.extra for x in world.submission.assignments) == 1
    assert world.submission.state == "in_review"

    score(db_session, extras[0], MET)
    assert world.submission.state == "decision_pending"


def test_an_extra_reviewer_who_declines_leaves_the_round_complete(db_session, world) -> None:
    a, b, c = world.assignments
    score(db_session, a, MET)
    score(db_session, b, SPLIT)
    score(db_session, c, MET)
    [extra] = [x for x in world.submission.assignments if x.extra]
    assert world.submission.state == "in_review"

    decline_assignment(db_session, extra, "Not my field", actor=extra.reviewer)

    assert world.submission.state == "decision_pending"


def test_cancelling_the_extra_reviewer_completes_the_round(db_session, world) -> None:
    a, b, c = world.assignments
    score(db_session, a, MET)
    score(db_session, b, SPLIT)
    score(db_session, c, MET)
    [extra] = [x for x in world.submission.assignments if x.extra]

    cancel_assignment(db_session, extra, "No answer", actor=world.coordinator)

    assert world.submission.state == "decision_pending"


def test_with_nobody_left_to_ask_a_disagreement_still_completes(db_session, world) -> None:
    for spare in world.reviewers[3:]:
        spare.active = False
    a, b, c = world.assignments
    score(db_session, a, MET)
    score(db_session, b, SPLIT)
    score(db_session, c, MET)

    assert not any(x.extra for x in world.submission.assignments)
    assert world.submission.state == "decision_pending"


def test_a_declined_place_is_refilled_and_the_round_waits_for_it(db_session, world) -> None:
    a, b, c = world.assignments
    decline_assignment(db_session, a, None, actor=a.reviewer)
    score(db_session, b, MET)
    score(db_session, c, MET)
    assert world.submission.state == "in_review"

    [refill] = auto_assign(db_session, actor=world.coordinator)
    score(db_session, refill, MET)

    assert world.submission.state == "decision_pending"


# --- blindness -----------------------------------------------------------------------------


def test_reviews_stay_hidden_until_ones_own_is_in(db_session, world) -> None:
    a, b, _ = world.assignments
    score(db_session, a, UNMET_C3, recommendation="revise")

    assert visible_reviews(db_session, world.submission, b.reviewer) == []
    accept_assignment(db_session, b, "none", actor=b.reviewer)
    assert visible_reviews(db_session, world.submission, b.reviewer) == []

    score(db_session, b, MET)
    seen = visible_reviews(db_session, world.submission, b.reviewer)
    assert [(r["label"], r["own"]) for r in seen] == [("Reviewer 1", False), ("Reviewer 2", True)]
    assert seen[0]["comments"] == {"C3": "C3 needs work"}
    assert all("reviewer" not in r and "assignment" not in r for r in seen)
    # The coordinator reads every review with its author.
    full = visible_reviews(db_session, world.submission, world.coordinator)
    assert [r["reviewer"]["email"] for r in full] == [a.reviewer.email, b.reviewer.email]


def test_the_review_page_is_blind_before_submission(client, auth, db_session, world) -> None:
    a, b, _ = world.assignments
    score(db_session, a, UNMET_C3, recommendation="revise")
    accept_assignment(db_session, b, "none", actor=b.reviewer)
    db_session.commit()
    auth.login(b.reviewer)
    url = f"/reviews/{b.id}"

    before = client.get(url).get_data(as_text=True)
    assert "C3 needs work" not in before
    assert "stay hidden until you submit your own" in before

    response = post_form(
        client,
        url,
        {
            "score_0": "2",
            "score_1": "3",
            "score_2": "2",
            "recommendation": "approve",
            "confidence": "4",
        },
    )
    assert response.status_code == 302
    after = client.get(url).get_data(as_text=True)
    assert "C3 needs work" in after and "Reviewer 1" in after
    assert a.reviewer.name not in after and a.reviewer.email not in after


def test_the_review_api_is_blind_before_submission(app, db_session, world) -> None:
    from registry.auth.services import create_token

    a, b, _ = world.assignments
    score(db_session, a, UNMET_C3, recommendation="revise")
    _, secret = create_token(db_session, b.reviewer, "api")
    db_session.commit()
    api, headers = app.test_client(), bearer(secret)

    accepted = api.post(
        f"/api/v1/reviews/{b.id}/accept", json={"competing_interests": "none"}, headers=headers
    )
    assert accepted.status_code == 200
    before = api.get(f"/api/v1/reviews/{b.id}", headers=headers).get_json()
    assert before["reviews"] == [] and before["status"] == "accepted"
    assert "C3 needs work" not in str(before)

    submitted = api.post(
        f"/api/v1/reviews/{b.id}/submit",
        json={"scores": MET, "recommendation": "approve", "confidence": 4},
        headers=headers,
    )
    assert submitted.status_code == 201
    after = api.get(f"/api/v1/reviews/{b.id}", headers=headers).get_json()
    assert [r["label"] for r in after["reviews"]] == ["Reviewer 1", "Reviewer 2"]
    assert after["reviews"][0]["comments"] == {"C3": "C3 needs work"}
    assert a.reviewer.email not in str(after) and a.reviewer.name not in str(after)


# --- pages ---------------------------------------------------------------------------------


def test_the_queue_shows_derived_statuses_and_due_dates(client, auth, db_session, world) -> None:
    reviewer = world.assignments[0].reviewer
    db_session.commit()
    auth.login(reviewer)

    page = client.get("/reviews/").get_data(as_text=True)

    assert world.submission.version.title in page
    assert "awaiting" in page and "Answer by" in page
    assert world.assignments[0].response_due.strftime("%d %b %Y") in page

    other = world.reviewers[4]
    auth.logout()
    auth.login(other)
    assert "No review requests yet" in client.get("/reviews/").get_data(as_text=True)


def test_the_accept_form_wants_an_explicit_answer(client, auth, db_session, world) -> None:
    a = world.assignments[0]
    db_session.commit()
    auth.login(a.reviewer)
    url = f"/reviews/{a.id}/accept"

    silent = post_form(client, url, {})
    assert silent.status_code == 422
    assert "leaving it blank is not" in silent.get_data(as_text=True)
    unexplained = post_form(client, url, {"competing": "declare", "statement": " "})
    assert unexplained.status_code == 422
    assert "Describe the competing interest" in unexplained.get_data(as_text=True)
    db_session.expire_all()
    assert a.accepted_at is None

    accepted = post_form(client, url, {"competing": "none"})
    assert accepted.status_code == 302
    db_session.expire_all()
    assert a.competing_interests == "none"


def test_the_scoring_form_shows_every_criterion_and_places_errors(
    client, auth, db_session, world
) -> None:
    a = world.assignments[0]
    accept_assignment(db_session, a, "none", actor=a.reviewer)
    db_session.commit()
    auth.login(a.reviewer)
    url = f"/reviews/{a.id}"

    form = client.get(url).get_data(as_text=True)
    for code in ("C1", "C2", "C3"):
        assert f"Guidance for {code}." in form
    assert form.count('type="radio"') == 3 * 4 + 3 + 5
    assert "essential" in form

    refused = post_form(
        client, url, {"score_0": "2", "score_2": "0", "recommendation": "revise", "confidence": "3"}
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "choose a level" in text and "this level is below met" in text
    assert db_session.scalar(select(func.count()).select_from(Review)) == 0

    sent = post_form(
        client,
        url,
        {
            "score_0": "2",
            "score_1": "2",
            "score_2": "0",
            "comment_2": "No guidance for learners",
            "recommendation": "revise",
            "confidence": "3",
        },
    )
    assert sent.status_code == 302
    db_session.expire_all()
    assert a.reviews[0].comments == {"C3": "No guidance for learners"}


def test_a_declined_assignment_cannot_be_scored_by_post(client, auth, db_session, world) -> None:
    a = world.assignments[0]
    decline_assignment(db_session, a, None, actor=a.reviewer)
    db_session.commit()
    auth.login(a.reviewer)
    token = csrf_token(client, "/reviews/")

    response = client.post(f"/reviews/{a.id}", data={"csrf_token": token, "score_0": "2"})

    assert response.status_code == 409


def test_the_decline_page(client, auth, db_session, world) -> None:
    a = world.assignments[0]
    db_session.commit()
    auth.login(a.reviewer)

    response = post_form(client, f"/reviews/{a.id}/decline", {"reason": "Travelling"})

    assert response.status_code == 302
    db_session.expire_all()
    assert a.decline_reason == "Travelling"


def test_the_reviews_api(app, db_session, world) -> None:
    from registry.auth.services import create_token

    a = world.assignments[0]
    _, secret = create_token(db_session, a.reviewer, "api")
    db_session.commit()
    api, headers = app.test_client(), bearer(secret)

    listed = api.get("/api/v1/reviews", headers=headers).get_json()["items"]
    assert [(i["id"], i["status"]) for i in listed] == [(a.id, "awaiting")]
    assert "reviewer" not in listed[0]

    missing = api.post(f"/api/v1/reviews/{a.id}/accept", json={}, headers=headers)
    assert missing.status_code == 422
    assert missing.get_json()["error"]["errors"][0]["field"] == "competing_interests"
    early = api.post(f"/api/v1/reviews/{a.id}/submit", json={}, headers=headers)
    assert early.status_code == 409
    api.post(
        f"/api/v1/reviews/{a.id}/accept", json={"competing_interests": "none"}, headers=headers
    )

    refused = api.post(
        f"/api/v1/reviews/{a.id}/submit",
        json={"scores": UNMET_C3, "recommendation": "revise", "confidence": 9},
        headers=headers,
    )
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.get_json()["error"]["errors"]}
    assert fields == {"comments.C3", "confidence"}

    not_mine = world.assignments[1].id
    assert api.get(f"/api/v1/reviews/{not_mine}", headers=headers).status_code == 404
    assert api.post(
        f"/api/v1/reviews/{not_mine}/decline", json={}, headers=headers
    ).status_code == (404)
    declined = api.post(f"/api/v1/reviews/{a.id}/decline", json={"reason": 5}, headers=headers)
    assert declined.status_code == 422
    assert api.post(f"/api/v1/reviews/{a.id}/decline", json={}, headers=headers).status_code == 200
    assert api.get("/api/v1/reviews", headers=headers).get_json()["items"][0]["status"] == (
        "declined"
    )


def test_openapi_describes_the_review_endpoints(app, client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    mine = [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and ("/reviews" in rule.rule or rule.rule.endswith("/assign"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    ]
    assert len(mine) == 6
    for rule, method in mine:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))
        assert method.lower() in paths[path], f"{method} {path} is not documented"
    submit = paths["/reviews/{assignment_id}/submit"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["recommendation"]["enum"] == ["approve", "revise", "reject"]
