"""Empty-wallet answers computed in one process and installed in another copy of the catalogue
give exactly the answers that copy would have computed itself."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given

from registry.stacking import evaluate
from registry.stacking.engine import has_prepared, install_prepared, prepared_answers

from .test_oracle_properties import engine, examples, scenarios  # noqa: F401

COSTS = ("credits", "count", "price")


def moved(rows):
    """The rows as another process would read them back: through JSON, as the database does."""
    return [
        dataclasses.replace(row, **json.loads(json.dumps(dataclasses.asdict(row)))) for row in rows
    ]


@examples(ci=400, dev=40)
@given(scenarios(nesting=True))
def test_installed_answers_give_the_same_evaluation(engine, scenario):
    data, request = scenario
    computed, installed = engine.catalogue(data), engine.catalogue(data)
    for cost in COSTS:
        install_prepared(installed, cost, moved(prepared_answers(computed, cost)))
        assert has_prepared(installed, cost)

    for cost in COSTS:
        asked = {**request, "cost": cost}
        assert evaluate(installed, asked) == evaluate(engine.catalogue(data), asked)


@pytest.fixture()
def pair(engine):
    data = {
        "credentials": {
            "a": {"provider": "p", "credits": 5, "subjects": ["0613"]},
            "b": {"provider": "p", "credits": 5, "subjects": ["0613"]},
            "q1": {"provider": "p", "requirements": {"all": [{"credential": "a"}]}},
            "q2": {"provider": "p", "requirements": {"credits": 10, "where": {}}},
            "q3": {"provider": "p", "requirements": {"credential": "nothing-else"}},
            "nothing-else": {"provider": "p", "status": "draft"},
        }
    }
    return engine.catalogue(data), engine.catalogue(data)


def test_a_set_that_does_not_fit_the_catalogue_is_refused_and_changes_nothing(pair):
    computed, other = pair
    rows = list(prepared_answers(computed, "credits"))
    statuses = {row.qualification: row.status for row in rows}
    assert statuses == {"q1": "in_progress", "q2": "in_progress", "q3": "unreachable"}

    cases = {
        "cover 2 of 3": rows[:-1],
        "'q1'": rows + rows[:1],  # twice
        "'a'": [*rows[:-1], dataclasses.replace(rows[-1], qualification="a")],
        "'zz'": [*rows, dataclasses.replace(rows[0], qualification="zz")],
        "status 'done'": [dataclasses.replace(rows[0], status="done"), *rows[1:]],
        "has no plan": [dataclasses.replace(rows[0], plan=None), *rows[1:]],
    }
    for message, bad in cases.items():
        with pytest.raises(ValueError, match=message):
            install_prepared(other, "credits", bad)
        assert not has_prepared(other, "credits")
    with pytest.raises(ValueError, match="unknown cost"):
        install_prepared(other, "speed", rows)
    assert other.index().cache == {}
