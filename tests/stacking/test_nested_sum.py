"""A nested qualification beside a wide credit sum: the empty-wallet plan matches the oracle.

The shape that held up 1M preparation: "Q0 and 10 credits of anyone's credentials in
subject s1 with a result of 60", where Q0 is itself a credit sum with a part in s1, so the
two sums share candidates and many candidates are interchangeable (equal credits, equal
cost). The exact search settles it with the joint program of the two leaves and its
lexicographic walk; the brute-force oracle enumerates every plan.
"""

from __future__ import annotations

import functools
from datetime import date
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import exact
from registry.stacking.engine import empty_answer, empty_solver

from .oracle import Oracle
from .test_engine_scale import engine_catalogue
from .test_oracle_properties import examples

AS_OF = date(2026, 3, 1)


@functools.cache
def choice(items: tuple) -> st.SearchStrategy:
    return st.sampled_from(items)


@st.composite
def catalogues(draw: st.DrawFn) -> dict[str, Any]:
    credentials: dict[str, dict[str, Any]] = {}
    # Few distinct credit values, so many candidates are interchangeable.
    for number in range(draw(st.integers(3, 9))):
        credentials[f"c{number}"] = {
            "credits": draw(choice((0, 2, 2, 2, 3, 5))),
            "provider": draw(choice(("p1", "p1", "p2"))),
            "subjects": [draw(choice(("s1", "s1", "s2")))],
        }
    inner: dict[str, Any] = {
        "credits": draw(choice((2, 4, 5))),
        "where": {"providers": ["p1"]},
    }
    if draw(st.booleans()):
        inner["of_which"] = [{"credits": draw(choice((2, 3))), "where": {"subjects": ["s1"]}}]
    credentials["q0"] = {"requirements": inner}
    if draw(st.booleans()):  # the nested qualification may itself be planned
        credentials["q0"]["credits"] = draw(choice((3, 6)))
    where: dict[str, Any] = {"subjects": ["s1"]}
    if draw(st.booleans()):
        where["result_min"] = 60
    credentials["q1"] = {
        "requirements": {
            "all": [{"credential": "q0"}, {"credits": draw(choice((2, 4, 6))), "where": where}]
        }
    }
    return {"credentials": credentials, "credit_units": {"ECTS": 1}}


@examples(ci=600, dev=80)
@given(catalogues())
def test_the_empty_wallet_plan_of_a_nested_qualification_beside_a_sum(data: dict) -> None:
    catalogue = engine_catalogue(data)
    oracle = Oracle(data, AS_OF)
    want = oracle.plan("q1", [], "credits")
    status, plan = empty_answer(catalogue, "q1", "credits")
    if want is None:
        assert status == "unreachable", (data, plan)
        return
    assert status == "in_progress", (data, status)
    assert plan.credentials == want.credentials, (data, plan, want)
    assert Fraction(plan.cost).limit_denominator(1000) == want.cost
    # The exact search itself settles this shape (the program is only the reference).
    found = exact.exact_plan(empty_solver(catalogue), "q1", "credits")
    assert found is not exact.UNKNOWN, data
    assert found.credentials == want.credentials, (data, found, want)


def test_the_walk_keeps_large_prices_exact() -> None:
    """Prices too large for 32-bit cells take 64-bit ones and the same answer."""
    big = 10**7
    steps = [
        ("a", [((2,), 3 * big, 0, None)]),
        ("b", [((2,), 2 * big, 0, None)]),
        ("c", [((1,), 2 * big, 0, None)]),
        ("d", [((1,), 2 * big, 0, None)]),
    ]
    picked = exact._lexicographic_walk((0,), steps, (2,))
    assert picked == [(1, 0)]  # "b"
    small = [(ident, [((g,), p // big, s, i) for (g,), p, s, i in ch]) for ident, ch in steps]
    assert exact._lexicographic_walk((0,), small, (2,)) == [(1, 0)]
