"""Evaluation cases: units, recency, nesting, reuse, bad requests, and the page helpers."""

from __future__ import annotations

import datetime

import pytest

from registry.stacking import (
    BadRequest,
    Catalogue,
    CredentialSpec,
    evaluate,
    explanation,
    pathway,
    prepare,
    qualification_status,
)

AS_OF = "2026-11-28"


def catalogue() -> Catalogue:
    specs = [
        CredentialSpec("a", credits=5, subjects=("0613",), level=6, price=100),
        CredentialSpec("b", credits=10, credit_unit="SCQF", subjects=("0613",), level=6, price=50),
        CredentialSpec("c", credits=4, credit_unit="HKU", subjects=("0613",), level=6, price=10),
        CredentialSpec("d", credits=5, valid_years=1, price=100),
        CredentialSpec("e", credits=5, prerequisites={"credential": "a"}, price=100),
        CredentialSpec("q", requirements={"all": [{"credential": "a"}, {"credential": "d"}]}),
        CredentialSpec(
            "r", requirements={"credits": 10, "where": {"subjects": ["0613"]}, "within_years": 2}
        ),
        CredentialSpec("s", requirements={"all": [{"credential": "q"}, {"credential": "e"}]}),
        CredentialSpec("t", requirements={"credential": "a"}, max_reuse=1),
    ]
    return Catalogue({s.id: s for s in specs}, {"ECTS": 1, "SCQF": 0.5}, [])


def held(ident: str, earned_on: str = "2026-01-01", **extra: object) -> dict:
    return {"credential": ident, "earned_on": earned_on, **extra}


def test_units_convert_and_a_unit_without_rate_counts_nothing() -> None:
    answer = evaluate(catalogue(), {"wallet": [held("a"), held("b"), held("c")], "as_of": AS_OF})
    row = next(r for r in answer["completed"] if r["qualification"] == "r")
    assert row["assignment"] == [{"path": "", "entries": [0, 1]}]


def test_recency_and_expiry() -> None:
    wallet = [held("a", "2024-11-27"), held("b"), held("d", "2025-11-27")]
    answer = evaluate(catalogue(), {"wallet": wallet, "as_of": AS_OF, "limit": 10})
    rows = {r["qualification"]: r for r in answer["in_progress"]}
    assert rows["r"]["plan"] == ["a"]  # the old a is too old: retake it
    assert rows["q"]["plan"] == ["d"]  # d expired on 2026-11-27


def test_nesting_paths_and_prerequisites() -> None:
    answer = evaluate(catalogue(), {"wallet": [held("a"), held("d"), held("e")], "as_of": AS_OF})
    row = next(r for r in answer["completed"] if r["qualification"] == "s")
    assert row["assignment"] == [
        {"path": "all[0]/q/all[0]", "entries": [0]},
        {"path": "all[0]/q/all[1]", "entries": [1]},
        {"path": "all[1]", "entries": [2]},
    ]
    empty = evaluate(catalogue(), {"wallet": [], "as_of": AS_OF, "qualifications": ["s"]})
    assert empty["in_progress"][0]["plan"] == ["a", "d", "e"]


def test_max_reuse_counts_other_qualifications() -> None:
    wallet = [held("a", counted_toward=["q"])]
    answer = evaluate(catalogue(), {"wallet": wallet, "as_of": AS_OF, "qualifications": ["t"]})
    assert answer["in_progress"][0]["plan"] == ["a"]
    wallet = [held("a", counted_toward=["t"])]
    answer = evaluate(catalogue(), {"wallet": wallet, "as_of": AS_OF, "qualifications": ["t"]})
    assert [r["qualification"] for r in answer["completed"]] == ["t"]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"wallet": [held("zz")]}, "wallet[0].credential"),
        ({"wallet": [held("a", "2026-02-30")]}, "wallet[0].earned_on"),
        ({"wallet": [held("a", expires_on="soon")]}, "wallet[0].expires_on"),
        ({"wallet": [held("a", counted_toward=["nope"])]}, "wallet[0].counted_toward[0]"),
        ({"wallet": [3]}, "wallet[0]"),
        ({"wallet": {}}, "wallet"),
        ({"as_of": "28/11/2026"}, "as_of"),
        ({"cost": "time"}, "cost"),
        ({"qualifications": ["zz"]}, "qualifications[0]"),
        ({"qualifications": ["q", "a"]}, "qualifications[1]"),
        ({"limit": -1}, "limit"),
        ({"limit": True}, "limit"),
    ],
)
def test_bad_requests_name_the_field(request_: dict, field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        evaluate(catalogue(), request_)
    assert caught.value.field == field


def test_answer_shape_sorting_and_limit() -> None:
    prepare(catalogue(), ("credits", "count", "price"))
    answer = evaluate(catalogue(), {"wallet": [held("b")], "as_of": AS_OF, "limit": 2})
    assert answer["as_of"] == AS_OF
    assert len(answer["in_progress"]) == 2
    assert answer["in_progress"][0]["qualification"] == "r"
    assert answer["in_progress"][0]["progress"] == pytest.approx(0.5)
    default = evaluate(catalogue(), {"wallet": []}, today=datetime.date(2026, 1, 2))
    assert default["as_of"] == "2026-01-02"


def test_page_helpers() -> None:
    cat = catalogue()
    status = qualification_status(cat, "q", [held("a")], as_of=datetime.date(2026, 11, 28))
    assert status["status"] == "in_progress" and status["plan"] == ["d"]
    assert explanation(cat, "t", [held("a")]) == [{"path": "", "entries": [0]}]
    assert explanation(cat, "q", []) is None
    view = pathway(cat, "a")
    assert view["counts_toward"] == ["q", "r", "s", "t"]
    assert {"from": "q", "to": "a", "kind": "requirement"} in view["edges"]
    assert pathway(cat, "s")["requirements"]["children"][0]["expansion"]["path"] == "all[0]/q/"
