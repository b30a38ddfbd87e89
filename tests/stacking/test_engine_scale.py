"""The shortcuts the engine takes at catalogue scale agree with the brute-force oracle.

`engine.met_by_nothing` lets empty-wallet preparation skip the assignment search for rules
that need entries; it must never say "needs entries" of a rule that an empty wallet meets.
The generated rules here include zero thresholds (`count: 0`, `credits: 0`, parts of 0), which
the other generators never draw, so both answers occur.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import Catalogue, CredentialSpec
from registry.stacking.engine import empty_answer, empty_solver, met_by_nothing

from .oracle import Oracle
from .test_oracle_properties import examples

AS_OF = date(2026, 3, 1)
PLAIN = ("a", "b", "c", "d")


@functools.cache
def choice(items: tuple) -> st.SearchStrategy:
    return st.sampled_from(items)


def draw_collection(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(choice(("credits", "count")))
    rule: dict[str, Any] = {kind: draw(choice((0, 0, 1, 2) if kind == "count" else (0, 0, 0.5, 3)))}
    if draw(st.booleans()):
        rule["where"] = {"subjects": [draw(choice(("s1", "s2")))]}
    if draw(st.booleans()):
        part = draw(choice(("credits", "count", "share")))
        amount = draw(choice((0.5, 1) if part == "share" else (0, 0, 1)))
        rule["of_which"] = [{part: amount, "where": {"subjects": ["s1"]}}]
    return rule


def draw_rule(draw: st.DrawFn, nested: tuple[str, ...], depth: int) -> dict[str, Any]:
    kind = draw(choice(("leaf", "leaf", "collection", "collection", "all", "any", "at_least")))
    if depth >= 2 or kind == "leaf":
        return {"credential": draw(choice(nested + PLAIN if nested else PLAIN))}
    if kind == "collection":
        return draw_collection(draw)
    children = [draw_rule(draw, nested, depth + 1) for _ in range(draw(st.integers(1, 3)))]
    if kind == "at_least":
        return {"at_least": draw(st.integers(1, len(children))), "of": children}
    return {kind: children}


@st.composite
def catalogues(draw: st.DrawFn) -> dict[str, Any]:
    credentials: dict[str, dict[str, Any]] = {
        ident: {"credits": 2, "subjects": [draw(choice(("s1", "s2")))]} for ident in PLAIN
    }
    nested: tuple[str, ...] = ()
    for number in range(draw(st.integers(1, 4))):
        ident = f"q{number}"
        credentials[ident] = {"requirements": draw_rule(draw, nested, 0)}
        nested += (ident,)
    return {"credentials": credentials, "credit_units": {"ECTS": 1}}


def engine_catalogue(data: dict[str, Any]) -> Catalogue:
    specs = {}
    for ident, fields in data["credentials"].items():
        fields = dict(fields)
        if "subjects" in fields:
            fields["subjects"] = tuple(fields["subjects"])
        specs[ident] = CredentialSpec(id=ident, **fields)
    return Catalogue(credentials=specs, credit_units=dict(data["credit_units"]))


@examples(ci=1500, dev=150)
@given(catalogues())
def test_met_by_nothing_never_misses_a_rule_an_empty_wallet_meets(data: dict) -> None:
    catalogue = engine_catalogue(data)
    oracle = Oracle(data, AS_OF)
    solver = empty_solver(catalogue)
    for ident, spec in catalogue.credentials.items():
        if not spec.is_qualification:
            continue
        met = oracle.is_complete(ident, [])
        if met:
            assert met_by_nothing(solver.tree(ident)), (ident, spec.requirements)
        status, _ = empty_answer(catalogue, ident, "credits")
        assert (status == "completed") == met, (ident, spec.requirements, status)
