"""The shortcuts one evaluation takes over its repeated questions give the plain answers.

An entry remembers which filters it passes, a leaf node remembers its table, a leaf's grid
is read off the distinct credit values of its candidates, and free servers are trimmed with
running totals. Each is compared here with the plain computation it replaces.
"""

from __future__ import annotations

import math
import os
import random
from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import Catalogue, CredentialSpec, exact
from registry.stacking.engine import COSTS
from registry.stacking.index import result_matches, spec_matches
from registry.stacking.solver import Item, Solver, item_matches

from .test_joint_groups import filters, leaves, specs

ROUNDS = 3000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 200


def spec(ident: str, **fields) -> CredentialSpec:
    return CredentialSpec(ident, provider="p1", **fields)


# -- an entry's filter answers --------------------------------------------------------------


@given(st.lists(specs, min_size=1, max_size=6), st.lists(filters, min_size=1, max_size=4),
       st.sampled_from((None, "A", 7)))  # fmt: skip
def test_remembered_filter_answers_are_the_plain_ones(credentials, wheres, result) -> None:
    wheres = [*wheres, {"result_in": ["A"]}, {"result_min": 5}]
    for credential in credentials:
        held = Item(0, credential, date(2025, 1, 1), result)
        planned = Item(-1, credential, date(2025, 1, 1))
        for _ in range(2):  # asked twice: the second answer comes from memory
            for where in wheres:
                passes = spec_matches(credential, where)
                assert item_matches(held, where) == (passes and result_matches(result, where))
                assert item_matches(planned, where) == passes


def test_an_answer_is_reused_only_for_the_very_filter_it_was_given_for() -> None:
    """Answers are kept by the filter's id with the filter beside them (which keeps it
    alive); an entry under that id for any other filter is not taken as its answer."""
    held = Item(0, spec("c1", subjects=("0411",)), date(2025, 1, 1))
    where = {"subjects": ["0999"]}
    held.passes[id(where)] = ({"subjects": ["0999"]}, True)  # an equal filter, not this one
    assert not item_matches(held, where)
    assert held.passes[id(where)] == (where, False) and held.passes[id(where)][0] is where
    held.passes[id(where)] = (where, True)  # the very filter: its kept answer is used
    assert item_matches(held, where)


def test_equal_filters_of_different_rules_are_one_object() -> None:
    """So an entry's answer for one leaf's filter serves every leaf with an equal filter."""
    where = {"subjects": ["0411"], "level_min": 6}
    catalogue = Catalogue(
        {
            "c1": spec("c1", credits=5, subjects=("0411",), level=6),
            "q1": spec("q1", requirements={"credits": 5, "where": dict(where)}),
            "q2": spec("q2", requirements={"count": 1, "where": {"level_min": 6,
                                                                "subjects": ["0411"]},
                                           "of_which": [{"count": 1, "where": dict(where)}]}),
            "q3": spec("q3", requirements={"credits": 5, "where": {"level_min": 6.5}}),
        }
    )  # fmt: skip
    solver = Solver(catalogue.index(), date(2026, 1, 1), [])
    one, two, three = (solver.tree(q) for q in ("q1", "q2", "q3"))
    assert one.where is two.where is two.parts[0].where
    assert one.where == where
    assert three.where == {"level_min": 6.5} and three.where is not one.where
    held = Item(0, catalogue.credentials["c1"], date(2025, 1, 1))
    assert item_matches(held, one.where) and not item_matches(held, three.where)
    assert len(held.passes) == 2


# -- a node's table -------------------------------------------------------------------------


def test_a_leaf_node_remembers_the_catalogues_table_per_cost() -> None:
    catalogue = Catalogue(
        {
            "c1": spec("c1", credits=5, subjects=("0411",), price=100),
            "c2": spec("c2", credits=10, subjects=("0411",), price=90),
            "q": spec("q", requirements={"credits": 10, "where": {"subjects": ["0411"]}}),
        }
    )
    solver = Solver(catalogue.index(), date(2026, 1, 1), [])
    node = solver.tree("q")
    by_credits = exact.leaf_table(solver, node, "credits")
    by_price = exact.leaf_table(solver, node, "price")
    assert by_credits is not by_price
    assert [c[0] for c in by_credits.classes] == [(5,), (10,)]
    assert sorted(c[0] for c in by_price.classes) == [(5,), (10,)]
    # A second node with the same leaf (another date's tree) gets the very same table.
    other = Solver(catalogue.index(), date(2027, 1, 1), []).tree("q")
    assert other is not node
    assert exact.leaf_table(solver, other, "credits") is by_credits
    assert exact.leaf_table(solver, node, "credits") is by_credits


@given(st.lists(specs, min_size=1, max_size=8), leaves(), leaves(), st.sampled_from((None, "A", 7)))
def test_an_entrys_place_in_a_leaf_is_remembered_per_leaf(credentials, one, two, result) -> None:
    """`exact.item_roles` gives what the plain computation gives, whichever leaves and
    tables an entry was placed in before."""
    catalogue = Catalogue(
        {
            **{c.id: c for c in credentials},
            "q1": CredentialSpec("q1", provider="p1", requirements=one),
            "q2": CredentialSpec("q2", provider="p1", requirements=two),
        }
    )
    index = catalogue.index()
    solver = Solver(index, date(2026, 1, 1), [])
    nums = exact.numbers(index)
    items = [
        Item(n, credential, date(2025, 1, 1), result) for n, credential in enumerate(credentials)
    ]
    for _ in range(2):
        for item in items:
            for node in (solver.tree("q1"), solver.tree("q2")):
                for cost in COSTS:
                    try:
                        table = exact.leaf_table(solver, node, cost)
                        amount = nums.quanta(item.spec, node.unit, table.scale)
                    except exact.Unknown:
                        continue
                    flags = [item_matches(item, part.where) for part in node.parts]
                    want = (amount, exact.entry_roles(table, node, amount, flags))
                    assert exact.item_roles(nums, table, node, item) == want


