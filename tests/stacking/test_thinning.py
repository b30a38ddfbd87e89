"""The integer program's thinning keeps a least plan: compared with the program unthinned.

With more than 24 candidates the program keeps, of each class of candidates that serve the
same leaves in the same way, only the cheapest (then smallest ids) that a least plan can
use. Under `price` those classes mix prices, so this is where the thinning decides most;
the program without thinning is the reference (its 25-40 binaries are well within reach).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.stacking.solver import Solver

from .test_engine_scale import engine_catalogue
from .test_nested_sum import AS_OF, choice
from .test_oracle_properties import examples


@st.composite
def catalogues(draw: st.DrawFn) -> dict[str, Any]:
    credentials: dict[str, dict[str, Any]] = {}
    for number in range(draw(st.integers(25, 40))):
        spec: dict[str, Any] = {
            "credits": draw(choice((1, 2, 2, 3, 5))),
            "provider": draw(choice(("p1", "p1", "p2"))),
            "subjects": [draw(choice(("s1", "s1", "s2")))],
        }
        price = draw(choice((None, 10, 10, 20, 35, 0)))
        if price is not None:
            spec["price"] = price
        credentials[f"c{number:02d}"] = spec
    sum_rule: dict[str, Any] = {
        "credits": draw(choice((4, 6, 9))),
        "where": {"subjects": ["s1"]},
    }
    if draw(st.booleans()):
        sum_rule["of_which"] = [{"credits": draw(choice((2, 3))), "where": {"providers": ["p1"]}}]
    rule: dict[str, Any] = sum_rule
    if draw(st.booleans()):
        rule = {"all": [sum_rule, {"count": draw(choice((1, 2))), "where": {"subjects": ["s2"]}}]}
    credentials["q"] = {"requirements": rule}
    return {"credentials": credentials, "credit_units": {"ECTS": 1}}


class WholeSolver(Solver):
    """The program over every candidate."""

    def _thin(self, ordered: list[str], *args: Any) -> list[str]:
        return ordered


@examples(ci=150, dev=30)
@given(catalogues(), st.sampled_from(("credits", "count", "price")))
def test_the_thinned_program_plans_as_the_whole_program(data: dict, cost: str) -> None:
    index = engine_catalogue(data).index()
    thinned = Solver(index, AS_OF, []).plan("q", cost)
    whole = WholeSolver(index, AS_OF, []).plan("q", cost)
    if whole is None:
        assert thinned is None, data
        return
    assert thinned is not None, data
    assert thinned.credentials == whole.credentials, (data, cost)
    assert thinned.cost == pytest.approx(whole.cost)
