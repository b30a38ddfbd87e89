"""`flask stacking prepare` keeps every qualification's empty-wallet answer per catalogue
revision; app servers loading that revision install them and answer exactly as before."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from registry.credentials import catalogue as catalogue_module
from registry.credentials.catalogue import cached_catalogue, current_revision, load_catalogue
from registry.credentials.models import PreparedAnswer, PreparedSet
from registry.demo.seed import DEMO_CATALOGUE
from registry.stacking import evaluate
from registry.stacking.engine import has_prepared

DEMO = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture()
def demo(runner, db_session: Session) -> None:
    result = runner.invoke(args=["catalogue", "import", str(DEMO_CATALOGUE)])
    assert result.exit_code == 0, result.output


def sets(session: Session) -> list[tuple[int, str, int]]:
    rows = session.execute(
        select(PreparedSet.revision, PreparedSet.cost, PreparedSet.qualifications).order_by(
            PreparedSet.revision, PreparedSet.cost
        )
    )
    return [tuple(row) for row in rows]


def qualification_count(session: Session) -> int:
    return sum(1 for spec in load_catalogue(session).credentials.values() if spec.is_qualification)


def wallets() -> list[dict]:
    """Requests built from the demo's own stacks: a few components of each qualification."""
    requests = []
    qualifications = [c for c in DEMO["credentials"] if c.get("requirements")]
    for n, qualification in enumerate(qualifications):
        named = [
            ident
            for ident in json.dumps(qualification["requirements"]).split('"')
            if any(c["id"] == ident for c in DEMO["credentials"])
        ]
        wallet = [{"credential": ident, "earned_on": "2025-01-15"} for ident in named[: 1 + n % 3]]
        for cost in ("credits", "count", "price"):
            requests.append({"wallet": wallet, "as_of": "2026-06-30", "cost": cost, "limit": 5})
    return requests


def test_prepare_keeps_every_answer_of_this_revision(runner, db_session, demo):
    revision = current_revision(db_session)
    count = qualification_count(db_session)

    result = runner.invoke(args=["stacking", "prepare"])

    assert result.exit_code == 0, result.output
    assert sets(db_session) == [(revision, c, count) for c in ("count", "credits", "price")]
    assert f"Prepared {count} qualifications under cost credits" in result.stdout
    answers = db_session.scalar(select(func.count()).select_from(PreparedAnswer))
    assert answers == 3 * count

    again = runner.invoke(args=["stacking", "prepare", "--cost", "credits"])
    assert again.exit_code == 0
    assert "Already prepared" in again.stdout


def test_servers_install_the_prepared_answers_and_answer_the_same(runner, db_session, demo):
    assert runner.invoke(args=["stacking", "prepare"]).exit_code == 0
    catalogue_module._cache.clear()

    served = cached_catalogue(db_session)

    for cost in ("credits", "count", "price"):
        assert has_prepared(served, cost)
    for request in wallets():
        assert evaluate(served, request) == evaluate(load_catalogue(db_session), request), request


def test_answers_of_another_revision_are_not_used_and_are_replaced(
    runner, db_session, factory, demo
):
    assert runner.invoke(args=["stacking", "prepare", "--cost", "credits"]).exit_code == 0
    old = current_revision(db_session)
    provider = factory.provider("late")
    factory.credential(provider, "late-1", credits=5)
    factory.credential(provider, "late-q", requirements={"credential": "late-1"})
    factory.publish("late-1", "late-q")
    catalogue_module._cache.clear()

    served = cached_catalogue(db_session)

    assert not has_prepared(served, "credits")  # revision `old` no longer describes it
    answer = evaluate(served, {"wallet": [], "as_of": "2026-06-30"})
    assert "late-q" in [row["qualification"] for row in answer["in_progress"]]
    assert answer == evaluate(load_catalogue(db_session), {"wallet": [], "as_of": "2026-06-30"})
    result = runner.invoke(args=["stacking", "prepare", "--cost", "credits"])
    assert result.exit_code == 0, result.output
    new = current_revision(db_session)
    assert new > old
    assert sets(db_session) == [(new, "credits", qualification_count(db_session))]


def test_a_set_missing_rows_is_not_installed(runner, db_session, demo):
    assert runner.invoke(args=["stacking", "prepare", "--cost", "count"]).exit_code == 0
    first = db_session.scalars(select(PreparedAnswer.qualification_id).limit(1)).one()
    db_session.execute(delete(PreparedAnswer).where(PreparedAnswer.qualification_id == first))
    catalogue_module._cache.clear()

    served = cached_catalogue(db_session)

    assert not has_prepared(served, "count")
    request = {"wallet": [], "as_of": "2026-06-30", "cost": "count"}
    assert evaluate(served, request) == evaluate(load_catalogue(db_session), request)


@pytest.mark.parametrize("costs", [["--cost", "speed"], ["--cost", "credits", "--cost", "xyz"]])
def test_an_unknown_cost_is_refused_and_nothing_is_written(runner, db_session, demo, costs):
    result = runner.invoke(args=["stacking", "prepare", *costs])

    assert result.exit_code == 1
    assert "cost: cost must be among credits, count, price" in result.stderr
    assert sets(db_session) == []


def test_deleting_a_set_deletes_its_answers(runner, db_session, demo):
    assert runner.invoke(args=["stacking", "prepare", "--cost", "price"]).exit_code == 0

    db_session.execute(delete(PreparedSet))
    db_session.flush()

    assert db_session.scalar(select(func.count()).select_from(PreparedAnswer)) == 0