# -- a leaf's grid --------------------------------------------------------------------------


@given(st.lists(specs, min_size=1, max_size=12), leaves(), st.sampled_from(COSTS))
def test_a_tables_grid_and_members_follow_every_candidate(credentials, rule, cost) -> None:
    catalogue = Catalogue(
        {
            **{c.id: c for c in credentials},
            "q": CredentialSpec("q", provider="p1", requirements=rule),
        }
    )
    index = catalogue.index()
    solver = Solver(index, date(2026, 1, 1), [])
    node = solver.tree("q")
    try:
        table = exact.leaf_table(solver, node, cost)
    except exact.Unknown:
        return
    nums = exact.numbers(index)
    candidates = [c for c in catalogue.credentials.values() if spec_matches(c, node.where)]
    # Every candidate, planned or not, lands on the grid (a held draft counts too).
    want = 1
    for candidate in candidates:
        want = math.lcm(want, nums.value(candidate, node.unit).denominator)
    assert table.scale == want
    for candidate in candidates:
        assert (nums.value(candidate, node.unit) * table.scale).denominator == 1
    # The classes hold exactly the candidates a plan may add, each once, in id order.
    plannable = sorted(c.id for c in candidates if nums.cost(c, cost) is not None)
    members = [m for _, _, ids in table.classes for m in ids]
    assert sorted(members) == plannable
    for _, _, ids in table.classes:
        assert list(ids) == sorted(ids)


def test_an_unpublished_candidate_sets_the_grid() -> None:
    catalogue = Catalogue(
        {
            "c1": spec("c1", credits=5, subjects=("0411",)),
            "c2": spec("c2", credits=2.25, subjects=("0411",), status="draft"),
            "q": spec("q", requirements={"credits": 7, "where": {"subjects": ["0411"]}}),
        }
    )
    solver = Solver(catalogue.index(), date(2026, 1, 1), [])
    table = exact.leaf_table(solver, solver.tree("q"), "credits")
    assert table.scale == 4
    assert table.thresholds == (28,)
    assert [(roles, list(ids)) for roles, _, ids in table.classes] == [((20,), ["c1"])]
    assert exact.numbers(catalogue.index()).value_of(2.25, "ECTS", "ECTS") == Fraction(9, 4)


# -- trimming free servers ------------------------------------------------------------------


def trimmed_plainly(used, base, thresholds, shares):
    """The trim as first written: each removal re-adds every remaining entry."""
    dims = len(thresholds)

    def holds(chosen):
        totals = list(base)
        for roles, _, _ in chosen:
            for d in range(dims):
                totals[d] += roles[d]
        return exact._meets(tuple(totals), thresholds, shares)

    kept = list(used)
    order = sorted(used, key=lambda e: (e[2] is not None and e[2].planned,
                                        -(e[2].number if e[2] is not None else 0)))  # fmt: skip
    for entry in order:
        trial = [other for other in kept if other is not entry]
        if holds(trial):
            kept = trial
    return kept


def test_trimming_with_running_totals_keeps_what_the_plain_trim_keeps() -> None:
    rng = random.Random(20261129)
    credential = spec("c1", credits=1)
    for _ in range(ROUNDS):
        dims = rng.randint(1, 3)
        shares = (dims - 1,) if dims > 1 and rng.random() < 0.4 else ()
        thresholds = tuple(0 if d in shares else rng.randint(0, 12) for d in range(dims))
        used = []
        for number in range(rng.randint(0, 7)):
            roles = tuple(
                rng.randint(-4, 4) if d in shares else rng.randint(0, 6) for d in range(dims)
            )
            kind = rng.random()
            item = None if kind < 0.2 else Item(-1 if kind < 0.4 else number, credential,
                                                  date(2025, 1, 1))  # fmt: skip
            used.append((roles, f"c{number}", item))
        base = [rng.randint(0, 5) for _ in range(dims)]
        want = trimmed_plainly(used, base, thresholds, shares)
        assert exact._trim_free(used, base, thresholds, shares) == want


# -- one table per leaf ---------------------------------------------------------------------


def test_assignments_read_the_table_plans_and_bounds_built() -> None:
    """A completion check reads a leaf's dimensions and grid only, which the tables of every
    cost share: under credits or count it takes that cost's table rather than build another."""
    from registry.stacking import evaluate

    credentials = {
        "a": spec("a", credits=4, subjects=("0613",)),
        "b": spec("b", credits=2.5, subjects=("0613",)),
        "c": spec("c", credits=3, subjects=("0613",)),
        "q1": spec("q1", requirements={"credits": 6, "where": {"subjects": ["0613"]}}),
        "q2": spec("q2", requirements={"credits": 9, "where": {"subjects": ["0613"]}}),
    }
    for cost in ("credits", "count"):
        catalogue = Catalogue(credentials=credentials, credit_units={"ECTS": 1.0})
        wallet = [{"credential": i, "earned_on": "2025-01-01"} for i in ("a", "b")]
        answer = evaluate(catalogue, {"wallet": wallet, "as_of": "2026-11-28", "cost": cost})
        assert [row["qualification"] for row in answer["completed"]] == ["q1"]
        assert [row["qualification"] for row in answer["in_progress"]] == ["q2"]
        built = {key[-1] for key in catalogue.index().cache if key[0] == "exact-leaf"}
        assert built == {cost}, (cost, built)
