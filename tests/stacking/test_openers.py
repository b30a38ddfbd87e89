"""A qualification an empty wallet cannot reach is judged again only where the wallet holds
an entry a plan could not add in its place (`evaluate._opened`); the answers stay the oracle's."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from .oracle import EngineAdapter
from .oracle import evaluate as oracle_evaluate

CATALOGUE: dict[str, Any] = {
    "credentials": {
        # q-gone needs a withdrawn course: only an entry of it opens a way.
        "gone": {"credits": 5, "status": "withdrawn", "subjects": ["0613"]},
        "plain": {"credits": 5, "subjects": ["0613"], "price": 10},
        "q-gone": {"requirements": {"all": [{"credential": "gone"},
                                            {"credits": 5, "where": {"subjects": ["0613"]}}]}},
        # "late" has prerequisites nobody can meet (they name a draft), so it cannot be
        # planned; an entry of it still serves.
        "draft": {"credits": 1, "status": "draft"},
        "late": {"credits": 3, "prerequisites": {"credential": "draft"}, "price": 5},
        "q-late": {"requirements": {"all": [{"credential": "late"}, {"credential": "plain"}]}},
        # Under cost price a credential without a price cannot be planned.
        "free": {"credits": 2},
        "q-free": {"requirements": {"all": [{"credential": "free"}, {"credential": "plain"}]}},
        # A held qualification serves where it is named; nothing can plan it here.
        "q-inner": {"requirements": {"credential": "gone"}},
        "q-outer": {"requirements": {"all": [{"credential": "q-inner"},
                                             {"credential": "plain"}]}},
    },
    "credit_units": {"ECTS": 1},
}  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> EngineAdapter:
    return EngineAdapter(importlib.import_module("registry.stacking"))


def request(*held: str, cost: str = "credits") -> dict[str, Any]:
    wallet = [{"credential": ident, "earned_on": "2025-01-01"} for ident in held]
    return {"wallet": wallet, "as_of": "2026-11-28", "cost": cost}


def status(answer: dict, qualification: str) -> str:
    if any(row["qualification"] == qualification for row in answer["completed"]):
        return "completed"
    if any(row["qualification"] == qualification for row in answer["in_progress"]):
        return "in_progress"
    assert qualification in answer["unreachable"]
    return "unreachable"


@pytest.mark.parametrize(
    ("held", "cost", "qualification", "expected"),
    [
        # A wallet of credentials a plan could add anyway opens nothing.
        (("plain",), "credits", "q-gone", "unreachable"),
        (("plain",), "credits", "q-late", "unreachable"),
        (("plain",), "credits", "q-outer", "unreachable"),
        # An entry of a withdrawn credential, of one with prerequisites, of a qualification.
        (("gone",), "credits", "q-gone", "in_progress"),
        (("late",), "credits", "q-late", "in_progress"),
        (("late", "plain"), "credits", "q-late", "completed"),
        (("gone",), "credits", "q-outer", "in_progress"),
        (("q-inner",), "credits", "q-outer", "in_progress"),
        # Without a price "free" cannot be planned under price, but an entry of it serves.
        (("plain",), "price", "q-free", "unreachable"),
        (("free",), "price", "q-free", "in_progress"),
        (("free",), "credits", "q-free", "in_progress"),
    ],
)
def test_only_entries_a_plan_could_not_add_open_a_way(
    engine: EngineAdapter, held: tuple[str, ...], cost: str, qualification: str, expected: str
) -> None:
    asked = request(*held, cost=cost)
    answer = engine.evaluate(CATALOGUE, asked)
    assert status(answer, qualification) == expected
    assert answer == oracle_evaluate(CATALOGUE, asked)
