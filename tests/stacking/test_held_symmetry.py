"""Entries held alike are swapped between two leaves without changing a plan.

The shape that sent one 1M wallet to a 134 s integer program: "Q0 and 30 credits from P in S
at level 5", where Q0 is "7.5 credits from P in S, 75% at level 5" (a share, so the two leaves
are not planned jointly), and the wallet holds a dozen small credentials of P that both leaves
want. The search branched on every way to split them between the leaves; entries with the same
roles everywhere are now split one way only (`Search._entry_signature`), as interchangeable
candidates already were. The brute-force oracle enumerates every plan.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import evaluate, exact
from registry.stacking.evaluate import parse_request
from registry.stacking.solver import Solver

from .oracle import evaluate as oracle_evaluate
from .test_engine_scale import engine_catalogue
from .test_oracle_properties import compare, examples, one_of

AS_OF = "2026-03-01"


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    credentials: dict[str, dict[str, Any]] = {}
    # Few distinct credits and levels: many held entries play the same roles.
    for number in range(draw(st.integers(4, 9))):
        credentials[f"c{number}"] = {
            "credits": draw(one_of((1, 2, 3, 3, 3))),
            "provider": draw(one_of(("p1", "p1", "p1", "p2"))),
            "subjects": ["s1"],
            "level": draw(one_of((4, 5, 6, 6))),
        }
    share = draw(one_of((0.5, 0.75)))
    credentials["q0"] = {
        "requirements": {
            "credits": draw(one_of((3, 4.5, 6))),
            "where": {"providers": ["p1"], "subjects": ["s1"]},
            "of_which": [{"share": share, "where": {"level_min": 5}}],
        }
    }
    outer: dict[str, Any] = {"providers": ["p1"], "subjects": ["s1"]}
    if draw(st.booleans()):
        outer["level_min"] = 5
    credentials["q1"] = {
        "requirements": {
            "all": [{"credential": "q0"}, {"credits": draw(one_of((3, 6, 9))), "where": outer}]
        }
    }
    held = draw(st.lists(st.sampled_from(sorted(c for c in credentials if c[0] == "c")),
                         unique=True, max_size=6))  # fmt: skip
    wallet = [{"credential": ident, "earned_on": "2025-01-01"} for ident in held]
    data = {"credentials": credentials, "credit_units": {"ECTS": 1}}
    return data, {"wallet": wallet, "as_of": AS_OF, "qualifications": ["q1"]}


@examples(ci=600, dev=150)
@given(scenarios())
def test_plans_beside_a_nested_share_match_the_oracle(scenario: tuple) -> None:
    data, request = scenario
    catalogue = engine_catalogue(data)
    compare(data, request, evaluate(catalogue, request), oracle_evaluate(data, request))


def test_a_dozen_entries_held_alike_are_split_one_way() -> None:
    """Twelve 3-credit entries both leaves want: the exact search settles the plan, as the
    integer program (the reference here: the oracle would enumerate 2^16 plans) does."""
    credentials: dict[str, dict[str, Any]] = {
        f"c{number:02d}": {"credits": 3, "provider": "p1", "subjects": ["s1"], "level": 6}
        for number in range(12)
    }
    credentials.update(
        {
            f"c{number:02d}": {"credits": 5, "provider": "p1", "subjects": ["s1"], "level": 5}
            for number in range(12, 16)
        }
    )
    credentials["q0"] = {
        "requirements": {
            "credits": 7.5,
            "where": {"providers": ["p1"], "subjects": ["s1"]},
            "of_which": [{"share": 0.75, "where": {"level_min": 5}}],
        }
    }
    credentials["q1"] = {
        "requirements": {
            "all": [
                {"credential": "q0"},
                {"credits": 40, "where": {"providers": ["p1"], "subjects": ["s1"], "level_min": 5}},
            ]
        }
    }
    data = {"credentials": credentials, "credit_units": {"ECTS": 1}}
    wallet = [{"credential": f"c{number:02d}", "earned_on": "2025-01-01"} for number in range(12)]
    request = {"wallet": wallet, "as_of": AS_OF, "qualifications": ["q1"]}
    catalogue = engine_catalogue(data)
    parsed = parse_request(catalogue, request)
    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)
    search = exact.Search(solver, "credits")
    plan = search.plan("q1")
    reference = solver.plan("q1", "credits")
    assert plan is not None and reference is not None
    assert (plan.credentials, plan.cost) == (reference.credentials, reference.cost)
    # Without the symmetry the search tries split after split of the twelve entries and runs
    # past its 300-branch limit; with it, a handful of branches per entry.
    assert search.nodes < 100, search.nodes
