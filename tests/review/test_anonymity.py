"""Anonymity: nothing a provider can reach names a reviewer, on any route the app has.

The routes come from the app's URL map, so a page or endpoint added later is crawled too; a
route whose URL takes a value this file does not know how to fill fails the test, asking for
one. Every answer (pages through the provider's login, the API through their token) is scanned
for every reviewer's name, surname and email, and so is every mail queued for them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.auth.services import create_token
from registry.review import services
from registry.review.assignment import assign_reviewers, declare_conflict
from registry.review.models import OutboxMessage
from registry.review.reviews import accept_assignment, decline_assignment
from registry.review.workflow import TABLE
from tests.conftest import Auth, bearer

from .review_world import MET, UNMET_C3, in_review, make_rubric, score

REVIEWERS = [
    ("Quentin Zarkowski", "quentin.zarkowski@reviewers.example", None),
    ("Ysolde Marchetti-Brandt", "ysolde.mb@reviewers.example", None),
    ("Bartholomew Okonkwo", "b.okonkwo@independent.example", None),
    ("Henrietta Vasquez-Lind", "hvl@assessors.example", None),
    ("Ottilie Vrbanova", "ottilie.vrbanova@other-college.example", "other-college"),
]
PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")
# Routes nobody crawls: files, and the ones that only ever take a POST.
SKIP_ENDPOINTS = {"static"}


def _needles(people: list[Any]) -> list[str]:
    found = []
    for person in people:
        found += [person.name, person.name.split()[-1], person.email]
    return [n.lower() for n in found]


@pytest.fixture()
def anonymity_world(app: Flask, db_session, factory) -> SimpleNamespace:
    """One provider's credentials at every stage of review, reviewed by named people."""
    make_rubric(db_session, reviewers=3)
    uni = factory.provider("anon-uni", name="Anon University", email_domains=["anon-uni.example"])
    factory.provider("other-college", name="Other College", email_domains=["oc.example"])
    coordinator = factory.user("coordinator", name="Carla Coordinator")
    staff = factory.user(
        "provider", provider=uni, name="Petra Staff", email="petra@anon-uni.example"
    )
    affiliated_qa = factory.user(
        "coordinator", provider=uni, name="Quinn Affiliated", email="quinn@anon-uni.example"
    )
    reviewers = [
        factory.user("reviewer", name=name, email=email, provider=affiliation)
        for name, email, affiliation in REVIEWERS
    ]
    declaration = declare_conflict(
        db_session, reviewers[3], "other-college", "Examiner there", actor=reviewers[3]
    )
    today = dt.date.today()

    def reviewed(levels: dict[str, int], team: list[Any]) -> Any:
        submission = in_review(db_session, factory, uni, coordinator, staff=staff)
        for assignment in assign_reviewers(db_session, submission, team, actor=coordinator):
            score(db_session, assignment, levels, recommendation="approve")
        db_session.expire(submission)
        assert submission.state == "decision_pending"
        return submission

    # In review: one reviewer accepted with a statement, one declined, one sent a review.
    waiting = in_review(db_session, factory, uni, coordinator, staff=staff)
    a, b, c = assign_reviewers(db_session, waiting, reviewers[:3], actor=coordinator)
    accept_assignment(db_session, a, "I co-taught a summer school with its staff", actor=a.reviewer)
    decline_assignment(db_session, b, "Travelling", actor=b.reviewer)
    score(db_session, c, UNMET_C3)
    pending = reviewed(MET, reviewers[1:4])
    revising = reviewed(UNMET_C3, [reviewers[0], reviewers[2], reviewers[4]])
    services.take_action(
        db_session,
        revising,
        "request_revisions",
        actor=coordinator,
        facts={"deadline": (today + dt.timedelta(days=30)).isoformat(), "unmet_criteria": ["C3"]},
    )
    published = reviewed(MET, reviewers[2:5])
    services.take_action(db_session, published, "approve", actor=coordinator)
    rejected = reviewed(UNMET_C3, reviewers[:3])
    services.take_action(
        db_session, rejected, "reject", actor=coordinator, facts={"reason": "Guidance missing"}
    )
    submissions = [waiting, pending, revising, published, rejected]
    for submission in submissions:
        db_session.expire(submission)
    tokens = {user.id: create_token(db_session, user, "crawl") for user in (staff, affiliated_qa)}
    db_session.commit()
    return SimpleNamespace(
        uni=uni,
        staff=staff,
        affiliated_qa=affiliated_qa,
        coordinator=coordinator,
        reviewers=reviewers,
        submissions=submissions,
        revising=revising,
        tokens=tokens,
        declaration=declaration,
    )


