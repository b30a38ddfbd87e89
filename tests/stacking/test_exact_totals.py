"""Plan costs and progress are the exact decimals a registrar computes, whichever path
(the relaxation's search, the fast path or the integer program) found the plan."""

from __future__ import annotations

import importlib
from datetime import date
from fractions import Fraction

import pytest

from registry.stacking import exact
from registry.stacking.fastpath import fast_plan
from registry.stacking.solver import Plan, Solver

from .oracle import EngineAdapter
from .oracle import evaluate as oracle_evaluate

# 1.4 + 2.8 adds up to 4.199999999999999 in floats; 2.1 + 4.2 to 6.300000000000001.
CATALOGUE = {
    "credentials": {
        "a1": {"credits": 1.4},
        "a2": {"credits": 2.8},
        "a3": {"credits": 2.1},
        "b1": {"credits": 2},
        "b2": {"credits": 4},
        "qa": {"requirements": {"all": [{"credential": c} for c in ("a1", "a2", "a3")]}},
        "qb": {"requirements": {"all": [{"credential": "b1"}, {"credential": "b2"}]}},
    },
    "credit_units": {"ECTS": 1},
}
REQUEST = {
    "wallet": [
        {"credential": "a3", "earned_on": "2025-01-01"},
        {"credential": "b1", "earned_on": "2025-01-01"},
    ],
    "as_of": "2026-11-28",
}


@pytest.fixture(scope="module")
def engine() -> EngineAdapter:
    return EngineAdapter(importlib.import_module("registry.stacking"))


def test_plan_cost_is_the_decimal_sum(engine: EngineAdapter) -> None:
    answer = engine.evaluate(CATALOGUE, REQUEST)
    rows = {row["qualification"]: row for row in answer["in_progress"]}
    assert rows["qa"]["plan"] == ["a1", "a2"]
    assert rows["qa"]["plan_cost"] == 4.2
    assert rows["qb"]["plan_cost"] == 4.0


def test_equal_shares_are_equal_numbers(engine: EngineAdapter) -> None:
    # Both have a third done: 1 - 4.2 / 6.3 and 1 - 4 / 6. In floats these are
    # 0.3333333333333335 and 0.33333333333333337, which would rank qb first by progress
    # instead of by its cheaper plan.
    answer = engine.evaluate(CATALOGUE, REQUEST)
    progress = {row["qualification"]: row["progress"] for row in answer["in_progress"]}
    assert progress == {"qa": float(Fraction(1, 3)), "qb": float(Fraction(1, 3))}
    assert answer == oracle_evaluate(CATALOGUE, REQUEST)


@pytest.mark.parametrize(("cost", "want"), [("credits", 6.3), ("price", 0.7)])
def test_every_path_totals_alike(engine: EngineAdapter, cost: str, want: float) -> None:
    # The integer program and the fast path add up the empty wallet's plan for qa as the
    # search does: 1.4 + 2.8 + 2.1 is 6.3 (6.299999999999999 in floats), 0.1 + 0.2 + 0.4
    # is 0.7 (0.7000000000000001 in floats).
    prices = {"a1": 0.1, "a2": 0.2, "a3": 0.4}
    data = {
        "credentials": {
            ident: {**fields, "price": prices[ident]} if ident in prices else fields
            for ident, fields in CATALOGUE["credentials"].items()
        },
        "credit_units": {"ECTS": 1},
    }
    catalogue = engine.catalogue(data)
    solver = Solver(catalogue.index(), date(2026, 11, 28), [])
    program = solver.plan("qa", cost)
    fast = fast_plan(solver, "qa", cost)
    search = exact.exact_plan(solver, "qa", cost)
    assert isinstance(program, Plan) and isinstance(fast, Plan) and isinstance(search, Plan)
    assert program.cost == fast.cost == search.cost == want
