"""A large catalogue answers evaluations only under the costs whose empty-wallet answers were
prepared: any other cost is a 503 that says what to run, instead of minutes of work inside
the request. Here the limit is lowered so the test catalogue counts as large."""

from __future__ import annotations

import pytest

from registry.credentials.prepared import prepare
from registry.learners import services

WALLET = [{"credential": "course-1", "earned_on": "2025-01-15"}]


@pytest.fixture()
def large(app, monkeypatch):
    """The stack's three published qualifications are more than this catalogue may compute."""
    monkeypatch.setitem(app.config, "STACKING_ON_DEMAND_LIMIT", 2)


def evaluate(client, cost: str):
    return client.post("/api/v1/evaluate", json={"wallet": WALLET, "cost": cost})


def test_a_cost_not_prepared_is_refused_with_what_to_run(client, stack, large):
    response = evaluate(client, "price")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["title"] == "Not ready yet"
    assert "flask --app registry stacking prepare --cost price" in error["message"]
    assert "3 qualifications" in error["message"]


def test_prepared_costs_are_answered_and_the_others_still_refused(client, stack, large, db_session):
    prepare(db_session, ["credits"])
    db_session.commit()
    answered = evaluate(client, "credits")
    assert answered.status_code == 200
    assert [row["qualification"] for row in answered.get_json()["in_progress"]][:1] == ["cert"]
    assert evaluate(client, "price").status_code == 503
    prepare(db_session, ["price"])
    db_session.commit()
    assert evaluate(client, "price").status_code == 200


def test_a_small_catalogue_computes_any_cost_on_demand(client, stack):
    for cost in ("credits", "count", "price"):
        assert evaluate(client, cost).status_code == 200


def test_a_bad_cost_is_still_a_422_naming_the_field(client, stack, large):
    response = evaluate(client, "euros")
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"][0]["field"] == "cost"


def test_the_progress_page_says_it_is_not_ready(logged_in, learner, db_session, large):
    services.import_entries(db_session, learner, WALLET)
    db_session.commit()
    response = logged_in.get("/wallet/progress?cost=price")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Not ready yet" in page
    assert "stacking prepare --cost price" in page


def test_a_credential_page_leaves_out_progress_that_is_not_ready(
    app, logged_in, learner, db_session, monkeypatch
):
    services.import_entries(db_session, learner, WALLET)
    db_session.commit()
    monkeypatch.setitem(app.config, "STACKING_ON_DEMAND_LIMIT", 2)
    refused = logged_in.get("/credentials/course-1")
    assert refused.status_code == 200
    assert "Your progress" not in refused.get_data(as_text=True)
    assert "Course 1 in computing" in refused.get_data(as_text=True)
    # Small enough to compute on demand: the same page shows the learner's progress.
    monkeypatch.setitem(app.config, "STACKING_ON_DEMAND_LIMIT", 5000)
    shown = logged_in.get("/credentials/course-1")
    assert "Your progress on what this counts toward" in shown.get_data(as_text=True)
