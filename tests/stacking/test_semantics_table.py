"""Hand-made cases for every rule of STACKING.md "Semantics", checked on the oracle and the engine.

Each expected answer is derived by hand from the text; the derivation sits in the case's `why`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from .oracle import EngineAdapter, assignment_problems
from .oracle import evaluate as oracle_evaluate

AS_OF = "2026-11-28"
UNITS = {"ECTS": 1, "SCQF": 0.5, "USH": 2}  # "XU" is used below and has no rate


def cred(credits: float = 5, **fields: Any) -> dict[str, Any]:
    """A plain credential worth `credits` ECTS unless told otherwise."""
    return {"credits": credits, **fields}


def qual(rule: dict, **fields: Any) -> dict[str, Any]:
    return {"requirements": rule, "type": "certificate", **fields}


def held(credential: str, earned_on: str = "2025-01-01", **fields: Any) -> dict[str, Any]:
    return {"credential": credential, "earned_on": earned_on, **fields}


def one(credential: str) -> dict[str, str]:
    return {"credential": credential}


def all_of(*credentials: str) -> dict[str, list]:
    return {"all": [one(c) for c in credentials]}


@dataclass
class Case:
    """A catalogue, a request and the answer the text gives for it."""

    name: str
    why: str
    credentials: dict[str, dict[str, Any]]
    wallet: list[dict[str, Any]]
    completed: list[str] = field(default_factory=list)
    # (qualification, progress, plan, plan_cost), in answer order
    in_progress: list[tuple[str, float | None, list[str], float]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)  # extra request keys
    recognitions: list[tuple[str, str]] = field(default_factory=list)
    # qualification -> {path: entries} that the assignment must contain (forced by the case)
    paths: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    @property
    def catalogue(self) -> dict[str, Any]:
        return {
            "credentials": self.credentials,
            "credit_units": UNITS,
            "recognitions": self.recognitions,
        }

    @property
    def full_request(self) -> dict[str, Any]:
        return {"wallet": self.wallet, "as_of": AS_OF, **self.request}


def simple(rule: dict, wallet: list[dict], extra: dict | None = None, **case: Any) -> dict:
    """Keyword arguments for a one-qualification case: `q` with `rule` over a..e (5 ECTS each)."""
    credentials = {c: cred() for c in "abcde"} | (extra or {}) | {"q": qual(rule)}
    return {"credentials": credentials, "wallet": wallet, **case}


FILTER_CASES = [
    # (filter, matching credential fields, other credential fields)
    ({"credentials": ["m"]}, {}, {}),
    ({"providers": ["uni-a"]}, {"provider": "uni-a"}, {"provider": "uni-b"}),
    ({"subjects": ["0613"]}, {"subjects": ["0411", "0613"]}, {"subjects": ["0411"]}),
    ({"types": ["badge"]}, {"type": "badge"}, {"type": "course"}),
    ({"level_min": 6}, {"level": 6}, {"level": 5}),
    ({"level_max": 5}, {"level": 5}, {"level": 6}),
    ({"level_min": 1}, {"level": 1}, {}),  # a credential without a level fails level filters
    ({"subjects": ["0613"], "level_min": 6}, {"subjects": ["0613"], "level": 6},
     {"subjects": ["0613"], "level": 5}),
]  # fmt: skip


def filter_cases() -> list[Case]:
    cases = []
    for number, (where, good, bad) in enumerate(FILTER_CASES):
        key = f"{number}-{'+'.join(where)}"
        credentials = {"m": cred(**good), "n": cred(**bad), "q": qual({"count": 1, "where": where})}
        cases.append(
            Case(
                f"filter-{key}-matches",
                "the held credential matches every key of the filter",
                credentials,
                [held("m")],
                completed=["q"],
                paths={"q": {"": [0]}},
            )
        )
        cases.append(
            Case(
                f"filter-{key}-fails",
                "n fails the filter; the only plan is m (5), from an empty wallet too: 1 - 5/5",
                credentials,
                [held("n")],
                in_progress=[("q", 0.0, ["m"], 5.0)],
            )
        )
    return cases


RESULT_CASES = [
    # (filter, result held, complete?)
    ({"result_in": ["A", "B"]}, "A", True),
    ({"result_in": ["A", "B"]}, "C", False),
    ({"result_in": [70]}, 70, True),
    ({"result_in": ["A"]}, None, False),  # an entry without a result fails result_in
    ({"result_min": 60}, 60, True),
    ({"result_min": 60}, 59.5, False),
    ({"result_min": 60}, None, False),  # ... and result_min
]


def result_cases() -> list[Case]:
    cases = []
    for where, result, complete in RESULT_CASES:
        entry = held("a") if result is None else held("a", result=result)
        name = f"filter-{next(iter(where))}-{result}"
        credentials = {"a": cred(), "b": cred(8), "q": qual({"count": 1, "where": where})}
        if complete:
            cases.append(Case(name, "the result passes", credentials, [entry], completed=["q"]))
        else:
            cases.append(
                Case(
                    name,
                    "a planned entry meets every result filter, so retaking a (5) beats b (8); "
                    "an empty wallet's plan is the same: progress 0",
                    credentials,
                    [entry],
                    in_progress=[("q", 0.0, ["a"], 5.0)],
                )
            )
    return cases


CHAIN = {  # a learner order that differs from the id order
    "z-intro": cred(2),
    "m-mid": cred(3, prerequisites=one("z-intro")),
    "a-final": cred(4, prerequisites=one("m-mid")),
    "q": qual(one("a-final")),
}

ORDERING = {
    "a": cred(),
    "b": cred(),
    "c": cred(),
    "d": cred(),
    "e": cred(),
    "h": cred(10),
    "k": cred(10),
    "f": cred(status="draft"),
    "u": cred(status="withdrawn"),
    "qa": qual(all_of("a", "b")),
    "qb": qual(all_of("a", "c", "d")),
    "qc": qual(all_of("a", "e")),
    "qd": qual(all_of("h", "k")),
    "qn": qual(all_of("u", "b")),
    "qz": qual(all_of("f")),
    "qdone": qual(all_of("a")),
}
ORDERING_WALLET = [held("a"), held("u"), held("h")]
ORDERING_WHY = (
    "qa: plan b 5 of 10 -> 0.5; qc: plan e 5 of 10 -> 0.5; qd: plan k 10 of 20 -> 0.5; "
    "qb: plan c+d 10 of 15 -> 1/3; qn: the empty wallet has no plan (u unpublished) -> null; "
    "qz: f is a draft -> unreachable. Sorted by progress, then plan_cost, then id."
)

CASES: list[Case] = [
    # ---- rule 1: valid entries --------------------------------------------------------------
    Case("r1-valid-entry-counts", "held, valid", **simple(all_of("a"), [held("a")]),
         completed=["q"], paths={"q": {"all[0]": [0]}}),
    Case("r1-revoked-entry-does-not-count", "revoked; the plan retakes a: 1 - 5/5",
         **simple(all_of("a"), [held("a", revoked=True)]),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r1-entry-dated-after-as-of", "earned the day after as_of",
         **simple(all_of("a"), [held("a", "2026-11-29")]),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r1-entry-dated-as-of-counts", "not dated after as_of",
         **simple(all_of("a"), [held("a", AS_OF)]), completed=["q"]),
    Case("r1-expires-before-as-of", "expires_on must be >= as_of",
         **simple(all_of("a"), [held("a", expires_on="2026-11-27")]),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r1-expires-on-as-of-still-counts", "expires_on == as_of",
         **simple(all_of("a"), [held("a", expires_on=AS_OF)]), completed=["q"]),
    Case("r1-valid-years-ends-on-as-of", "2024-11-28 + 2 years == as_of",
         **simple(all_of("a"), [held("a", "2024-11-28")], {"a": cred(valid_years=2)}),
         completed=["q"]),
    Case("r1-valid-years-ended", "2024-11-27 + 2 years < as_of",
         **simple(all_of("a"), [held("a", "2024-11-27")], {"a": cred(valid_years=2)}),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r1-expires-on-beats-valid-years", "expires_on when given, else valid_years",
         **simple(all_of("a"), [held("a", "2020-01-01", expires_on="2030-01-01")],
                  {"a": cred(valid_years=1)}), completed=["q"]),
    Case("r1-expires-on-before-valid-years-end", "expires_on when given, else valid_years",
         **simple(all_of("a"), [held("a", "2026-01-01", expires_on="2026-06-01")],
                  {"a": cred(valid_years=10)}), in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r1-unpublished-still-counts", "an entry of a no longer published credential counts",
         **simple(all_of("a"), [held("a")], {"a": cred(status="withdrawn")}), completed=["q"]),
    # ---- rule 2: no double counting inside one qualification ----------------------------------
    Case("r2-one-entry-serves-one-leaf",
         "a serves all[0]; the credits leaf still needs b: plan b (5) of a+b (10)",
         **simple({"all": [one("a"), {"credits": 5, "where": {"subjects": ["x"]}}]}, [held("a")],
                  {"a": cred(subjects=["x"]), "b": cred(subjects=["x"])}),
         in_progress=[("q", 0.5, ["b"], 5.0)]),
    Case("r2-same-credential-never-twice",
         "the second entry of a cannot serve; only b is left for 10 credits; no plan can add "
         "another credential matching the filter",
         **simple({"all": [one("a"), {"credits": 10, "where": {"credentials": ["a", "b"]}}]},
                  [held("a"), held("a", "2025-06-01"), held("b")]),
         unreachable=["q"]),
    Case("r2-entry-serves-different-qualifications", "each qualification is assigned apart",
         credentials={"a": cred(), "q1": qual(all_of("a")), "q2": qual({"credits": 5})},
         wallet=[held("a")], completed=["q1", "q2"]),
    Case("r2-count-needs-different-credentials", "two entries of a are one credential",
         **simple({"count": 2, "where": {"credentials": ["a", "b"]}}, [held("a"), held("a")]),
         in_progress=[("q", 0.5, ["b"], 5.0)]),
    # ---- rule 3: nesting ------------------------------------------------------------------------
    Case("r3-stack-through-the-middle-level", "mid's rule is satisfied with a and b",
         credentials={"a": cred(), "b": cred(), "c": cred(), "mid": qual(all_of("a", "b")),
                      "top": qual({"all": [one("mid"), one("c")]})},
         wallet=[held("a"), held("b"), held("c")], request={"qualifications": ["top"]},
         completed=["top"],
         paths={"top": {"all[0]/mid/all[0]": [0], "all[0]/mid/all[1]": [1], "all[1]": [2]}}),
    Case("r3-awarded-middle-level", "an entry of mid itself",
         credentials={"a": cred(), "b": cred(), "c": cred(), "mid": qual(all_of("a", "b")),
                      "top": qual({"all": [one("mid"), one("c")]})},
         wallet=[held("mid"), held("c")], request={"qualifications": ["top"]},
         completed=["top"], paths={"top": {"all[0]": [0], "all[1]": [1]}}),
    Case("r3-nested-entries-are-then-used",
         "a serves mid, so the credits leaf needs c: plan c (5) of a+c (10)",
         credentials={"a": cred(), "c": cred(), "mid": qual(all_of("a")),
                      "top": qual({"all": [one("mid"),
                                           {"credits": 5, "where": {"credentials": ["a", "c"]}}]})},
         wallet=[held("a")], request={"qualifications": ["top"]},
         in_progress=[("top", 0.5, ["c"], 5.0)]),
    Case("r3-nested-root-path", "the root of top is the leaf naming mid: '' + '/mid/' + 'all[0]'",
         credentials={"a": cred(), "mid": qual(all_of("a")), "top": qual(one("mid"))},
         wallet=[held("a")], request={"qualifications": ["top"]},
         completed=["top"], paths={"top": {"/mid/all[0]": [0]}}),
    Case("r3-nested-deep-path", "paths join with dots, nesting continues after /Q/",
         credentials={"a": cred(), "b": cred(), "c": cred(), "d": cred(),
                      "mid": qual(all_of("a", "d")),
                      "top": qual({"all": [one("b"), {"any": [one("c"), one("mid")]}]})},
         wallet=[held("b"), held("a"), held("d")], request={"qualifications": ["top"]},
         completed=["top"],
         paths={"top": {"all[0]": [0], "all[1].any[1]/mid/all[0]": [1],
                        "all[1].any[1]/mid/all[1]": [2]}}),
    Case("r3-two-levels", "top -> mid -> low",
         credentials={"a": cred(), "b": cred(), "low": qual(all_of("a")),
                      "mid": qual({"all": [one("low"), one("b")]}), "top": qual(one("mid"))},
         wallet=[held("b"), held("a")], request={"qualifications": ["top"]},
         completed=["top"], paths={"top": {"/mid/all[0]/low/all[0]": [1], "/mid/all[1]": [0]}}),
    Case("r3-recency-above-a-nested-leaf", "within_years above mid reaches the entries inside",
         credentials={"a": cred(), "mid": qual(all_of("a")),
                      "top": qual({"credential": "mid", "within_years": 1})},
         wallet=[held("a", "2020-01-01")], request={"qualifications": ["top"]},
         in_progress=[("top", 0.0, ["a"], 5.0)]),
    # ---- rule 4: exactness ---------------------------------------------------------------------
    Case("r4-greedy-first-fit-is-wrong", "a must go to all[1], so b serves the credits leaf",
         **simple({"all": [{"credits": 5, "where": {"subjects": ["x"]}}, one("a")]},
                  [held("a"), held("b")], {"a": cred(subjects=["x"]), "b": cred(subjects=["x"])}),
         completed=["q"], paths={"q": {"all[0]": [1], "all[1]": [0]}}),
    Case("r4-share-needs-the-right-subset",
         "all three give share 10/15 < 0.75; a and c alone give 10 credits, share 1",
         **simple({"credits": 10, "of_which": [{"share": 0.75, "where": {"subjects": ["x"]}}]},
                  [held("a"), held("b"), held("c")],
                  {"a": cred(subjects=["x"]), "b": cred(subjects=["y"]),
                   "c": cred(subjects=["x"])}),
         completed=["q"], paths={"q": {"": [0, 2]}}),
    Case("r4-at-least-with-overlap", "a serves at_least[0], b the any",
         **simple({"at_least": 2, "of": [one("a"), {"any": [one("a"), one("b")]}]},
                  [held("a"), held("b")]),
         completed=["q"], paths={"q": {"at_least[0]": [0], "at_least[1].any[1]": [1]}}),
    # ---- rule 5: explanation --------------------------------------------------------------------
    Case("r5-assignment-names-every-entry-of-a-leaf", "10 credits need both a and b",
         **simple({"credits": 10, "where": {"subjects": ["x"]}}, [held("a"), held("b")],
                  {"a": cred(subjects=["x"]), "b": cred(subjects=["x"])}),
         completed=["q"], paths={"q": {"": [0, 1]}}),
    # ---- rule 6: plans ---------------------------------------------------------------------------
    Case("r6-minimal-cost", "b+c cost 10, a costs 12",
         **simple({"credits": 10, "where": {"subjects": ["x"]}}, [],
                  {"a": cred(12, subjects=["x"]), "b": cred(subjects=["x"]),
                   "c": cred(subjects=["x"])}),
         in_progress=[("q", 0.0, ["b", "c"], 10.0)]),
    Case("r6-tie-fewer-credentials", "a alone and b+c both cost 10",
         **simple({"credits": 10, "where": {"subjects": ["x"]}}, [],
                  {"a": cred(10, subjects=["x"]), "b": cred(subjects=["x"]),
                   "c": cred(subjects=["x"])}),
         in_progress=[("q", 0.0, ["a"], 10.0)]),
    Case("r6-tie-sorted-ids", "a+b, a+c, b+c all cost 10 with two credentials",
         **simple({"credits": 10, "where": {"subjects": ["x"]}}, [],
                  {"c": cred(subjects=["x"]), "b": cred(subjects=["x"]),
                   "a": cred(subjects=["x"])}),
         in_progress=[("q", 0.0, ["a", "b"], 10.0)]),
    Case("r6-only-published", "a is a draft",
         **simple({"any": [one("a"), one("b")]}, [], {"a": cred(status="draft"), "b": cred(8)}),
         in_progress=[("q", 0.0, ["b"], 8.0)]),
    Case("r6-qualifications-are-not-planned", "mid costs 0 but is reached through a",
         credentials={"a": cred(3), "x": cred(), "mid": qual(all_of("a")),
                      "top": qual({"any": [one("mid"), one("x")]})},
         wallet=[], request={"qualifications": ["top"]},
         in_progress=[("top", 0.0, ["a"], 3.0)]),
    Case("r6-cost-price", "b is cheapest by price; c has no price and is left out",
         **simple({"any": [one("a"), one("b"), one("c")]}, [],
                  {"a": cred(1, price=100), "b": cred(10, price=50), "c": cred(0)}),
         request={"cost": "price"}, in_progress=[("q", 0.0, ["b"], 50.0)]),
    Case("r6-cost-count", "every plan of one credential costs 1; ids break the tie",
         **simple({"any": [one("c"), one("b")]}, [], {"b": cred(1), "c": cred(0)}),
         request={"cost": "count"}, in_progress=[("q", 0.0, ["b"], 1.0)]),
    Case("r6-cost-count-needs-the-credit-bearing-one", "e alone has no credit; f alone suffices",
         credentials={"e": cred(0), "f": cred(1), "q": qual(
             {"count": 1, "of_which": [{"credits": 1, "where": {"credentials": ["e", "f"]}}]})},
         wallet=[], request={"cost": "count"}, in_progress=[("q", 0.0, ["f"], 1.0)]),
    Case("r6-cost-credits-free-credential", "c costs 0 credits; progress falls back to count",
         **simple({"any": [one("a"), one("c")]}, [], {"c": cred(0)}),
         in_progress=[("q", 0.0, ["c"], 0.0)]),
    Case("r6-cost-converted-to-ects", "10 SCQF = 5 ECTS < 6 ECTS",
         **simple({"any": [one("a"), one("b")]}, [],
                  {"a": cred(10, credit_unit="SCQF"), "b": cred(6)}),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r6-unit-without-rate-costs-0", "XU has no rate: a costs 0; count fallback",
         **simple({"any": [one("a"), one("b")]}, [],
                  {"a": cred(10, credit_unit="XU"), "b": cred(1)}),
         in_progress=[("q", 0.0, ["a"], 0.0)]),
    Case("r6-retake-expired", "the held a expired: retake it",
         **simple(all_of("a"), [held("a", "2024-01-01")], {"a": cred(valid_years=1)}),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r6-retake-too-old-for-recency", "earned before the recency limit: retake it",
         **simple({"credential": "a", "within_years": 1}, [held("a", "2020-01-01")]),
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r6-held-credential-not-retaken", "a is held and valid; plan b: 1 - 5/10",
         **simple(all_of("a", "b"), [held("a")]), in_progress=[("q", 0.5, ["b"], 5.0)]),
    Case("r6-prerequisite-closure-and-order", "a-final needs m-mid needs z-intro",
         credentials=CHAIN, wallet=[],
         in_progress=[("q", 0.0, ["z-intro", "m-mid", "a-final"], 9.0)]),
    Case("r6-prerequisites-met-by-wallet", "z-intro held: plan 7 of 9",
         credentials=CHAIN, wallet=[held("z-intro")],
         in_progress=[("q", 1 - 7 / 9, ["m-mid", "a-final"], 7.0)]),
    Case("r6-expired-prerequisite-not-met", "only valid entries meet prerequisites",
         credentials=CHAIN | {"z-intro": cred(2, valid_years=1)},
         wallet=[held("z-intro", "2020-01-01")],
         in_progress=[("q", 0.0, ["z-intro", "m-mid", "a-final"], 9.0)]),
    Case("r6-prerequisites-change-the-cheapest-plan", "a (3) needs p (5): 8 > b (6)",
         **simple({"any": [one("a"), one("b")]}, [],
                  {"a": cred(3, prerequisites=one("p")), "p": cred(5), "b": cred(6)}),
         in_progress=[("q", 0.0, ["b"], 6.0)]),
    Case("r6-recognition-loop-in-prerequisites",
         "a is a draft; d is recognised as a but needs b, which needs a (or d): no order a "
         "learner can follow, so no plan",
         credentials={"a": cred(status="draft"), "b": cred(prerequisites=one("a")),
                      "d": cred(prerequisites=one("b")), "q": qual(one("a"))},
         wallet=[], recognitions=[("d", "a")], unreachable=["q"]),
    Case("r6-filter-loop-in-prerequisites",
         "b needs a credential in x; d is in x but needs b; so e (in x) comes first",
         credentials={"b": cred(prerequisites={"count": 1, "where": {"subjects": ["x"]}}),
                      "d": cred(subjects=["x"], prerequisites=one("b")),
                      "e": cred(subjects=["x"]), "q": qual(one("d"))},
         wallet=[], in_progress=[("q", 0.0, ["e", "b", "d"], 15.0)]),
    Case("r6-order-by-id-without-prerequisites", "prerequisites first, then by id",
         **simple(all_of("b", "a"), []), in_progress=[("q", 0.0, ["a", "b"], 10.0)]),
    # ---- rule 7: reuse across qualifications -----------------------------------------------------
    Case("r7-max-reuse-refuses-entry-counted-elsewhere", "1 other >= K = 1; retake a",
         credentials={"a": cred(), "other": qual(all_of("a")),
                      "q": qual(all_of("a"), max_reuse=1)},
         wallet=[held("a", counted_toward=["other"])], request={"qualifications": ["q"]},
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r7-counted-toward-itself-is-not-other", "only *other* qualifications count",
         credentials={"a": cred(), "q": qual(all_of("a"), max_reuse=1)},
         wallet=[held("a", counted_toward=["q"])], completed=["q"]),
    Case("r7-max-reuse-2-accepts-one-other", "1 other < 2",
         credentials={"a": cred(), "o1": qual(all_of("a")), "q": qual(all_of("a"), max_reuse=2)},
         wallet=[held("a", counted_toward=["o1"])], request={"qualifications": ["q"]},
         completed=["q"]),
    Case("r7-max-reuse-2-refuses-two-others", "2 others >= 2",
         credentials={"a": cred(), "o1": qual(all_of("a")), "o2": qual(all_of("a")),
                      "q": qual(all_of("a"), max_reuse=2)},
         wallet=[held("a", counted_toward=["o1", "o2"])], request={"qualifications": ["q"]},
         in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r7-no-limit-without-max-reuse", "no max_reuse, no limit",
         credentials={"a": cred(), "o1": qual(all_of("a")), "o2": qual(all_of("a")),
                      "q": qual(all_of("a"))},
         wallet=[held("a", counted_toward=["o1", "o2"])], request={"qualifications": ["q"]},
         completed=["q"]),
    Case("r7-top-limit-applies-to-nested-entries", "top's K = 1 applies inside mid",
         credentials={"a": cred(), "o1": qual(all_of("a")), "mid": qual(all_of("a")),
                      "top": qual(one("mid"), max_reuse=1)},
         wallet=[held("a", counted_toward=["o1"])], request={"qualifications": ["top"]},
         in_progress=[("top", 0.0, ["a"], 5.0)]),
    Case("r7-nested-limit-not-applied-again", "mid's K = 1 binds mid itself, not top",
         credentials={"a": cred(), "o1": qual(all_of("a")),
                      "mid": qual(all_of("a"), max_reuse=1), "top": qual(one("mid"))},
         wallet=[held("a", counted_toward=["o1"])], request={"qualifications": ["mid", "top"]},
         completed=["top"], in_progress=[("mid", 0.0, ["a"], 5.0)]),
    # ---- rule 8: progress ------------------------------------------------------------------------
    Case("r8-empty-plan-free-falls-back-to-count", "both plans cost 0 by price: 1 - 1/2",
         **simple(all_of("a", "b"), [held("a")], {"a": cred(price=0), "b": cred(price=0)}),
         request={"cost": "price"}, in_progress=[("q", 0.5, ["b"], 0.0)]),
    Case("r8-this-plan-free-falls-back-to-count", "plan b costs 0 by price, incomplete: 1 - 1/2",
         **simple(all_of("a", "b"), [held("a")], {"a": cred(price=100), "b": cred(price=0)}),
         request={"cost": "price"}, in_progress=[("q", 0.5, ["b"], 0.0)]),
    Case("r8-null-when-empty-wallet-has-no-plan", "u is no longer published but held",
         **simple(all_of("u", "b"), [held("u")], {"u": cred(status="withdrawn")}),
         in_progress=[("q", None, ["b"], 5.0)]),
    Case("r8-unreachable", "u is unpublished and not held",
         **simple(all_of("u"), [], {"u": cred(status="withdrawn")}), unreachable=["q"]),
    Case("r8-unreachable-when-held-entry-expired", "u expired and cannot be retaken",
         **simple(all_of("u"), [held("u", expires_on="2026-01-01")],
                  {"u": cred(status="withdrawn")}), unreachable=["q"]),
    # ---- rule 9: dates ---------------------------------------------------------------------------
    Case("r9-valid-years-from-29-february", "2024-02-29 + 1 year = 2025-02-28 >= as_of",
         **simple(all_of("a"), [held("a", "2024-02-29")], {"a": cred(valid_years=1)}),
         request={"as_of": "2025-02-28"}, completed=["q"]),
    Case("r9-valid-years-from-29-february-ended", "2025-02-28 < 2025-03-01",
         **simple(all_of("a"), [held("a", "2024-02-29")], {"a": cred(valid_years=1)}),
         request={"as_of": "2025-03-01"}, in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r9-within-years-back-from-29-february", "2024-02-29 - 1 year = 2023-02-28",
         **simple({"credential": "a", "within_years": 1}, [held("a", "2023-02-28")]),
         request={"as_of": "2024-02-29"}, completed=["q"]),
    Case("r9-within-years-back-from-29-february-too-old", "2023-02-27 < 2023-02-28",
         **simple({"credential": "a", "within_years": 1}, [held("a", "2023-02-27")]),
         request={"as_of": "2024-02-29"}, in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("r9-within-years-leap-to-leap", "2028-02-29 - 4 years = 2024-02-29 > 2024-02-28",
         **simple({"credential": "a", "within_years": 4}, [held("a", "2024-02-28")]),
         request={"as_of": "2028-02-29"}, in_progress=[("q", 0.0, ["a"], 5.0)]),
    # ---- constructs ------------------------------------------------------------------------------
    Case("all-needs-every-child", "a and b", **simple(all_of("a", "b"), [held("b"), held("a")]),
         completed=["q"], paths={"q": {"all[0]": [1], "all[1]": [0]}}),
    Case("any-needs-one-child", "b", **simple({"any": [one("a"), one("b")]}, [held("b")]),
         completed=["q"], paths={"q": {"any[1]": [0]}}),
    Case("at-least-two-of-three", "a and c",
         **simple({"at_least": 2, "of": [one("a"), one("b"), one("c")]}, [held("a"), held("c")]),
         completed=["q"], paths={"q": {"at_least[0]": [0], "at_least[2]": [1]}}),
    Case("at-least-two-of-three-plan", "b and c tie at 5: b by id; 1 - 5/10",
         **simple({"at_least": 2, "of": [one("a"), one("b"), one("c")]}, [held("a")]),
         in_progress=[("q", 0.5, ["b"], 5.0)]),
    Case("credits-in-a-named-unit", "5 ECTS = 10 SCQF",
         **simple({"credits": 10, "unit": "SCQF"}, [held("a")]), completed=["q"]),
    Case("credits-in-a-named-unit-short", "4 ECTS = 8 SCQF; b adds 2 SCQF for 1 ECTS; 1 - 1/5",
         **simple({"credits": 10, "unit": "SCQF"}, [held("a")], {"a": cred(4), "b": cred(1),
                  "c": cred(0, credit_unit="SCQF"), "d": cred(0), "e": cred(0)}),
         in_progress=[("q", 0.8, ["b"], 1.0)]),
    Case("credits-converted-to-ects", "3 US semester hours = 6 ECTS",
         **simple({"credits": 6}, [held("a")], {"a": cred(3, credit_unit="USH")}),
         completed=["q"]),
    Case("credits-unit-without-rate-counts-0-elsewhere", "10 XU count 0 ECTS; plan b",
         **simple({"credits": 5}, [held("a")], {"a": cred(10, credit_unit="XU")}),
         in_progress=[("q", 0.0, ["b"], 5.0)]),
    Case("credits-unit-without-rate-counts-in-itself", "10 XU >= 5 XU",
         **simple({"credits": 5, "unit": "XU"}, [held("a")], {"a": cred(10, credit_unit="XU")}),
         completed=["q"]),
    Case("of-which-credits-met", "a and c give 10 credits in x",
         **simple({"credits": 10, "of_which": [{"credits": 6, "where": {"subjects": ["x"]}}]},
                  [held("a"), held("b"), held("c")],
                  {"a": cred(subjects=["x"]), "b": cred(subjects=["y"]),
                   "c": cred(subjects=["x"])}), completed=["q"]),
    Case("of-which-credits-short", "only 5 credits in x; plan c; empty wallet needs a+c",
         **simple({"credits": 10, "of_which": [{"credits": 6, "where": {"subjects": ["x"]}}]},
                  [held("a"), held("b")],
                  {"a": cred(subjects=["x"]), "b": cred(subjects=["y"]),
                   "c": cred(subjects=["x"]), "d": cred(subjects=["y"]),
                   "e": cred(subjects=["y"])}),
         in_progress=[("q", 0.5, ["c"], 5.0)]),
    Case("of-which-count", "one entry at level >= 6; plan c; empty wallet needs a+c",
         **simple({"credits": 10, "of_which": [{"count": 2, "where": {"level_min": 6}}]},
                  [held("a"), held("b")],
                  {"a": cred(level=6), "b": cred(level=5), "c": cred(level=6),
                   "d": cred(level=5), "e": cred(level=5)}),
         in_progress=[("q", 0.5, ["c"], 5.0)]),
    Case("of-which-share-of-credits-short", "a, b: share 0.5 < 0.75; plan c; 1 - 5/10",
         **simple({"credits": 10, "of_which": [{"share": 0.75, "where": {"subjects": ["x"]}}]},
                  [held("a"), held("b")],
                  {"a": cred(subjects=["x"]), "b": cred(subjects=["y"]),
                   "c": cred(subjects=["x"]), "d": cred(subjects=["y"]),
                   "e": cred(subjects=["y"])}),
         in_progress=[("q", 0.5, ["c"], 5.0)]),
    Case("count-of-which-count", "no badge among a, b; plan c; empty wallet a+c",
         **simple({"count": 2, "of_which": [{"count": 1, "where": {"types": ["badge"]}}]},
                  [held("a"), held("b")],
                  {"a": cred(type="course"), "b": cred(type="course"), "c": cred(type="badge"),
                   "d": cred(type="course"), "e": cred(type="course")}),
         in_progress=[("q", 0.5, ["c"], 5.0)]),
    Case("count-of-which-share-of-entries", "b, c: 0 of 2 at level 6; a and b: 1 of 2 >= 0.5",
         **simple({"count": 2, "of_which": [{"share": 0.5, "where": {"level_min": 6}}]},
                  [held("b"), held("c")],
                  {"a": cred(level=6), "b": cred(level=5), "c": cred(level=5),
                   "d": cred(level=5), "e": cred(level=5)}),
         in_progress=[("q", 0.5, ["a"], 5.0)]),
    Case("count-of-which-share-met", "a, b, e: 2 of 3 >= 0.5",
         **simple({"count": 3, "of_which": [{"share": 0.5, "where": {"level_min": 6}}]},
                  [held("a"), held("b"), held("c"), held("e")],
                  {"a": cred(level=6), "b": cred(level=5), "c": cred(level=5),
                   "e": cred(level=6)}),
         completed=["q"]),
    Case("within-years-on-an-inner-node", "b is too old for the any; a has no limit",
         **simple({"all": [one("a"), {"any": [one("b"), one("c")], "within_years": 2}]},
                  [held("a", "2020-01-01"), held("b", "2024-01-01")]),
         in_progress=[("q", 0.5, ["b"], 5.0)]),
    Case("recognition-satisfies-a-leaf", "x is recognised as a",
         **simple(all_of("a"), [held("x")], {"x": cred()}), recognitions=[("x", "a")],
         completed=["q"], paths={"q": {"all[0]": [0]}}),
    Case("recognition-is-not-transitive", "x -> y -> a does not make x an a",
         **simple(all_of("a"), [held("x")], {"x": cred(), "y": cred()}),
         recognitions=[("x", "y"), ("y", "a")], in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("recognition-is-directed", "x -> a does not make a an x",
         **simple(all_of("x"), [held("a")], {"x": cred()}), recognitions=[("x", "a")],
         in_progress=[("q", 0.0, ["x"], 5.0)]),
    Case("recognition-planned", "y (3) recognised as a (5) is the cheaper plan",
         **simple(all_of("a"), [], {"y": cred(3)}), recognitions=[("y", "a")],
         in_progress=[("q", 0.0, ["y"], 3.0)]),
    # ---- the answer: ordering, limit, default qualifications ------------------------------------
    Case("answer-completed-by-id", "q-a before q-b",
         credentials={"a": cred(), "q-b": qual(all_of("a")), "q-a": qual(all_of("a"))},
         wallet=[held("a")], completed=["q-a", "q-b"]),
    Case("answer-in-progress-order", ORDERING_WHY, credentials=ORDERING, wallet=ORDERING_WALLET,
         completed=["qdone"],
         in_progress=[("qa", 0.5, ["b"], 5.0), ("qc", 0.5, ["e"], 5.0), ("qd", 0.5, ["k"], 10.0),
                      ("qb", 1 / 3, ["c", "d"], 10.0), ("qn", None, ["b"], 5.0)],
         unreachable=["qz"]),
    Case("answer-limit", "at most 2 in_progress, nearest first; the rest unchanged",
         credentials=ORDERING, wallet=ORDERING_WALLET, request={"limit": 2},
         completed=["qdone"], in_progress=[("qa", 0.5, ["b"], 5.0), ("qc", 0.5, ["e"], 5.0)],
         unreachable=["qz"]),
    Case("answer-default-is-published-qualifications", "q-draft is not published",
         credentials={"a": cred(), "q-pub": qual(all_of("a")),
                      "q-draft": qual(all_of("a"), status="draft")},
         wallet=[held("a")], completed=["q-pub"]),
    # ---- readings of places where the text is silent --------------------------------------------
    Case("reading-held-qualification-does-not-complete-itself",
         "rule 2 defines completion by an assignment to the rule's leaves; an entry of q itself "
         "serves a leaf naming q (rule 3), not q's own rule",
         credentials={"a": cred(), "q": qual(all_of("a"))},
         wallet=[held("q")], in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("reading-recognitions-serve-credential-leaves-only",
         "a recognition satisfies 'a leaf that names B'; a filter's credentials list is not one",
         credentials={"a": cred(), "b": cred(), "q": qual({"count": 1,
                                                           "where": {"credentials": ["a"]}})},
         wallet=[held("b")], recognitions=[("b", "a")], in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("reading-credits-part-of-a-count-leaf-in-ects",
         "a count leaf names no unit, so its credits parts are in ECTS: 10 SCQF = 5 ECTS",
         credentials={"a": cred(10, credit_unit="SCQF"), "q": qual(
             {"count": 1, "of_which": [{"credits": 5, "where": {"credentials": ["a"]}}]})},
         wallet=[held("a")], completed=["q"]),
    Case("reading-result-min-needs-a-number", "a string result fails result_min",
         credentials={"a": cred(), "b": cred(8), "q": qual({"count": 1,
                                                            "where": {"result_min": 60}})},
         wallet=[held("a", result="75")], in_progress=[("q", 0.0, ["a"], 5.0)]),
    Case("reading-price-plan-without-priced-credentials-is-unreachable",
         "with cost price, credentials without a price are left out of plans; none is left",
         **simple(all_of("a"), [], {"a": cred(price=None)}), request={"cost": "price"},
         unreachable=["q"]),
    Case("reading-price-progress-null-when-empty-wallet-needs-unpriced",
         "the held a has no price: an empty wallet has no price plan, so progress is null",
         **simple(all_of("a", "b"), [held("a")], {"b": cred(price=10)}),
         request={"cost": "price"}, in_progress=[("q", None, ["b"], 10.0)]),
    Case("reading-limit-zero", "limit 0 keeps no in_progress item",
         **simple(all_of("a", "b"), [held("a")]), request={"limit": 0}),
    *filter_cases(),
    *result_cases(),
]  # fmt: skip


def check_answer(case: Case, answer: dict[str, Any]) -> None:
    """Compare an answer with the case's hand-made expectation."""
    assert answer["as_of"] == case.full_request["as_of"]
    assert [c["qualification"] for c in answer["completed"]] == case.completed
    got = [
        (p["qualification"], p["progress"], p["plan"], p["plan_cost"])
        for p in answer["in_progress"]
    ]
    assert [g[0] for g in got] == [e[0] for e in case.in_progress], got
    for (qid, progress, plan, cost), expected in zip(got, case.in_progress, strict=True):
        _, want_progress, want_plan, want_cost = expected
        if want_progress is None:
            assert progress is None, (qid, progress)
        else:
            assert progress == pytest.approx(want_progress, abs=1e-9), (qid, progress)
        assert plan == want_plan, (qid, plan)
        assert cost == pytest.approx(want_cost, abs=1e-9), (qid, cost)
    assert answer["unreachable"] == case.unreachable
    for item in answer["completed"]:
        qid = item["qualification"]
        problems = assignment_problems(case.catalogue, case.full_request, qid, item["assignment"])
        assert problems == [], (qid, item["assignment"])
        listed = {a["path"]: sorted(a["entries"]) for a in item["assignment"]}
        for path, entries in case.paths.get(qid, {}).items():
            assert listed.get(path) == entries, (qid, path, item["assignment"])


@pytest.fixture(scope="module")
def engine() -> EngineAdapter:
    return EngineAdapter(importlib.import_module("registry.stacking"))


def test_case_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_oracle_agrees_with_the_text(case: Case) -> None:
    check_answer(case, oracle_evaluate(case.catalogue, case.full_request))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_engine_agrees_with_the_text(engine: EngineAdapter, case: Case) -> None:
    check_answer(case, engine.evaluate(case.catalogue, case.full_request))
