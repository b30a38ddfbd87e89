"""Submissions end to end: the mandatory-element check, decisions and their requirements,
publication and what stacking counts, new versions of published credentials, revision
deadlines, masking by role, notices and the event record."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.auth.services import create_token
from registry.credentials import catalogue
from registry.credentials.models import Credential, CredentialVersion
from registry.credentials.services import update_credential
from registry.errors import Conflict, PermissionDenied, ValidationError
from registry.review.models import OutboxMessage, Submission
from registry.review.services import (
    expire_overdue_revisions,
    missing_elements,
    submit_credential,
    take_action,
)
from tests.conftest import bearer, csrf_token, post_form
from tests.review.submission_helpers import (
    ALL_MET,
    COMPLETE,
    NONE_MET,
    add_review,
    event_count,
    make_rubric,
    submission_events,
)

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    """Each test rolls its catalogue revision back, so a cached catalogue could look current."""
    catalogue._cache.clear()
    yield
    catalogue._cache.clear()


@pytest.fixture()
def world(factory, db_session) -> dict[str, Any]:
    own = factory.provider("uni-own", name="Own University", email_domains=["uni-own.example"])
    other = factory.provider("uni-other", name="Other College")
    users = {
        "staff_own": factory.user("provider", provider=own, name="Sam Staff"),
        "staff_other": factory.user("provider", provider=other, name="Olga Other"),
        "coordinator": factory.user("coordinator", name="Cora Coordinator"),
        "coordinator_own": factory.user("coordinator", provider=own, name="Carl Colleague"),
        "reviewer_1": factory.user(
            "reviewer", name="Rhiannon Quillfeather", email="rhiannon@reviewers.example"
        ),
        "reviewer_2": factory.user(
            "reviewer", name="Bartholomew Inkwright", email="bart@inkwright.example"
        ),
        "reviewer_3": factory.user(
            "reviewer", name="Ysolde Marginalia", email="ysolde@marginalia.example"
        ),
        "learner": factory.user("learner"),
        "admin": factory.user("admin"),
    }
    rubric = make_rubric(db_session)
    micro = factory.credential(own, "micro", title="Data analysis micro-credential", **COMPLETE)
    tokens = {role: bearer(create_token(db_session, u, "api")[1]) for role, u in users.items()}
    db_session.commit()
    return {"users": users, "tokens": tokens, "rubric": rubric, "micro": micro, "own": own}


def decision_pending(session, world, credential=None, scores=(ALL_MET, ALL_MET)) -> Submission:
    """Submit, send to review, two reviews in, quorum: ready for a decision (via the services)."""
    users = world["users"]
    credential = credential or world["micro"]
    submission = submit_credential(session, credential, actor=users["staff_own"])
    take_action(session, submission, "send_to_review", actor=users["coordinator"])
    for reviewer, score in zip(("reviewer_1", "reviewer_2"), scores, strict=False):
        add_review(session, submission, users[reviewer], score)
    take_action(
        session, submission, "complete_reviews", actor=None, system=True, facts={"quorum": True}
    )
    session.commit()
    return submission


def counts(session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Submission)),
        event_count(session),
        session.scalar(select(func.count()).select_from(OutboxMessage)),
    )


# --- mandatory elements and submit ----------------------------------------------------------


def test_missing_elements_names_every_mandatory_element_in_order(factory, world):
    bare = factory.credential(world["own"], "bare", title="Bare")
    assert missing_elements(bare.current) == [
        "learning_outcomes",
        "credits",
        "level",
        "assessment_type",
        "participation_form",
        "quality_assurance",
        "languages",
        "subjects",
    ]
    assert missing_elements(world["micro"].current) == []


def test_zero_credits_or_blank_text_count_as_missing(factory, world):
    thin = factory.credential(
        world["own"], "thin", title="Thin", **{**COMPLETE, "credits": 0, "assessment_type": " "}
    )
    assert missing_elements(thin.current) == ["credits", "assessment_type"]


def test_submit_with_missing_elements_is_refused_and_changes_nothing(factory, world, db_session):
    bare = factory.credential(world["own"], "bare", title="Bare", credits=5, level=6)
    before = counts(db_session)
    with pytest.raises(ValidationError) as caught:
        submit_credential(db_session, bare, actor=world["users"]["staff_own"])
    assert [e.field for e in caught.value.errors] == [
        "learning_outcomes",
        "assessment_type",
        "participation_form",
        "quality_assurance",
        "languages",
        "subjects",
    ]
    assert "learning outcomes is required before review" in str(caught.value)
    assert counts(db_session) == before and bare.current.status == "draft"


def test_api_submit_answers_422_with_each_missing_element(client, factory, world, db_session):
    factory.credential(world["own"], "bare", title="Bare")
    db_session.commit()
    before = counts(db_session)
    response = client.post("/api/v1/credentials/bare/submit", headers=world["tokens"]["staff_own"])
    assert response.status_code == 422
    errors = response.get_json()["error"]["errors"]
    assert {e["field"] for e in errors} == {
        "learning_outcomes",
        "credits",
        "level",
        "assessment_type",
        "participation_form",
        "quality_assurance",
        "languages",
        "subjects",
    }
    assert all("required before review" in e["message"] for e in errors)
    assert counts(db_session) == before


def test_api_submit_creates_a_submission_and_tells_the_coordinators(client, world, db_session):
    response = client.post("/api/v1/credentials/micro/submit", headers=world["tokens"]["staff_own"])
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/submissions/{body['id']}"
    assert body["state"] == "submitted" and body["round"] == 1 and body["version"] == 1
    assert body["allowed_actions"] == ["withdraw"]
    db_session.expire_all()
    assert db_session.get(Credential, "micro").current.status == "submitted"
    [event] = submission_events(db_session, db_session.get(Submission, body["id"]))
    assert (event.action, event.actor_role, event.from_state, event.to_state) == (
        "submission.submit",
        "provider",
        "draft",
        "submitted",
    )
    assert event.actor_id == world["users"]["staff_own"].id
    # The coordinator who may decide hears of it; the one of the same provider does not.
    notified = set(db_session.scalars(select(OutboxMessage.to_address)))
    assert world["users"]["coordinator"].email in notified
    assert world["users"]["coordinator_own"].email not in notified
    assert world["users"]["staff_own"].email not in notified  # who submitted knows


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_other", 403),
        ("coordinator", 403),
        ("coordinator_own", 403),
        ("reviewer_1", 403),
        ("learner", 403),
        ("admin", 403),
    ],
)
def test_only_the_providers_staff_submit(client, world, db_session, who, status):
    before = counts(db_session)
    response = client.post("/api/v1/credentials/micro/submit", headers=world["tokens"][who])
    assert response.status_code == status
    assert counts(db_session) == before


def test_submitting_twice_is_a_conflict(client, world, db_session):
    headers = world["tokens"]["staff_own"]
    assert client.post("/api/v1/credentials/micro/submit", headers=headers).status_code == 201
    before = counts(db_session)
    response = client.post("/api/v1/credentials/micro/submit", headers=headers)
    assert response.status_code == 409
    assert counts(db_session) == before


def test_returned_as_incomplete_goes_back_through_the_same_submission(client, world, db_session):
    users, tokens = world["users"], world["tokens"]
    submission = submit_credential(db_session, world["micro"], actor=users["staff_own"])
    db_session.commit()
    response = client.post(
        f"/api/v1/submissions/{submission.id}/actions/return_incomplete",
        json={},
        headers=tokens["coordinator"],
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"] == [
        {"field": "reason", "message": "a reason is required"}
    ]
    response = client.post(
        f"/api/v1/submissions/{submission.id}/actions/return_incomplete",
        json={"reason": "The outcomes are not measurable"},
        headers=tokens["coordinator"],
    )
    assert response.status_code == 200 and response.get_json()["state"] == "draft"
    # The draft changes in place (no decision was taken on it) and goes back in.
    update_credential(
        db_session, world["micro"], {"title": "Better", **COMPLETE}, actor=users["staff_own"]
    )
    db_session.commit()
    assert len(world["micro"].versions) == 1
    response = client.post("/api/v1/credentials/micro/submit", headers=tokens["staff_own"])
    assert response.status_code == 200
    assert response.get_json()["id"] == submission.id
    assert response.get_json()["state"] == "submitted"


# --- the submit button -----------------------------------------------------------------------


def test_the_credential_page_offers_submit_to_its_staff_only(client, auth, factory, world):
    factory.credential(world["own"], "bare", title="Bare")
    auth.login(world["users"]["staff_own"])
    page = client.get("/credentials/micro").get_data(as_text=True)
    assert "Submit for review" in page and "/credentials/micro/submit" in page
    page = client.get("/credentials/bare").get_data(as_text=True)
    assert "/credentials/bare/submit" not in page
    assert "fill in: learning outcomes, notional workload (credits), level (EQF/NQF)" in page
    auth.logout()
    auth.login(world["users"]["coordinator"])
    assert "Submit for review" not in client.get("/credentials/micro").get_data(as_text=True)


def test_the_submit_button_submits_and_opens_the_submission(client, auth, world, db_session):
    auth.login(world["users"]["staff_own"])
    response = post_form(client, "/credentials/micro/submit", {}, form_url="/credentials/micro")
    submission = db_session.scalar(select(Submission))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/review/submissions/{submission.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Submitted Data analysis micro-credential for review" in page
    assert "Withdraw the submission" in page
    page = client.get("/credentials/micro").get_data(as_text=True)
    assert "Quality review of version 1" in page and "Submit for review" not in page


def test_the_submit_button_with_missing_elements_lists_them_and_saves_nothing(
    client, auth, factory, world, db_session
):
    factory.credential(world["own"], "bare", title="Bare")
    auth.login(world["users"]["staff_own"])
    before = counts(db_session)
    response = post_form(client, "/credentials/bare/submit", {}, form_url="/credentials/bare")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "learning outcomes is required before review" in page
    assert "subject(s) is required before review" in page
    assert counts(db_session) == before


# --- the whole way, by API -------------------------------------------------------------------


def test_the_whole_way_by_api_publishes_and_stacking_counts_it(client, factory, world, db_session):
    users, tokens = world["users"], world["tokens"]
    factory.credential(
        world["own"],
        "qual",
        title="Data certificate",
        type="certificate",
        requirements={"credential": "micro"},
        **COMPLETE,
    )
    db_session.commit()
    wallet = {"wallet": [{"credential": "micro", "earned_on": "2025-01-10"}]}
    before = client.post("/api/v1/evaluate", json=wallet).get_json()
    assert [c["qualification"] for c in before["completed"]] == []

    response = client.post("/api/v1/credentials/qual/submit", headers=tokens["staff_own"])
    sid = response.get_json()["id"]
    url = f"/api/v1/submissions/{sid}"
    response = client.post(f"{url}/actions/send_to_review", headers=tokens["coordinator"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "in_review"
    assert body["rubric_version"] == {
        "id": world["rubric"].id,
        "rubric": "Test rubric",
        "number": 1,
    }
    db_session.expire_all()
    assert world["rubric"].frozen  # pinned: it never changes now
    submission = db_session.get(Submission, sid)
    add_review(db_session, submission, users["reviewer_1"], ALL_MET)
    add_review(db_session, submission, users["reviewer_2"], {**ALL_MET, "T1": 2})
    take_action(
        db_session, submission, "complete_reviews", actor=None, system=True, facts={"quorum": True}
    )
    db_session.commit()

    body = client.get(url, headers=tokens["coordinator"]).get_json()
    assert body["state"] == "decision_pending"
    assert body["aggregate"]["passes"] is True and body["aggregate"]["recommendation"] == "approve"
    assert body["flags"] == []
    assert "approve" in body["allowed_actions"] and "reject" in body["allowed_actions"]

    response = client.post(f"{url}/actions/approve", headers=tokens["coordinator"])
    assert response.status_code == 200 and response.get_json()["state"] == "published"
    db_session.expire_all()
    qual = db_session.get(Credential, "qual")
    assert qual.published is qual.current and qual.published.status == "published"
    stored = db_session.get(Submission, sid)
    assert stored.recommendation["recommendation"] == "approve"
    assert stored.decided_by_id == users["coordinator"].id and stored.decision == "approve"
    after = client.post("/api/v1/evaluate", json=wallet).get_json()
    assert [c["qualification"] for c in after["completed"]] == ["qual"]
    assert client.get("/api/v1/credentials/qual").status_code == 200  # public now


def test_the_coordinator_page_shows_aggregate_flags_and_every_allowed_action(
    client, auth, world, db_session
):
    submission = decision_pending(db_session, world, scores=(ALL_MET, NONE_MET))
    auth.login(world["users"]["coordinator"])
    page = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    # Half the reviews meet each criterion, so all count as met, yet the two disagree.
    assert "Reviewers disagree" in page and "<strong>passes</strong>" in page
    for label in ("Approve and publish", "Request revisions", "Reject"):
        assert f">{label}</button>" in page
    assert "Withdraw the submission" not in page  # the provider's action, not QA's
    assert "Rhiannon Quillfeather" in page  # coordinators see who reviewed
    assert ticked(page) == []  # every criterion is met, so none starts ticked


def ticked(page: str) -> list[str]:
    """The criteria ticked in the request-revisions form."""
    boxes = re.findall(r'<input[^>]*name="request_revisions-unmet_criteria"[^>]*>', page)
    assert boxes, "no criteria boxes on the page"
    return [re.search(r'value="([^"]+)"', box).group(1) for box in boxes if " checked" in box]


def test_the_decision_form_refuses_with_reasons_and_changes_nothing(
    client, auth, world, db_session
):
    submission = decision_pending(db_session, world, scores=(NONE_MET, NONE_MET))
    auth.login(world["users"]["coordinator"])
    url = f"/review/submissions/{submission.id}"
    # The criteria the reviews found unmet start ticked.
    assert ticked(client.get(url).get_data(as_text=True)) == ["Q1", "T1", "R1"]
    before = (submission.state, submission.lock_version, event_count(db_session, submission))
    response = post_form(
        client,
        f"{url}/actions/request_revisions",
        {
            "request_revisions-deadline": TODAY.isoformat(),
            "request_revisions-unmet_criteria": ["Q1", "ZZ9"],
        },
        form_url=url,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "must be after today" in page and "ZZ9" in page and "Nothing was changed" in page
    # Overriding the recommendation (reject) without a reason is refused too.
    response = post_form(client, f"{url}/actions/approve", {}, form_url=url)
    assert response.status_code == 422
    assert "overriding the recommendation (reject) needs a reason" in response.get_data(
        as_text=True
    )
    db_session.expire_all()
    submission = db_session.get(Submission, submission.id)
    assert (submission.state, submission.lock_version, event_count(db_session, submission)) == (
        before
    )
    response = post_form(
        client,
        f"{url}/actions/request_revisions",
        {
            "request_revisions-deadline": (TODAY + dt.timedelta(days=10)).isoformat(),
            "request_revisions-unmet_criteria": ["Q1"],
            "request_revisions-reason": "Make the assessment match the outcomes",
        },
        form_url=url,
    )
    assert response.status_code == 302
    db_session.expire_all()
    submission = db_session.get(Submission, submission.id)
    assert submission.state == "revisions_requested"
    assert submission.revision_deadline == TODAY + dt.timedelta(days=10)
    assert submission.unmet_criteria == ["Q1"]
    assert submission.recommendation["recommendation"] == "reject"


def test_request_revisions_by_api_checks_every_field_at_once(client, world, db_session):
    submission = decision_pending(db_session, world)
    url = f"/api/v1/submissions/{submission.id}/actions/request_revisions"
    headers = world["tokens"]["coordinator"]
    before = (submission.lock_version, event_count(db_session))
    cases = [
        ({}, {"deadline", "unmet_criteria"}),
        ({"deadline": "next week", "unmet_criteria": ["Q1"]}, {"deadline"}),
        ({"deadline": TODAY.isoformat(), "unmet_criteria": ["Q1"]}, {"deadline"}),
        ({"deadline": "2999-01-01", "unmet_criteria": "Q1"}, {"unmet_criteria"}),
        ({"deadline": "2999-01-01", "unmet_criteria": ["Q1", "nope"]}, {"unmet_criteria"}),
        ({"deadline": "2999-01-01", "unmet_criteria": ["Q1"], "colour": "red"}, {"colour"}),
        ({"deadline": 20990101, "unmet_criteria": ["Q1"]}, {"deadline"}),
    ]
    for body, fields in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert {e["field"] for e in response.get_json()["error"]["errors"]} == fields, body
    assert client.post(url, data="[1]", headers=headers).status_code == 422
    db_session.expire_all()
    assert (db_session.get(Submission, submission.id).lock_version, event_count(db_session)) == (
        before
    )
    response = client.post(
        url, json={"deadline": "2999-01-01", "unmet_criteria": ["T1", "R1"]}, headers=headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "revisions_requested"
    assert body["revision_deadline"] == "2999-01-01"
    assert body["unmet_criteria"] == ["T1", "R1"]


@pytest.mark.parametrize("action", ["reject", "suspend", "desk_reject"])
def test_actions_that_need_a_reason_refuse_without_one(client, world, db_session, action):
    if action == "desk_reject":
        submission = submit_credential(
            db_session, world["micro"], actor=world["users"]["staff_own"]
        )
    else:
        submission = decision_pending(db_session, world)
        if action == "suspend":
            take_action(db_session, submission, "approve", actor=world["users"]["coordinator"])
    db_session.commit()
    url = f"/api/v1/submissions/{submission.id}/actions/{action}"
    before = (submission.state, submission.lock_version, event_count(db_session))
    response = client.post(url, json={"reason": "  "}, headers=world["tokens"]["coordinator"])
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"][0]["field"] == "reason"
    db_session.expire_all()
    submission = db_session.get(Submission, submission.id)
    assert (submission.state, submission.lock_version, event_count(db_session)) == before


def test_unknown_action_is_404_and_system_actions_are_403(client, world, db_session):
    submission = decision_pending(db_session, world)
    headers = world["tokens"]["coordinator"]
    base = f"/api/v1/submissions/{submission.id}/actions"
    assert client.post(f"{base}/publish_now", headers=headers).status_code == 404
    assert client.post(f"{base}/complete_reviews", headers=headers).status_code == 403
    assert client.post(f"{base}/expire_revisions", headers=headers).status_code == 403
    assert client.post(
        "/api/v1/submissions/999999/actions/approve", headers=headers
    ).status_code == (404)


def test_a_coordinator_of_the_same_provider_is_told_why_not(client, world, db_session):
    submission = decision_pending(db_session, world)
    response = client.post(
        f"/api/v1/submissions/{submission.id}/actions/approve",
        headers=world["tokens"]["coordinator_own"],
    )
    assert response.status_code == 403
    assert "provider they belong to" in response.get_json()["error"]["message"]


# --- a published credential changes through a new version ----------------------------------


def test_editing_a_published_credential_makes_a_new_version_under_review(
    client, factory, world, db_session
):
    users, tokens = world["users"], world["tokens"]
    first = decision_pending(db_session, world)
    take_action(db_session, first, "approve", actor=users["coordinator"])
    db_session.commit()
    micro = world["micro"]
    assert micro.published.number == 1

    response = client.patch(
        "/api/v1/credentials/micro",
        json={"title": "Data analysis, 2nd edition"},
        headers=tokens["staff_own"],
    )
    assert response.status_code == 200
    assert response.get_json()["version"] == 2 and response.get_json()["status"] == "draft"
    db_session.expire_all()
    micro = db_session.get(Credential, "micro")
    assert [(v.number, v.status) for v in micro.versions] == [(1, "published"), (2, "draft")]
    assert micro.published.number == 1 and micro.current.number == 2
    public = client.get("/api/v1/credentials/micro").get_json()
    assert public["title"] == "Data analysis micro-credential" and public["version"] == 1

    second = decision_pending(db_session, world, credential=micro)
    assert second.id != first.id and second.version.number == 2
    assert client.get("/api/v1/credentials/micro").get_json()["version"] == 1  # still
    response = client.post(
        f"/api/v1/submissions/{second.id}/actions/approve", headers=tokens["coordinator"]
    )
    assert response.status_code == 200
    db_session.expire_all()
    micro = db_session.get(Credential, "micro")
    assert [(v.number, v.status) for v in micro.versions] == [(1, "superseded"), (2, "published")]
    assert micro.published.number == 2
    old = db_session.get(Submission, first.id)
    assert old.state == "superseded"
    assert [e.action for e in submission_events(db_session, old)][-1] == "submission.superseded"
    assert client.get("/api/v1/credentials/micro").get_json()["title"] == (
        "Data analysis, 2nd edition"
    )
    # Nothing leads out of a superseded submission.
    response = client.post(
        f"/api/v1/submissions/{first.id}/actions/suspend",
        json={"reason": "x"},
        headers=tokens["coordinator"],
    )
    assert response.status_code == 409


def test_a_version_in_review_cannot_be_edited(world, db_session):
    submit_credential(db_session, world["micro"], actor=world["users"]["staff_own"])
    with pytest.raises(Conflict, match="in review"):
        update_credential(db_session, world["micro"], {"title": "X"}, actor=None)


def test_withdrawn_then_edited_makes_version_two(client, world, db_session):
    users = world["users"]
    submission = submit_credential(db_session, world["micro"], actor=users["staff_own"])
    take_action(db_session, submission, "send_to_review", actor=users["coordinator"])
    take_action(db_session, submission, "withdraw", actor=users["staff_own"])
    db_session.commit()
    assert submission.state == "withdrawn" and world["micro"].current.status == "withdrawn"
    update_credential(
        db_session, world["micro"], {"title": "Again", **COMPLETE}, actor=users["staff_own"]
    )
    assert [(v.number, v.status) for v in world["micro"].versions] == [
        (1, "withdrawn"),
        (2, "draft"),
    ]


# --- suspend, reinstate, retire --------------------------------------------------------------


def test_suspend_hides_and_reinstate_restores_publication(client, world, db_session):
    users, tokens = world["users"], world["tokens"]
    submission = decision_pending(db_session, world)
    take_action(db_session, submission, "approve", actor=users["coordinator"])
    db_session.commit()
    url = f"/api/v1/submissions/{submission.id}/actions"
    response = client.post(
        f"{url}/suspend",
        json={"reason": "Complaint under investigation"},
        headers=tokens["coordinator"],
    )
    assert response.status_code == 200 and response.get_json()["state"] == "suspended"
    assert client.get("/api/v1/credentials/micro").status_code == 401  # no longer public
    assert client.get("/api/v1/credentials").get_json()["total"] == 0
    response = client.post(f"{url}/reinstate", headers=tokens["coordinator"])
    assert response.status_code == 200 and response.get_json()["state"] == "published"
    assert client.get("/api/v1/credentials/micro").status_code == 200
    response = client.post(f"{url}/retire", headers=tokens["staff_own"])
    assert response.status_code == 200 and response.get_json()["state"] == "retired"
    db_session.expire_all()
    micro = db_session.get(Credential, "micro")
    assert micro.published is None and micro.current.status == "retired"
    actions = [e.action for e in submission_events(db_session, submission)]
    assert actions[-3:] == ["submission.suspend", "submission.reinstate", "submission.retire"]


# --- revision rounds and the deadline --------------------------------------------------------


def revisions_requested(session, world, deadline: dt.date) -> Submission:
    submission = decision_pending(session, world, scores=(NONE_MET, NONE_MET))
    take_action(
        session,
        submission,
        "request_revisions",
        actor=world["users"]["coordinator"],
        facts={"deadline": deadline, "unmet_criteria": ["Q1"], "today": deadline - dt.timedelta(5)},
    )
    session.commit()
    return submission


def test_resubmit_starts_the_next_round(client, world, db_session):
    submission = revisions_requested(db_session, world, TODAY + dt.timedelta(days=14))
    update_credential(
        db_session,
        world["micro"],
        {"title": "Revised", **COMPLETE},
        actor=world["users"]["staff_own"],
    )
    db_session.commit()
    assert len(world["micro"].versions) == 1  # revisions change the submitted version in place
    response = client.post(
        f"/api/v1/submissions/{submission.id}/actions/resubmit",
        headers=world["tokens"]["staff_own"],
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["state"], body["round"]) == ("in_review", 2)
    assert body["rubric_version"]["id"] == world["rubric"].id  # the pinned version stays


def test_expiry_rejects_only_submissions_past_their_deadline(world, db_session, factory):
    deadline = TODAY + dt.timedelta(days=3)
    overdue = revisions_requested(db_session, world, deadline)
    other = factory.credential(world["own"], "other", title="Other", **COMPLETE)
    on_time = decision_pending(db_session, world, credential=other, scores=(NONE_MET, NONE_MET))
    take_action(
        db_session,
        on_time,
        "request_revisions",
        actor=world["users"]["coordinator"],
        facts={"deadline": deadline + dt.timedelta(days=30), "unmet_criteria": ["Q1"]},
    )
    assert expire_overdue_revisions(db_session, deadline) == 0  # the deadline day still counts
    assert expire_overdue_revisions(db_session, deadline + dt.timedelta(days=1)) == 1
    assert (overdue.state, on_time.state) == ("rejected", "revisions_requested")
    event = submission_events(db_session, overdue)[-1]
    assert (event.action, event.actor_id, event.actor_role) == (
        "submission.expire_revisions",
        None,
        "system",
    )
    assert overdue.version.status == "rejected" and overdue.decision == "expire_revisions"
    # Nobody can expire one by hand.
    with pytest.raises(PermissionDenied):
        take_action(db_session, on_time, "expire_revisions", actor=world["users"]["coordinator"])


def test_expire_command(runner, world, db_session):
    submission = revisions_requested(db_session, world, TODAY + dt.timedelta(days=3))
    result = runner.invoke(args=["review", "expire", "--today", TODAY.isoformat()])
    assert result.exit_code == 0 and "Rejected 0 submission(s)" in result.output
    later = (TODAY + dt.timedelta(days=4)).isoformat()
    result = runner.invoke(args=["review", "expire", "--today", later])
    assert result.exit_code == 0 and "Rejected 1 submission(s)" in result.output
    db_session.expire_all()
    assert db_session.get(Submission, submission.id).state == "rejected"
    result = runner.invoke(args=["review", "expire", "--today", "someday"])
    assert result.exit_code != 0 and "someday" in result.output


# --- masking by role -------------------------------------------------------------------------


def reviewer_marks(world) -> list[str]:
    marks = []
    for key in ("reviewer_1", "reviewer_2", "reviewer_3"):
        user = world["users"][key]
        marks += [user.name, user.email, user.email.split("@")[1]]
    return marks


def test_providers_never_see_a_reviewer_in_any_answer(client, auth, world, db_session):
    submission = revisions_requested(db_session, world, TODAY + dt.timedelta(days=9))
    url = f"/api/v1/submissions/{submission.id}"
    body = client.get(url, headers=world["tokens"]["staff_own"]).get_json()
    assert body["state"] == "revisions_requested"
    assert [r["label"] for r in body["reviews"]] == ["Reviewer 1", "Reviewer 2"]
    assert body["aggregate"]["recommendation"] == "reject"
    text = json.dumps(body)
    auth.login(world["users"]["staff_own"])
    pages = [
        client.get(f"/review/submissions/{submission.id}").get_data(as_text=True),
        client.get("/review/submissions/").get_data(as_text=True),
        client.get("/credentials/micro").get_data(as_text=True),
    ]
    for answer in [text, *pages]:
        for mark in reviewer_marks(world):
            assert mark not in answer
    page = pages[0]
    assert "Revisions requested" in page and (TODAY + dt.timedelta(days=9)).isoformat() in page
    assert "Criterion Q1" in page and "Reviewer 1" in page
    # A coordinator of the same provider reads it as the provider does.
    text = json.dumps(client.get(url, headers=world["tokens"]["coordinator_own"]).get_json())
    assert not any(mark in text for mark in reviewer_marks(world))
    # The coordinator who decides sees who reviewed.
    text = json.dumps(client.get(url, headers=world["tokens"]["coordinator"]).get_json())
    assert "Rhiannon Quillfeather" in text and "bart@inkwright.example" in text


def test_a_reviewer_sees_other_reviews_only_after_their_own(client, world, db_session):
    users = world["users"]
    submission = submit_credential(db_session, world["micro"], actor=users["staff_own"])
    take_action(db_session, submission, "send_to_review", actor=users["coordinator"])
    add_review(db_session, submission, users["reviewer_1"], ALL_MET)
    # Reviewer 3 is assigned but has not reviewed yet.
    review = add_review(db_session, submission, users["reviewer_3"], ALL_MET)
    db_session.delete(review)
    db_session.commit()
    url = f"/api/v1/submissions/{submission.id}"
    body = client.get(url, headers=world["tokens"]["reviewer_3"]).get_json()
    assert body["reviews"] == [] and body["aggregate"] is None
    assert [a["reviewer"]["name"] for a in body["assignments"]] == ["Ysolde Marginalia"]
    assert "Rhiannon" not in json.dumps(body)
    body = client.get(url, headers=world["tokens"]["reviewer_1"]).get_json()
    assert [r.get("own") for r in body["reviews"]] == [True]
    # A reviewer who is not assigned sees nothing at all.
    assert client.get(url, headers=world["tokens"]["reviewer_2"]).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_own", 200),
        ("staff_other", 403),
        ("coordinator", 200),
        ("coordinator_own", 200),
        ("learner", 403),
        ("admin", 200),
        ("reviewer_1", 200),
        ("reviewer_2", 200),
        ("reviewer_3", 403),
    ],
)
def test_who_reads_a_submission(client, world, db_session, who, status):
    submission = decision_pending(db_session, world)
    response = client.get(f"/api/v1/submissions/{submission.id}", headers=world["tokens"][who])
    assert response.status_code == status
    assert client.get(f"/api/v1/submissions/{submission.id}").status_code == 401


def test_the_timeline_records_every_action_with_its_actor(client, auth, world, db_session):
    submission = revisions_requested(db_session, world, TODAY + dt.timedelta(days=9))
    events = submission_events(db_session, submission)
    assert [e.action for e in events] == [
        "submission.submit",
        "submission.send_to_review",
        "submission.complete_reviews",
        "submission.request_revisions",
    ]
    last = events[-1]
    assert (last.actor_id, last.actor_role, last.from_state, last.to_state) == (
        world["users"]["coordinator"].id,
        "coordinator",
        "decision_pending",
        "revisions_requested",
    )
    assert last.before["state"] == "decision_pending" and last.after["unmet_criteria"] == ["Q1"]
    assert last.after["lock_version"] == last.before["lock_version"] + 1
    auth.login(world["users"]["coordinator"])
    page = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    assert "Cora Coordinator" in page and "request revisions" in page
    auth.logout()
    auth.login(world["users"]["staff_own"])
    page = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    assert "QA coordinator" in page and "Cora Coordinator" not in page


def test_notices_go_to_the_providers_staff_on_a_decision(world, db_session):
    submission = decision_pending(db_session, world)
    before = set(db_session.scalars(select(OutboxMessage.id)))
    take_action(db_session, submission, "approve", actor=world["users"]["coordinator"])
    new = [m for m in db_session.scalars(select(OutboxMessage)) if m.id not in before]
    assert [(m.kind, m.to_address) for m in new] == [
        ("submission.approve", world["users"]["staff_own"].email)
    ]
    assert "was approved and is published" in new[0].subject
    assert f"/review/submissions/{submission.id}" in new[0].body
    assert not any(mark in new[0].body for mark in reviewer_marks(world))


def test_the_list_shows_each_viewer_what_they_may_follow(client, auth, world, db_session):
    decision_pending(db_session, world)
    auth.login(world["users"]["coordinator"])
    page = client.get("/review/submissions/").get_data(as_text=True)
    assert "Data analysis micro-credential" in page and "Own University" in page
    assert client.get("/review/submissions/?state=published").status_code == 200
    assert "No submission is published" in client.get(
        "/review/submissions/?state=published"
    ).get_data(as_text=True)
    assert client.get("/review/submissions/?state=lost").status_code == 422
    auth.logout()
    auth.login(world["users"]["staff_other"])
    page = client.get("/review/submissions/").get_data(as_text=True)
    assert "Data analysis micro-credential" not in page and "None of your provider" in page
    auth.logout()
    auth.login(world["users"]["learner"])
    assert client.get("/review/submissions/").status_code == 403


def test_page_actions_refuse_by_role_and_state(client, auth, world, db_session):
    submission = decision_pending(db_session, world)
    url = f"/review/submissions/{submission.id}"
    auth.login(world["users"]["staff_own"])
    token = csrf_token(client, url)
    assert client.post(f"{url}/actions/approve", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{url}/actions/resubmit", data={"csrf_token": token}).status_code == 409
    auth.logout()
    auth.login(world["users"]["coordinator"])
    token = csrf_token(client, url)
    assert client.post(f"{url}/actions/send_to_review", data={"csrf_token": token}).status_code == (
        409
    )
    assert client.post(f"{url}/actions/nope", data={"csrf_token": token}).status_code == 404
    response = client.post(f"{url}/actions/approve", data={"csrf_token": token})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Submission, submission.id).state == "published"
    assert db_session.get(CredentialVersion, submission.version_id).status == "published"


def test_the_whole_way_in_one_session_follows_each_change(world, db_session):
    """No commit between the steps: each step reads what the one before wrote."""
    users = world["users"]
    submission = submit_credential(db_session, world["micro"], actor=users["staff_own"])
    take_action(db_session, submission, "send_to_review", actor=users["coordinator"])
    assert submission.rubric_version is world["rubric"]
    add_review(db_session, submission, users["reviewer_1"], NONE_MET)
    add_review(db_session, submission, users["reviewer_2"], NONE_MET)
    take_action(
        db_session, submission, "complete_reviews", actor=None, system=True, facts={"quorum": True}
    )
    take_action(
        db_session,
        submission,
        "request_revisions",
        actor=users["coordinator"],
        facts={"deadline": TODAY + dt.timedelta(days=5), "unmet_criteria": ["Q1", "T1"]},
    )
    take_action(db_session, submission, "resubmit", actor=users["staff_own"])
    assert (submission.state, submission.round, submission.lock_version) == ("in_review", 2, 5)
    assert world["micro"].current.status == "in_review"


def test_the_credential_page_links_both_reviews_while_a_new_version_is_drafted(
    client, auth, world, db_session
):
    users = world["users"]
    first = decision_pending(db_session, world)
    take_action(db_session, first, "approve", actor=users["coordinator"])
    update_credential(db_session, world["micro"], {"title": "v2", **COMPLETE}, actor=None)
    second = submit_credential(db_session, world["micro"], actor=users["staff_own"])
    db_session.commit()
    auth.login(users["coordinator"])
    page = client.get("/credentials/micro?version=current").get_data(as_text=True)
    assert f'href="/review/submissions/{second.id}"' in page
    assert f'href="/review/submissions/{first.id}">its review record</a>' in page
    auth.logout()
    # The public sees neither.
    page = client.get("/credentials/micro").get_data(as_text=True)
    assert "/review/submissions/" not in page


# --- credentials published before review (a catalogue import) -------------------------------


@pytest.fixture()
def imported(factory, world, db_session) -> Credential:
    """Published the way a catalogue import leaves it: no submission behind it."""
    credential = factory.credential(world["own"], "imported", title="Imported", **COMPLETE)
    credential.current.status = "published"
    credential.published = credential.current
    db_session.commit()
    return credential


def test_a_credential_published_by_import_gets_a_review_record_to_suspend(
    client, world, imported, db_session
):
    tokens = world["tokens"]
    url = "/api/v1/credentials/imported/review-record"
    for who in ("staff_other", "coordinator_own", "reviewer_1", "learner", "admin"):
        assert client.post(url, headers=tokens[who]).status_code == 403, who
    assert db_session.scalar(select(func.count()).select_from(Submission)) == 0
    response = client.post(url, headers=tokens["coordinator"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["state"] == "published" and "suspend" in body["allowed_actions"]
    assert [e["action"] for e in body["events"]] == ["record"]
    again = client.post(url, headers=tokens["staff_own"])
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    response = client.post(
        f"/api/v1/submissions/{body['id']}/actions/suspend",
        json={"reason": "Accreditation lapsed"},
        headers=tokens["coordinator"],
    )
    assert response.status_code == 200
    db_session.expire_all()
    assert db_session.get(Credential, "imported").published is None


def test_the_credential_page_offers_the_review_record(client, auth, world, imported, db_session):
    auth.login(world["users"]["coordinator"])
    page = client.get("/credentials/imported").get_data(as_text=True)
    assert "Open its review record" in page
    response = post_form(
        client, "/credentials/imported/review-record", {}, form_url="/credentials/imported"
    )
    submission = db_session.scalar(select(Submission))
    assert response.headers["Location"] == f"/review/submissions/{submission.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ">Suspend</button>" in page and ">Retire the credential</button>" in page
    assert "Open its review record" not in client.get("/credentials/imported").get_data(
        as_text=True
    )
    auth.logout()
    auth.login(world["users"]["learner"])
    assert "Open its review record" not in client.get("/credentials/imported").get_data(
        as_text=True
    )
