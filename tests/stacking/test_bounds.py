"""The lower bounds that rank a wallet's qualifications never exceed the real plan's cost:
evaluation skips completion checks and exact plans on their word."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import exact
from registry.stacking.engine import empty_answers, reach
from registry.stacking.evaluate import Bounds, accepted, in_progress_key, parse_request
from registry.stacking.solver import Solver

from .oracle import evaluate as oracle_evaluate
from .test_oracle_properties import engine, examples, scenarios  # noqa: F401


def bounding(engine, data: dict, request: dict) -> tuple[Any, Any, Bounds, Solver]:
    """The catalogue, the parsed request (wallet, date and cost only), the bounds under its
    cost and the wallet's solver."""
    request = {key: value for key, value in request.items() if key in ("wallet", "as_of", "cost")}
    catalogue = engine.catalogue(data)
    parsed = parse_request(catalogue, request)
    bounds = Bounds(catalogue, empty_answers(catalogue, parsed.cost), parsed.cost)
    return catalogue, parsed, bounds, Solver(catalogue.index(), parsed.as_of, parsed.valid_items)


def credits_bound(engine, data: dict, request: dict, qualification: str = "q") -> float:
    """The tree bound, in credits, of the wallet's plan for `qualification` (cost credits)."""
    _, parsed, bounds, solver = bounding(engine, data, request)
    return bounds.tree_bound(solver, qualification, parsed.valid_items) / bounds.scale


@examples(ci=800, dev=80)
@given(scenarios(nesting=True))
def test_the_tree_bound_is_at_most_the_cheapest_plan(engine, scenario):
    data, request = scenario
    request = {key: value for key, value in request.items() if key in ("wallet", "as_of", "cost")}
    _, parsed, bounds, solver = bounding(engine, data, request)
    scale = bounds.scale

    want = oracle_evaluate(data, request)

    for row in want["completed"]:
        bound = bounds.tree_bound(solver, row["qualification"], parsed.valid_items)
        assert bound <= 0, (row["qualification"], bound)
    for row in want["in_progress"]:
        bound = bounds.tree_bound(solver, row["qualification"], parsed.valid_items)
        assert bound / scale <= row["plan_cost"] + 1e-9, (row, bound / scale)


@examples(ci=800, dev=80)
@given(scenarios(nesting=True))
def test_no_row_sorts_before_its_optimistic_key(engine, scenario):
    """Evaluation plans the touched qualifications in the order of these keys and stops at
    the first that cannot enter the top: a key above its row would drop a row that belongs
    there. The keys are built as evaluation builds them (reach, max_reuse, both bounds, the
    count bound where the cost bound is not positive) and compared with every row of the
    unlimited answer, exactly (ties go to the ids)."""
    data, request = scenario
    request = {key: value for key, value in request.items() if key in ("wallet", "as_of", "cost")}
    catalogue, parsed, bounds, solver = bounding(engine, data, request)
    servers = reach(catalogue).touched(item.spec.id for item in parsed.valid_items)
    held: dict[str, list] = {}
    for item in parsed.valid_items:
        held.setdefault(item.spec.id, []).append(item)

    rows = engine.evaluate(data, request)["in_progress"]

    for row in rows:
        qualification = row["qualification"]
        serving = accepted(catalogue, qualification, servers.get(qualification, set()), held)
        bound = bounds.plan_bound(qualification, {item.spec.id for item in serving})
        least = bounds.tree_bound(solver, qualification, serving)
        bound = least if bound is None else max(bound, least)
        key = bounds.optimistic_key(qualification, bound, solver, serving)
        assert key <= in_progress_key(row), (row, key, bound)
        # Then the exact search's relaxed optimum, where it is dearer (`Search.start`).
        try:
            root = exact.Search(solver, parsed.cost).start(qualification)
        except exact.Unknown:
            continue
        assert root is not None, row  # the relaxation of a reachable rule has an answer
        if root > 0 and root > bound:
            key = bounds.optimistic_key(qualification, root)
            assert key <= in_progress_key(row), (row, key, root)


@examples(ci=400, dev=40)
@given(scenarios(nesting=True))
def test_a_started_search_finishes_with_the_plan_a_whole_search_finds(engine, scenario):
    """Evaluation starts a qualification's exact search to rank it by the root's bound and
    finishes the same search later: the plan is the one `exact_plan` finds in one go."""
    data, request = scenario
    catalogue, parsed, _, solver = bounding(engine, data, request)
    for qualification in sorted(i for i, s in catalogue.credentials.items() if s.is_qualification):
        whole = exact.exact_plan(solver, qualification, parsed.cost)
        search = exact.Search(solver, parsed.cost)
        try:
            search.start(qualification)
        except exact.Unknown:
            assert whole is exact.UNKNOWN
            continue
        assert exact.exact_plan(solver, qualification, parsed.cost, search) == whole


