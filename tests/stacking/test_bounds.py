"""The lower bounds that rank a wallet's qualifications never exceed the real plan's cost:
evaluation skips completion checks and exact plans on their word."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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


@st.composite
def sums_with_parts(draw: st.DrawFn) -> tuple[dict, dict]:
    """A credits or count leaf with `of_which` parts whose filters overlap (a share among them
    or not), and a wallet that holds some of its candidates (results decide which parts a held
    entry feeds)."""
    credentials: dict[str, dict] = {}
    for number in range(draw(st.integers(4, 8))):
        credentials[f"c{number}"] = {
            "provider": "uni-a",
            "credits": draw(st.sampled_from((1, 2, 3, 5))),
            "level": draw(st.sampled_from((4, 5, 6))),
            "subjects": [draw(st.sampled_from(("0411", "0613")))],
            "price": draw(st.sampled_from((10, 20, 35))),
        }
    filters = st.sampled_from(
        ({"subjects": ["0411"]}, {"level_min": 5}, {"result_min": 60}, {"subjects": ["0613"]})
    )
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            parts.append({"credits": draw(st.sampled_from((2, 3, 5))), "where": draw(filters)})
        else:
            parts.append({"count": draw(st.integers(1, 2)), "where": draw(filters)})
    if draw(st.booleans()):
        parts.append({"share": draw(st.sampled_from((0.25, 0.5, 0.75, 1))), "where": draw(filters)})
    if draw(st.booleans()):
        leaf = {"credits": draw(st.sampled_from((4, 6, 9))), "of_which": parts}
    else:
        leaf = {"count": draw(st.integers(2, 4)), "of_which": parts}
    credentials["q"] = {"provider": "uni-a", "requirements": leaf}
    held = draw(st.lists(st.sampled_from(sorted(credentials)[:-1]), max_size=4, unique=True))
    wallet = [
        {"credential": ident, "earned_on": "2025-01-10", "result": draw(st.sampled_from((50, 70)))}
        for ident in held
    ]
    cost = draw(st.sampled_from(("credits", "count", "price")))
    return {"credentials": credentials}, {"wallet": wallet, "as_of": "2026-01-01", "cost": cost}


@examples(ci=600, dev=60)
@given(sums_with_parts())
def test_the_tree_bound_of_a_sum_with_parts_is_at_most_the_cheapest_plan(engine, case):
    """Each part's missing amount bounds the plan on its own; no credential is counted twice
    across parts (a credential feeding two parts pays once)."""
    data, request = case
    catalogue = engine.catalogue(data)
    parsed = parse_request(catalogue, request)
    bounds = Bounds(catalogue, empty_answers(catalogue, parsed.cost), parsed.cost)
    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)
    bound = bounds.tree_bound(solver, "q", parsed.valid_items)
    want = oracle_evaluate(data, request)
    for row in want["in_progress"]:
        assert bound / bounds.scale <= row["plan_cost"] + 1e-9, (row, bound / bounds.scale)
    if want["completed"]:
        assert bound <= 0, bound


def test_a_share_bounds_the_plan_where_the_total_is_already_held(engine):
    """10 credits, half of them at level 6 or above; 10 level-4 credits are held. The total
    is met, so only the share can say the plan still needs credits at level 6: at least half
    of the threshold, 5 (the plan takes 10, to outweigh the held ones or replace them)."""
    data = {
        "credentials": {
            "low": {"provider": "uni-a", "credits": 10, "level": 4},
            "high-1": {"provider": "uni-a", "credits": 2, "level": 6},
            "high-2": {"provider": "uni-a", "credits": 3, "level": 6},
            "high-3": {"provider": "uni-a", "credits": 5, "level": 7},
            "q": {
                "provider": "uni-a",
                "requirements": {
                    "credits": 10,
                    "of_which": [{"share": 0.5, "where": {"level_min": 6}}],
                },
            },
        }
    }
    request = {"wallet": [{"credential": "low", "earned_on": "2025-01-10"}], "as_of": "2026-01-01"}
    catalogue = engine.catalogue(data)
    parsed = parse_request(catalogue, request)
    bounds = Bounds(catalogue, empty_answers(catalogue, "credits"), "credits")
    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)

    bound = bounds.tree_bound(solver, "q", parsed.valid_items)

    assert bound / bounds.scale == 5
    [row] = oracle_evaluate(data, request)["in_progress"]
    assert row["plan_cost"] == 10
