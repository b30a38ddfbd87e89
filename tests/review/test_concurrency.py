"""Two people deciding the same submission at the same moment: exactly one wins.

Real threads, each with its own request, app context, session and database connection,
committing for real (not the savepoint fixture). A barrier inside the guarded UPDATE holds each
request until both have read the submission in the same state, so the race is certain, not
left to timing. Runs on SQLite and, with DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.auth.services import create_token
from registry.db import db
from registry.review import services
from registry.review.models import Submission
from registry.review.services import submit_credential, take_action
from tests.conftest import Factory, bearer, fresh_database, migrated_app
from tests.review.submission_helpers import ALL_MET, COMPLETE, add_review, make_rubric

# Long enough for a slow machine, short enough that a lost thread fails the test.
WAIT = 20


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A database of its own: the threads commit, so no other test may share it."""
    folder: Path = tmp_path_factory.mktemp("race")
    for url in fresh_database(folder):
        app = migrated_app(url)
        yield app
        app.extensions["registry.db"].engine.dispose()


@pytest.fixture()
def pending(race_app: Flask) -> dict[str, Any]:
    """A submission waiting for a decision, two coordinators and the provider's staff."""
    with race_app.app_context():
        session = db.session
        factory = Factory(session)
        n = session.scalar(select(func.count()).select_from(Submission)) or 0
        provider = factory.provider(f"race-uni-{n}")
        people = {
            "first": factory.user("coordinator", email=f"first-{n}@qa.example"),
            "second": factory.user("coordinator", email=f"second-{n}@qa.example"),
            "staff": factory.user("provider", provider=provider, email=f"staff-{n}@uni.example"),
        }
        reviewers = [factory.user("reviewer", email=f"r{i}-{n}@rev.example") for i in (1, 2)]
        if n == 0:
            make_rubric(session)
        credential = factory.credential(provider, f"race-{n}", title="Raced", **COMPLETE)
        submission = submit_credential(session, credential, actor=people["staff"])
        take_action(session, submission, "send_to_review", actor=people["first"])
        for reviewer in reviewers:
            add_review(session, submission, reviewer, ALL_MET)
        take_action(
            session, submission, "complete_reviews", actor=None, system=True, facts={"quorum": True}
        )
        tokens = {
            who: bearer(create_token(session, user, "api")[1]) for who, user in people.items()
        }
        session.commit()
        ready = {"id": submission.id, "lock": submission.lock_version, "tokens": tokens}
    # Returned outside the app context: a request from this thread must not find the set-up
    # session still open (it would read the submission as it was before the race).
    return ready


@pytest.fixture()
def barrier(monkeypatch) -> threading.Barrier:
    """Both requests wait here, after reading the submission and before writing it."""
    gate = threading.Barrier(2, timeout=WAIT)
    guarded = services._guarded_update

    def held(session, submission, state, seen, values):
        if state == "decision_pending":
            gate.wait()
        return guarded(session, submission, state, seen, values)

    monkeypatch.setattr(services, "_guarded_update", held)
    return gate


def race(app: Flask, calls: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Any]:
    """Send each (url, body, headers) from its own thread at once; the answers in call order."""
    answers: list[Any] = [None] * len(calls)

    def send(i: int, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        try:
            response = app.test_client().post(url, json=body, headers=headers)
            answers[i] = (response.status_code, response.get_json())
        except Exception as exc:  # reported by the test below, never lost in the thread
            answers[i] = exc

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    return answers


def stored(app: Flask, submission_id: int) -> tuple[str, int, list[str]]:
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        events = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "submission")
            .where(AuditEvent.object_id == str(submission_id))
            .order_by(AuditEvent.id)
        ).all()
        return submission.state, submission.lock_version, list(events)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("first", "approve", {}), ("second", "approve", {})),
        (("first", "approve", {}), ("second", "reject", {"reason": "Not convincing"})),
        (("first", "approve", {}), ("staff", "withdraw", {})),
    ],
    ids=["approve-approve", "approve-reject", "approve-withdraw"],
)
def test_of_two_simultaneous_decisions_exactly_one_wins(race_app, pending, barrier, first, second):
    url = f"/api/v1/submissions/{pending['id']}/actions/"
    calls = [(url + action, body, pending["tokens"][who]) for who, action, body in (first, second)]

    answers = race(race_app, calls)

    assert not any(isinstance(a, Exception) for a in answers), answers
    statuses = sorted(status for status, _body in answers)
    assert statuses == [200, 409], answers
    winner = next(body for status, body in answers if status == 200)
    loser = next(body for status, body in answers if status == 409)
    assert "someone else changed this submission" in loser["error"]["message"]
    state, lock, events = stored(race_app, pending["id"])
    assert state == winner["state"] and lock == pending["lock"] + 1
    decisions = [e for e in events if e in {f"submission.{first[1]}", f"submission.{second[1]}"}]
    assert decisions == [f"submission.{winner['events'][-1]['action']}"]
    assert len(events) == 4  # submit, send to review, complete reviews, and the one decision


def test_the_loser_can_read_what_happened_and_is_refused_again(race_app, pending, barrier):
    url = f"/api/v1/submissions/{pending['id']}/actions/approve"
    tokens = pending["tokens"]
    answers = race(race_app, [(url, {}, tokens["first"]), (url, {}, tokens["second"])])
    assert sorted(status for status, _body in answers) == [200, 409]

    with race_app.test_client() as client:
        body = client.get(f"/api/v1/submissions/{pending['id']}", headers=tokens["second"])
        again = client.post(url, headers=tokens["second"])
    assert body.get_json()["state"] == "published"
    assert again.status_code == 409 and "published" in again.get_json()["error"]["message"]