@examples(ci=400, dev=40)
@given(scenarios(nesting=True))
def test_the_count_bound_is_at_most_the_fewest_credentials_a_plan_takes(engine, scenario):
    """`count_bound` reads the tables of the request's own cost (`credits`, `price`) or the
    assignment's, never a `count` table: still at most the cost of the `count` plan. (The
    engine's `count` plans are the oracle's, `test_oracle_properties.py`; the oracle's own
    search under `count` takes minutes on some of these catalogues.)"""
    data, request = scenario
    request = {key: value for key, value in request.items() if key in ("wallet", "as_of", "cost")}
    catalogue, parsed, bounds, solver = bounding(engine, data, request)
    for qualification in sorted(i for i, s in catalogue.credentials.items() if s.is_qualification):
        bounds.tree_bound(solver, qualification, parsed.valid_items)  # builds its tables

    want = engine.evaluate(data, {**request, "cost": "count"})

    for row in want["in_progress"]:
        needed = bounds.count_bound(solver, row["qualification"], parsed.valid_items)
        assert needed <= row["plan_cost"], (row, needed)
    for row in want["completed"]:
        assert bounds.count_bound(solver, row["qualification"], parsed.valid_items) <= 0


def test_a_plan_that_costs_little_keeps_its_place_where_only_credentials_are_bounded(engine):
    """q1's cost bound is 0: its held entry x serves either sum but not both, and x, no
    longer published, has no replacement for the bound that plans afresh. The plan (badge b
    and y, 1 credit) shows progress 1 - 1/11 by credits, more than counting credentials
    would (1 - 1/3 at most): the key must allow the former. q2 (progress 1 - 2/12) is
    planned first; a key that allowed only the count's share would leave q1 out."""
    data = {
        "credentials": {
            "b": {"provider": "uni-a", "credits": 0, "type": "badge"},
            "x": {
                "provider": "uni-a",
                "credits": 10,
                "subjects": ["A", "B"],
                "status": "withdrawn",
            },
            "a": {"provider": "uni-a", "credits": 10, "subjects": ["A"]},
            "y": {"provider": "uni-a", "credits": 1, "subjects": ["B"]},
            "z": {"provider": "uni-a", "credits": 2, "subjects": ["C"]},
            "q1": {
                "provider": "uni-a",
                "requirements": {
                    "all": [
                        {"credential": "b"},
                        {"credits": 10, "where": {"subjects": ["A"]}},
                        {"credits": 1, "where": {"subjects": ["B"]}},
                    ]
                },
            },
            "q2": {
                "provider": "uni-a",
                "requirements": {
                    "all": [{"credits": 10, "where": {"subjects": ["A"]}}, {"credential": "z"}]
                },
            },
        }
    }
    request = {
        "wallet": [{"credential": "x", "earned_on": "2025-01-10"}],
        "as_of": "2026-01-01",
        "limit": 1,
    }

    answer = engine.evaluate(data, request)

    assert [row["qualification"] for row in answer["in_progress"]] == ["q1"]
    assert answer["in_progress"][0]["progress"] == 1 - 1 / 11
    assert answer == oracle_evaluate(data, request)


def test_the_entries_a_qualification_accepts_leave_out_those_its_max_reuse_refuses(engine):
    """Rule 7: q (max_reuse 1) accepts an entry counted toward no other qualification, or
    toward q itself; r (no limit) accepts every entry. The bounds read only these."""
    data = {
        "credentials": {
            "a": {"provider": "uni-a", "credits": 5},
            "b": {"provider": "uni-a", "credits": 5},
            "c": {"provider": "uni-a", "credits": 5},
            "q": {"provider": "uni-a", "requirements": {"credits": 10}, "max_reuse": 1},
            "r": {"provider": "uni-a", "requirements": {"credits": 10}},
        }
    }
    day = "2025-01-10"
    wallet = [
        {"credential": "a", "earned_on": day},
        {"credential": "b", "earned_on": day, "counted_toward": ["r"]},
        {"credential": "c", "earned_on": day, "counted_toward": ["q"]},
    ]
    catalogue = engine.catalogue(data)
    parsed = parse_request(catalogue, {"wallet": wallet, "as_of": "2026-01-01"})
    held: dict[str, list] = {}
    for item in parsed.valid_items:
        held.setdefault(item.spec.id, []).append(item)

    def accepted_ids(qualification: str) -> list[str]:
        return sorted(i.spec.id for i in accepted(catalogue, qualification, {"a", "b", "c"}, held))

    assert accepted_ids("q") == ["a", "c"]
    assert accepted_ids("r") == ["a", "b", "c"]
    bounds = Bounds(catalogue, empty_answers(catalogue, "credits"), "credits")
    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)
    assert bounds.tree_bound(solver, "q", accepted(catalogue, "q", {"a", "b", "c"}, held)) == 0
    assert bounds.tree_bound(solver, "q", held["a"]) == 5 * bounds.scale


