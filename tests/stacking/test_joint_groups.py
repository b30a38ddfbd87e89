"""Two leaves sharing candidates: the joint grouping worked out on the catalogue's columns
is the grouping of the two tables' class members, credential by credential."""

from __future__ import annotations

import heapq
from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from registry.stacking import Catalogue, CredentialSpec, exact
from registry.stacking.solver import Solver

from .test_oracle_properties import examples

SUBJECTS = ("0411", "0413")
specs = st.builds(
    lambda number, provider, subjects, level, credits, unit, status, price: CredentialSpec(
        f"c{number:02d}",
        provider=provider,
        subjects=tuple(subjects),
        level=level,
        credits=credits,
        credit_unit=unit,
        status=status,
        price=price,
    ),
    st.integers(0, 40),
    st.sampled_from(("p1", "p2")),
    st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=2),
    st.one_of(st.none(), st.integers(4, 7)),
    st.sampled_from((1, 2.5, 3, 3.0, 6)),
    st.sampled_from(("ECTS", "US")),
    st.sampled_from(("published", "published", "draft")),
    st.sampled_from((None, 90, 120.5)),
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "subjects": st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=2),
        "providers": st.lists(st.sampled_from(("p1", "p2")), min_size=1, max_size=1),
        "level_min": st.integers(4, 7),
    },
)


@st.composite
def leaves(draw: st.DrawFn) -> dict:
    rule = {"credits": draw(st.sampled_from((3, 6, 10))), "where": draw(filters)}
    if draw(st.booleans()):
        part = draw(st.sampled_from(("credits", "share")))
        amount = 2 if part == "credits" else 0.5
        rule["of_which"] = [{part: amount, "where": draw(filters)}]
    return rule


def grouped_by_members(search, first, second):
    """The grouping read off the tables' class members (the implementation before the
    columns): every candidate with its class on each side and its cost."""
    side_of: list[dict[str, int]] = [{}, {}]
    costs: list[list] = [[], []]
    runs = []
    for side, table in enumerate((first, second)):
        for number, (_, _, members) in enumerate(table.classes):
            side_of[side].update(dict.fromkeys(members, number))
            costs[side].append(search.plan_cost(members.first()))
            runs.extend(members.runs)
    groups: dict[tuple, list[str]] = {}
    last = None
    for ident in heapq.merge(*runs):
        if ident == last:
            continue
        last = ident
        a, b = side_of[0].get(ident), side_of[1].get(ident)
        price = costs[0][a] if a is not None else costs[1][b]
        groups.setdefault((a, b, price), []).append(ident)
    return [
        (a, b, members)
        for (a, b, _), members in sorted(
            groups.items(), key=lambda pair: (str(pair[0][0]), str(pair[0][1]), pair[0][2])
        )
    ]


@examples(ci=1000, dev=100)
@given(
    st.lists(specs, min_size=1, max_size=30, unique_by=lambda spec: spec.id),
    leaves(),
    leaves(),
    st.sampled_from(("credits", "count", "price")),
)
def test_joint_groups_are_the_tables_class_members_grouped(specs, one, two, cost) -> None:
    qualification = CredentialSpec("q", requirements={"all": [one, two]})
    catalogue = Catalogue({spec.id: spec for spec in [*specs, qualification]}, {"US": 2.0})
    solver = Solver(catalogue.index(), date(2026, 3, 1), [])
    first_node, second_node = solver.tree("q").children
    try:
        first = exact.leaf_table(solver, first_node, cost)
        second = exact.leaf_table(solver, second_node, cost)
    except exact.Unknown:
        assume(False)
    search = exact.Search(solver, cost)
    found = exact._group_jointly(search, first_node, second_node, first, second)
    assert found == grouped_by_members(search, first, second)
