"""The lower bounds that rank a wallet's qualifications never exceed the real plan's cost:
evaluation skips completion checks and exact plans on their word."""

from __future__ import annotations

from hypothesis import given

from registry.stacking.engine import empty_answers
from registry.stacking.evaluate import Bounds, parse_request
from registry.stacking.solver import Solver

from .oracle import evaluate as oracle_evaluate
from .test_oracle_properties import engine, examples, scenarios  # noqa: F401


@examples(ci=800, dev=80)
@given(scenarios(nesting=True))
def test_the_tree_bound_is_at_most_the_cheapest_plan(engine, scenario):
    data, request = scenario
    request = {key: value for key, value in request.items() if key in ("wallet", "as_of", "cost")}
    catalogue = engine.catalogue(data)
    parsed = parse_request(catalogue, request)
    cost = parsed.cost
    bounds = Bounds(catalogue, empty_answers(catalogue, cost), cost)
    scale = bounds.scale
    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)

    want = oracle_evaluate(data, request)

    for row in want["completed"]:
        bound = bounds.tree_bound(solver, row["qualification"], parsed.valid_items)
        assert bound <= 0, (row["qualification"], bound)
    for row in want["in_progress"]:
        bound = bounds.tree_bound(solver, row["qualification"], parsed.valid_items)
        assert bound / scale <= row["plan_cost"] + 1e-9, (row, bound / scale)


def test_a_held_qualification_counted_by_a_filter_still_completes(engine):
    """q1's entry serves the credits leaf with its own 10 credits while q1's place is taken
    by its parts: planning q1's parts afresh does not replace those credits, so no bound
    may rule the completion out (a case the property tests found)."""
    badge = {"provider": "uni-a", "credits": 0, "type": "badge"}
    data = {
        "credentials": {
            "a": badge,
            "b": badge,
            "f": {**badge, "credits": 1},
            "q1": {"provider": "uni-a", "credits": 10, "requirements": {"credential": "a"}},
            "q2": {
                "provider": "uni-a",
                "requirements": {
                    "all": [{"credential": "b"}, {"credits": 1}, {"credential": "q1"}]
                },
            },
        }
    }
    day = "2024-02-29"
    request = {
        "wallet": [{"credential": c, "earned_on": day} for c in ("a", "b", "q1")],
        "as_of": day,
        "qualifications": ["q2"],
    }

    answer = engine.evaluate(data, request)

    assert [row["qualification"] for row in answer["completed"]] == ["q2"]
    assert answer == oracle_evaluate(data, request) | {"completed": answer["completed"]}