def test_a_count_leaf_is_bounded_by_its_cheapest_entries_when_some_are_free(engine):
    """Five badges, two of them free: the cheapest rate per entry is 0, which bounds nothing.
    The 5-credit badge is held, so three more are needed: two free ones and one of 2 credits
    at least, exactly the plan. (A held badge stays among the candidates the bound counts,
    which only lowers it.)"""
    badge = {"provider": "uni-a", "type": "badge"}
    data = {
        "credentials": {
            "f1": {**badge, "credits": 0},
            "f2": {**badge, "credits": 0},
            "p2": {**badge, "credits": 2},
            "p3": {**badge, "credits": 3},
            "p5": {**badge, "credits": 5},
            "q": {"provider": "uni-a", "requirements": {"count": 4, "where": {"types": ["badge"]}}},
        }
    }
    request = {"wallet": [{"credential": "p5", "earned_on": "2025-01-10"}], "as_of": "2026-01-01"}
    bound = credits_bound(engine, data, request)

    assert bound == 2
    [row] = oracle_evaluate(data, request)["in_progress"]
    assert row["plan"] == ["f1", "f2", "p2"]
    assert row["plan_cost"] == 2


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
    bound = credits_bound(engine, data, request)

    assert bound == 5
    [row] = oracle_evaluate(data, request)["in_progress"]
    assert row["plan_cost"] == 10


def test_a_qualification_put_back_by_its_relaxed_optimum_is_still_planned_in_its_place(engine):
    """qa needs 10 credits in S, sold in 4-credit courses; the wallet holds 3 of them in a
    withdrawn course, so no plan-afresh bound is known and the tree bound says 7 (one
    quantum per credit). The search's relaxed optimum says 8, and qa goes back in line
    with progress 1 - 8/12. qb (1 - 3/4) ranks below it: with one row asked for, qa is the
    row, and a key built from more than the relaxed optimum would have given qb."""
    data = {
        "credentials": {
            "held": {
                "provider": "uni-a",
                "credits": 3,
                "subjects": ["S"],
                "status": "withdrawn",
            },
            **{
                f"s{n}": {"provider": "uni-a", "credits": 4, "subjects": ["S"]} for n in range(1, 4)
            },
            **{
                f"t{n}": {"provider": "uni-a", "credits": 1, "subjects": ["T"]} for n in range(1, 5)
            },
            "qa": {
                "provider": "uni-a",
                "requirements": {"credits": 10, "where": {"subjects": ["S"]}},
            },
            "qb": {
                "provider": "uni-a",
                "requirements": {"credits": 4, "where": {"subjects": ["T"]}},
            },
        }
    }
    wallet = [
        {"credential": "held", "earned_on": "2025-01-10"},
        {"credential": "t1", "earned_on": "2025-01-10"},
    ]
    request = {"wallet": wallet, "as_of": "2026-01-01"}
    _, parsed, bounds, solver = bounding(engine, data, request)
    assert bounds.plan_bound("qa", {"held"}) is None
    assert bounds.tree_bound(solver, "qa", parsed.valid_items) / bounds.scale == 7
    assert exact.Search(solver, "credits").start("qa") / bounds.scale == 8

    everything = engine.evaluate(data, request)["in_progress"]
    assert [(row["qualification"], row["progress"]) for row in everything] == [
        ("qa", (12 - 8) / 12),  # rule 8 rounds the exact share once
        ("qb", (4 - 3) / 4),
    ]
    top = engine.evaluate(data, {**request, "limit": 1})["in_progress"]
    assert [row["qualification"] for row in top] == ["qa"]
