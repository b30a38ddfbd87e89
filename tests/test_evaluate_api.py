"""The evaluate endpoint, the evaluate command and the pathway endpoint, on the real database."""

from __future__ import annotations

import json

import pytest

from registry.credentials.catalogue import bump_revision, load_catalogue
from registry.stacking import evaluate


@pytest.fixture()
def stack(factory, db_session):
    """A published three-course stack, its certificate, and a draft that is not published."""
    provider = factory.provider("uni-eval")
    for n in (1, 2, 3):
        factory.credential(provider, f"course-{n}", credits=5, level=6, subjects=["0613"])
    factory.credential(
        provider,
        "cert",
        type="certificate",
        requirements={"at_least": 2, "of": [{"credential": f"course-{n}"} for n in (1, 2, 3)]},
    )
    factory.credential(
        provider,
        "diploma",
        type="diploma",
        requirements={"all": [{"credential": "cert"}, {"credits": 5, "where": {"level_min": 6}}]},
    )
    factory.credential(provider, "draft-only", credits=5)
    for ident in ("course-1", "course-2", "course-3", "cert", "diploma"):
        factory.publish(ident)
    bump_revision(db_session)
    db_session.flush()
    return provider


def entry(ident: str, day: str = "2025-03-01") -> dict:
    return {"credential": ident, "earned_on": day}


def test_evaluate_answers_in_the_contract_shape(client, stack):
    request = {"wallet": [entry("course-1"), entry("course-3")], "as_of": "2026-11-28"}

    response = client.post("/api/v1/evaluate", json=request)

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["as_of"] == "2026-11-28"
    assert [c["qualification"] for c in answer["completed"]] == ["cert"]
    paths = {a["path"]: a["entries"] for a in answer["completed"][0]["assignment"]}
    assert sorted(i for entries in paths.values() for i in entries) == [0, 1]
    assert [q["qualification"] for q in answer["in_progress"]] == ["diploma"]
    diploma = answer["in_progress"][0]
    # The certificate uses two courses; its 5 ECTS at level 6 must come from the third.
    assert diploma["plan"] == ["course-2"]
    assert diploma["plan_cost"] == 5
    assert 0 < diploma["progress"] < 1
    assert answer["unreachable"] == []


def test_the_api_agrees_with_the_engine_on_the_database_catalogue(client, stack, db_session):
    request = {"wallet": [entry("course-2")], "as_of": "2026-11-28", "cost": "count"}

    answer = client.post("/api/v1/evaluate", json=request).get_json()

    assert answer == evaluate(load_catalogue(db_session), request)


def test_a_draft_credential_in_the_wallet_counts_but_is_never_planned(client, stack):
    request = {"wallet": [entry("draft-only")], "as_of": "2026-11-28"}

    answer = client.post("/api/v1/evaluate", json=request).get_json()

    plans = [q["plan"] for q in answer["in_progress"]]
    assert plans and all("draft-only" not in plan for plan in plans)


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"wallet": [entry("no-such-course")]}, "wallet[0].credential"),
        ({"wallet": [entry("course-1", "2025-02-30")]}, "wallet[0].earned_on"),
        ({"wallet": [], "cost": "fame"}, "cost"),
        ({"wallet": [], "qualifications": ["no-such-qualification"]}, "qualifications[0]"),
        ({"wallet": [], "as_of": "yesterday"}, "as_of"),
    ],
)
def test_a_bad_request_is_422_naming_the_field(client, stack, request_body, field):
    response = client.post("/api/v1/evaluate", json=request_body)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["errors"][0]["field"] == field


def test_a_body_that_is_not_an_object_is_422(client, stack):
    response = client.post("/api/v1/evaluate", data="[1, 2]", content_type="application/json")

    assert response.status_code == 422


def test_a_change_to_the_catalogue_is_seen_by_the_next_evaluation(
    client, stack, factory, db_session
):
    request = {"wallet": [entry("course-1")], "as_of": "2026-11-28"}
    before = client.post("/api/v1/evaluate", json=request).get_json()
    assert "solo" not in {c["qualification"] for c in before["completed"]}

    factory.credential(stack, "solo", requirements={"credential": "course-1"})
    factory.publish("solo")
    bump_revision(db_session)

    after = client.post("/api/v1/evaluate", json=request).get_json()
    assert "solo" in {c["qualification"] for c in after["completed"]}


def test_the_evaluate_command_prints_the_answer(runner, stack, tmp_path, db_session):
    request = {"wallet": [entry("course-1"), entry("course-2")], "as_of": "2026-11-28"}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))

    result = runner.invoke(args=["evaluate", str(path)])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == evaluate(load_catalogue(db_session), request)


def test_the_evaluate_command_names_the_bad_field_and_fails(runner, stack, tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"wallet": [entry("course-1")], "cost": "fame"}))

    result = runner.invoke(args=["evaluate", str(path)])

    assert result.exit_code == 1
    assert "cost" in result.stderr


def test_the_evaluate_command_refuses_a_file_that_is_not_json(runner, stack, tmp_path):
    path = tmp_path / "request.json"
    path.write_text("{not json")

    result = runner.invoke(args=["evaluate", str(path)])

    assert result.exit_code == 1
    assert "not JSON" in result.stderr


def test_the_pathway_gives_the_tree_and_what_it_counts_toward(client, stack):
    response = client.get("/api/v1/credentials/course-1/pathway")

    assert response.status_code == 200
    pathway = response.get_json()
    assert pathway["counts_toward"] == ["cert", "diploma"]
    edges = {(e["from"], e["to"], e["kind"]) for e in pathway["edges"]}
    assert ("cert", "course-1", "requirement") in edges
    assert ("diploma", "cert", "requirement") in edges
    assert {n["id"] for n in pathway["nodes"]} >= {"course-1", "cert", "diploma"}


def test_a_qualification_pathway_carries_its_requirement_tree(client, stack):
    pathway = client.get("/api/v1/credentials/diploma/pathway").get_json()

    assert pathway["requirements"] is not None
    assert pathway["counts_toward"] == []


def test_tables_an_evaluation_built_are_frozen_once_its_response_is_closed(
    client, stack, db_session, monkeypatch
):
    """Large catalogues only (engine.FREEZE_FROM), here every catalogue: the tables built in
    the request are frozen out of the collector's reach after the response, not during it."""
    import gc

    from registry.credentials.catalogue import cached_catalogue
    from registry.stacking import engine

    monkeypatch.setattr(engine, "FREEZE_FROM", 1)
    gc.unfreeze()
    try:
        request = {"wallet": [entry("course-1")], "as_of": "2026-11-28"}
        response = client.post("/api/v1/evaluate", json=request)
        assert response.status_code == 200
        shelf = cached_catalogue(db_session)
        tables = [v for k, v in shelf.index().cache.items() if k[0] == "exact-leaf"]
        assert tables
        assert engine._unsettled  # the request is answered; its response is still open
        response.close()
        assert not engine._unsettled
        reachable = {id(thing) for thing in gc.get_objects()}
        assert not any(id(table) in reachable for table in tables)
    finally:
        gc.unfreeze()
