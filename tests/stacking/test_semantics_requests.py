"""Bad evaluation requests raise BadRequest naming the field; as_of defaults to today."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest

from .oracle import EngineAdapter

CATALOGUE = {
    "credentials": {
        "a": {"credits": 5},
        "q": {"requirements": {"credential": "a"}},
    },
    "credit_units": {"ECTS": 1},
}
GOOD_ENTRY = {"credential": "a", "earned_on": "2025-01-01"}


@pytest.fixture(scope="module")
def engine() -> EngineAdapter:
    return EngineAdapter(importlib.import_module("registry.stacking"))


def field_of(error: Exception) -> Any:
    """The field a BadRequest names (its `field` attribute, else its first argument)."""
    return getattr(error, "field", error.args[0] if error.args else None)


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        ({"wallet": [GOOD_ENTRY, {"credential": "nope", "earned_on": "2025-01-01"}]},
         "wallet[1].credential"),
        ({"wallet": [{"credential": "a", "earned_on": "2025-02-30"}]}, "wallet[0].earned_on"),
        ({"wallet": [{"credential": "a", "earned_on": "yesterday"}]}, "wallet[0].earned_on"),
        ({"wallet": [GOOD_ENTRY], "as_of": "2026-13-01"}, "as_of"),
        ({"wallet": [GOOD_ENTRY], "as_of": "28/11/2026"}, "as_of"),
        ({"wallet": [GOOD_ENTRY], "cost": "time"}, "cost"),
        ({"wallet": [GOOD_ENTRY], "qualifications": ["q", "unknown"]},
         ("qualifications[1]", "qualifications")),
    ],
    ids=["unknown-credential", "impossible-date", "not-a-date", "bad-as-of-month",
         "bad-as-of-format", "unknown-cost", "unknown-qualification"],
)  # fmt: skip
def test_bad_request_names_the_field(
    engine: EngineAdapter, request_: dict[str, Any], fields: str | tuple[str, ...]
) -> None:
    request_ = {"as_of": "2026-11-28", **request_}
    with pytest.raises(engine.module.BadRequest) as caught:
        engine.evaluate(CATALOGUE, request_)
    named = field_of(caught.value)
    assert named in ((fields,) if isinstance(fields, str) else fields), (named, str(caught.value))


def test_as_of_defaults_to_today(engine: EngineAdapter) -> None:
    answer = engine.evaluate(CATALOGUE, {"wallet": [GOOD_ENTRY]}, today=date(2026, 11, 28))
    assert answer["as_of"] == "2026-11-28"
    assert [c["qualification"] for c in answer["completed"]] == ["q"]
