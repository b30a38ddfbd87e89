"""Class lines kept between wallets (`exact.RunLines`) never change an answer.

A server evaluates wallet after wallet against one catalogue, and the leaves' class lines
built for one wallet are read again for the next. Here every line is kept however small
(`RUN_LINE_MEMBERS = 0`), several wallets go through one catalogue object, and each answer
is compared with the brute-force oracle's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import evaluate, exact

from .oracle import evaluate as oracle_evaluate
from .test_oracle_properties import (
    AS_OF,
    EngineAdapter,
    catalogues,
    compare,
    draw_wallet,
    engine,  # noqa: F401
    examples,
    pick,
)


@pytest.fixture(autouse=True)
def every_line_kept() -> Iterator[None]:
    saved = exact.RUN_LINE_MEMBERS
    exact.RUN_LINE_MEMBERS = 0
    try:
        yield
    finally:
        exact.RUN_LINE_MEMBERS = saved


@st.composite
def wallets_for_one_catalogue(draw: st.DrawFn) -> tuple[dict, list[dict]]:
    catalogue = draw(catalogues())
    as_of = pick(draw, AS_OF)
    requests = []
    for _ in range(4):
        request = {
            "wallet": draw_wallet(draw, catalogue, date.fromisoformat(as_of), 6),
            "as_of": as_of,
            "cost": pick(draw, ("credits", "count", "price")),
        }
        requests.append(request)
    return catalogue, requests


@examples(ci=300, dev=50)
@given(wallets_for_one_catalogue())
def test_wallet_after_wallet_on_one_catalogue_answers_as_the_oracle(
    engine: EngineAdapter,
    case: tuple[dict, list[dict]],
) -> None:
    data, requests = case
    catalogue = engine.catalogue(data)
    for request in requests:
        compare(data, request, evaluate(catalogue, request), oracle_evaluate(data, request))