def _values(world: SimpleNamespace, viewer: Any) -> dict[str, list[Any]]:
    """What each URL parameter of the app is filled with while crawling."""
    assignments = [a.id for s in world.submissions for a in s.assignments]
    return {
        "credential_id": sorted({s.credential_id for s in world.submissions}),
        "provider_id": [world.uni.id, "other-college"],
        "submission_id": [s.id for s in world.submissions],
        "assignment_id": assignments,
        "version_id": sorted({s.rubric_version_id for s in world.submissions}),
        "user_id": [viewer.id, *(r.id for r in world.reviewers)],
        "token_id": [world.tokens[viewer.id][0].id],
        "declaration_id": [world.declaration.id],
        "action": sorted(TABLE),
        "entry_id": [1],  # wallet entries are the learner's own: a provider's staff gets 404
    }


def _urls(app: Flask, values: dict[str, list[Any]]) -> tuple[list[str], set[str]]:
    """Every GET URL of the app with its parameters filled in every known way."""
    urls, unknown = [], set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods:
            continue
        names = PARAMETER.findall(rule.rule)
        if missing := [n for n in names if n not in values]:
            unknown.update(f"{n} (in {rule.rule})" for n in missing)
            continue
        for combination in itertools.product(*(values[n] for n in names)):
            url = rule.rule
            for name, value in zip(names, combination, strict=True):
                url = PARAMETER.sub(lambda m, n=name, v=value: str(v) if m[1] == n else m[0], url)
            urls.append(url)
    return urls, unknown


QUERIES = ("", "?version=current", "?page=2")


def _scan(client: FlaskClient, url: str, needles: list[str], headers: dict[str, str]) -> list[str]:
    response = client.get(url, headers=headers, follow_redirects=True)
    text = (response.get_data(as_text=True) + " " + str(response.headers)).lower()
    return [f"{url} ({response.status_code}) shows {n!r}" for n in needles if n in text]


@pytest.mark.parametrize("who", ["staff", "affiliated_qa"])
def test_nothing_a_provider_reaches_names_a_reviewer(
    app, client, db_session, anonymity_world, who
) -> None:
    world = anonymity_world
    viewer = getattr(world, who)
    needles = _needles(world.reviewers)
    urls, unknown = _urls(app, _values(world, viewer))
    assert not unknown, (
        "routes with URL values this test cannot fill yet (add them to _values): "
        + ", ".join(sorted(unknown))
    )
    Auth(client).login(viewer)
    api = app.test_client()
    token = bearer(world.tokens[viewer.id][1])

    leaks, answered = [], 0
    for url, query in itertools.product(urls, QUERIES):
        is_api = url.startswith("/api/")
        leaks += _scan(api if is_api else client, url + query, needles, token if is_api else {})
        answered += 1
    # The answers to the provider's own actions, and the mail queued for the provider.
    resubmitted = api.post(
        f"/api/v1/submissions/{world.revising.id}/actions/resubmit", json={}, headers=token
    )
    withdrawn = api.post(
        f"/api/v1/submissions/{world.submissions[0].id}/actions/withdraw", json={}, headers=token
    )
    for response in (resubmitted, withdrawn):
        text = response.get_data(as_text=True).lower()
        leaks += [f"{response.request.path} answers {n!r}" for n in needles if n in text]
    if who == "staff":
        assert resubmitted.status_code == 200 and withdrawn.status_code == 200
    mails = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address.like("%@anon-uni.example"))
    ).all()
    assert mails, "the provider was mailed about its submissions"
    for message in mails:
        text = f"{message.subject} {message.body}".lower()
        leaks += [f"mail {message.subject!r} names {n!r}" for n in needles if n in text]

    assert not leaks, "reviewer identities reached the provider:\n" + "\n".join(leaks)
    assert answered > 100
    # The crawl saw the anonymised reviews, so the scan was not of empty pages.
    document = api.get(f"/api/v1/submissions/{world.revising.id}", headers=token).get_json()
    assert [r["label"] for r in document["reviews"]] == ["Reviewer 1", "Reviewer 2", "Reviewer 3"]
    assert document["reviews"][0]["comments"] == {"C3": "C3 needs work"}
    page = client.get(f"/review/submissions/{world.revising.id}").get_data(as_text=True)
    assert "Reviewer 3" in page and "C3 needs work" in page
