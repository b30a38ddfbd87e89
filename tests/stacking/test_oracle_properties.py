"""Random small catalogues and wallets: the engine must answer exactly as the brute-force oracle.

Profiles: HYPOTHESIS_PROFILE=ci runs thousands of examples derandomised; anything else (dev)
runs a quick sample. Every construct of the rule language appears in the generated rules.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .oracle import EngineAdapter, Oracle, assignment_problems, parse_wallet
from .oracle import evaluate as oracle_evaluate

CI = os.environ.get("HYPOTHESIS_PROFILE", "dev") == "ci"


def examples(ci: int, dev: int) -> settings:
    """Hypothesis settings for this file: `ci` examples in the CI profile, else `dev`."""
    return settings(
        max_examples=ci if CI else dev,
        deadline=None,
        derandomize=CI,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


UNITS = {"ECTS": 1, "SCQF": 0.5, "USH": 2}  # "XU" is used and has no rate
AS_OF = ("2024-02-29", "2025-02-28", "2025-03-01", "2026-11-28")
PLAIN_IDS = ("a", "b", "c", "d", "e", "f", "g", "h")
SUBJECTS = ("0411", "0613", "0714")
PROVIDERS = ("uni-a", "uni-b")
TYPES = ("badge", "course", "micro-credential")
RESULTS: tuple[str | int, ...] = ("A", "B", "C", 45, 60, 75)
PREREQUISITE_ODDS = 5  # one plain credential in this many has prerequisites
FILTER_KEYS = (
    "credentials", "level_max", "level_min", "providers", "result_in", "result_min", "subjects",
    "types",
)  # fmt: skip


# Strategies are built once and reused: building them on every draw dominated the run time.
@functools.cache
def one_of(items: tuple) -> st.SearchStrategy:
    return st.sampled_from(items)


@functools.cache
def between(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.cache
def some_of(items: tuple, low: int, high: int) -> st.SearchStrategy[list]:
    return st.lists(st.sampled_from(items), min_size=low, max_size=high, unique=True)


def pick(draw: st.DrawFn, items: Sequence[Any]) -> Any:
    return draw(one_of(tuple(items)))


def chance(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in `one_in` draws."""
    return draw(between(1, one_in)) == 1


def draw_filter(draw: st.DrawFn, plain: tuple[str, ...], *, empty_ok: bool = True) -> dict:
    """A Filter with 0 to 2 keys (at least one when not `empty_ok`)."""
    size = pick(draw, (0, 0, 0, 1, 1, 2) if empty_ok else (1, 1, 1, 2))
    where: dict[str, Any] = {}
    for _ in range(size):
        key = pick(draw, FILTER_KEYS)
        if key == "credentials":
            where[key] = draw(some_of(plain, 1, 3))
        elif key == "providers":
            where[key] = [pick(draw, PROVIDERS)]
        elif key in ("subjects", "types"):
            where[key] = draw(some_of(SUBJECTS if key == "subjects" else TYPES, 1, 2))
        elif key in ("level_min", "level_max"):
            where[key] = draw(between(4, 7))
        elif key == "result_in":
            where[key] = draw(some_of(RESULTS, 1, 3))
        else:
            where[key] = pick(draw, (50, 60, 70))
    return where


def draw_parts(draw: st.DrawFn, plain: tuple[str, ...]) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    for _ in range(draw(between(1, 2))):
        where = draw_filter(draw, plain, empty_ok=False)
        part = pick(draw, ("credits", "count", "share"))
        if part == "credits":
            chosen.append({"credits": pick(draw, (1, 3, 5)), "where": where})
        elif part == "count":
            chosen.append({"count": draw(between(1, 2)), "where": where})
        else:
            chosen.append({"share": pick(draw, (0.25, 0.5, 0.75, 1)), "where": where})
    return chosen


def draw_leaf(draw: st.DrawFn, plain: tuple[str, ...], nested: tuple[str, ...]) -> dict:
    kind = pick(draw, ("credential",) * 3 + ("credits",) * 2 + ("count",) * 2)
    if kind == "credential":
        return {"credential": pick(draw, nested if nested and chance(draw, 2) else plain)}
    rule: dict[str, Any] = (
        {"credits": pick(draw, (1, 2, 3, 5, 6, 10))}
        if kind == "credits"
        else {"count": pick(draw, (1, 1, 1, 2, 2, 3))}
    )
    where = draw_filter(draw, plain)
    if where:
        rule["where"] = where
    if kind == "credits" and chance(draw, 4):
        rule["unit"] = pick(draw, ("ECTS", "SCQF", "USH", "XU"))
    if chance(draw, 4):
        rule["of_which"] = draw_parts(draw, plain)
    return rule


def draw_rule(
    draw: st.DrawFn, plain: tuple[str, ...], nested: tuple[str, ...], depth: int
) -> dict[str, Any]:
    """A rule of at most `depth` levels of all / any / at_least above its leaves."""
    # Roots mostly branch (3 in 4), their children mostly do not (1 in 3).
    branch = not chance(draw, 4) if depth > 1 else chance(draw, 3)
    if depth == 0 or not branch:
        rule = draw_leaf(draw, plain, nested)
    else:
        kids = [draw_rule(draw, plain, nested, depth - 1) for _ in range(draw(between(1, 3)))]
        kind = pick(draw, ("all", "any", "at_least"))
        if kind == "at_least":
            rule = {"at_least": draw(between(1, len(kids))), "of": kids}
        else:
            rule = {kind: kids}
    if chance(draw, 10):
        rule["within_years"] = draw(between(1, 3))
    return rule


def draw_prerequisites(draw: st.DrawFn, earlier: tuple[str, ...]) -> dict[str, Any]:
    """A prerequisite rule over credentials earlier in the list (so no cycle)."""
    named = draw(some_of(earlier, 1, 2))
    if len(named) == 1:
        return {"credential": named[0]}
    kind = pick(draw, ("all", "any", "at_least"))
    kids = [{"credential": c} for c in named]
    return {"at_least": 1, "of": kids} if kind == "at_least" else {kind: kids}


def draw_maybe(draw: st.DrawFn, items: Sequence[Any], none_in_ten: int) -> Any:
    """None about `none_in_ten` times in ten, else one of `items`."""
    return None if draw(between(1, 10)) <= none_in_ten else pick(draw, items)


@st.composite
def catalogues(draw: st.DrawFn, max_plain: int = 6, nesting: bool = False) -> dict[str, Any]:
    """Up to `max_plain` plain credentials and 1 to 3 qualifications, later ones may nest earlier
    ones; with `nesting`, 2 or 3 qualifications and the last one always names an earlier one."""
    plain = PLAIN_IDS[: draw(between(3, max_plain))]
    credentials: dict[str, dict[str, Any]] = {}
    for number, ident in enumerate(plain):
        fields: dict[str, Any] = {
            "provider": pick(draw, PROVIDERS),
            # 1.4 and 2.8 add up to 4.199999999999999 in floats: totals must be decimal.
            "credits": pick(draw, (0, 1, 1.4, 2, 2.8, 3, 5, 10)),
            "credit_unit": pick(draw, ("ECTS", "ECTS", "ECTS", "SCQF", "USH", "XU")),
            "level": draw_maybe(draw, (4, 5, 6, 7), 3),
            "subjects": draw(some_of(SUBJECTS, 0, 2)),
            "type": pick(draw, TYPES),
            "valid_years": draw_maybe(draw, (1, 2), 8),
            "price": draw_maybe(draw, (0, 0.1, 0.2, 50, 75.5, 100, 150), 2),
            "status": pick(draw, ("published",) * 8 + ("draft", "withdrawn")),
        }
        if number and chance(draw, PREREQUISITE_ODDS):
            fields["prerequisites"] = draw_prerequisites(draw, plain[:number])
        credentials[ident] = fields
    qualifications = tuple(f"q{n}" for n in range(1, draw(between(2 if nesting else 1, 3)) + 1))
    for number, ident in enumerate(qualifications):
        requirements = draw_rule(draw, plain, qualifications[:number], 2)
        if nesting and number == len(qualifications) - 1:
            inner = {"credential": pick(draw, qualifications[:number])}
            requirements = {pick(draw, ("all", "any")): [inner, requirements]}
        credentials[ident] = {
            "provider": pick(draw, PROVIDERS),
            "credits": pick(draw, (0, 10)),
            "type": "certificate",
            "requirements": requirements,
            "max_reuse": draw_maybe(draw, (1, 2), 7),
            "status": pick(draw, ("published",) * 9 + ("draft",)),
        }
    recognitions = []
    for _ in range(pick(draw, (0, 0, 1, 2))):
        pair = (pick(draw, plain), pick(draw, plain + qualifications))
        # Recognitions into a credential's own prerequisite chain are kept: they can make
        # plans that no learner could follow (table case "r6-recognition-loop-in-prerequisites").
        if pair[0] != pair[1] and pair not in recognitions:
            recognitions.append(pair)
    return {"credentials": credentials, "credit_units": UNITS, "recognitions": recognitions}


def named_ids(rule: Any) -> set[str]:
    """The ids a rule names in credential leaves and `credentials` filters (wallets favour them)."""
    if isinstance(rule, list):
        return {i for item in rule for i in named_ids(item)}
    if not isinstance(rule, dict):
        return set()
    found = {rule["credential"]} if "credential" in rule else set()
    found |= set(rule.get("credentials", ()))
    return found | {
        i for key, value in rule.items() if key != "credentials" for i in named_ids(value)
    }


def draw_wallet(draw: st.DrawFn, catalogue: dict[str, Any], as_of: date, size: int) -> list:
    ids = tuple(sorted(catalogue["credentials"]))
    qualifications = tuple(i for i in ids if catalogue["credentials"][i].get("requirements"))
    plain = tuple(i for i in ids if i not in qualifications)
    named = (
        tuple(sorted({i for q in qualifications for i in named_ids(catalogue["credentials"][q])}))
        or plain
    )
    entries = []
    for _ in range(draw(between(0, size))):
        how = pick(draw, ("recent", "recent", "any", "leap"))
        if how == "leap":
            earned = pick(draw, (date(2023, 2, 28), date(2024, 2, 28), date(2024, 2, 29)))
        else:
            earned = as_of - timedelta(
                days=draw(between(-20, 900) if how == "recent" else between(0, 2000))
            )
        entry: dict[str, Any] = {
            "credential": pick(draw, pick(draw, (ids, plain, named, named))),
            "earned_on": earned.isoformat(),
        }
        if chance(draw, 3):
            entry["expires_on"] = (earned + timedelta(days=draw(between(-10, 1500)))).isoformat()
        if chance(draw, 10):
            entry["revoked"] = True
        result = draw_maybe(draw, RESULTS, 4)
        if result is not None:
            entry["result"] = result
        counted = draw(some_of(qualifications, 0, 2))
        if counted:
            entry["counted_toward"] = counted
        entries.append(entry)
    return entries


@st.composite
def scenarios(
    draw: st.DrawFn, max_plain: int = 6, max_wallet: int = 6, nesting: bool = False
) -> tuple[dict, dict]:
    """A catalogue and a valid request for it."""
    catalogue = draw(catalogues(max_plain, nesting))
    as_of = pick(draw, AS_OF)
    wallet = draw_wallet(draw, catalogue, date.fromisoformat(as_of), max_wallet)
    request: dict[str, Any] = {"wallet": wallet, "as_of": as_of}
    cost = pick(draw, (None, "credits", "count", "price"))
    if cost is not None:
        request["cost"] = cost
    limit = draw_maybe(draw, (1, 2, 3), 7)
    if limit is not None:
        request["limit"] = limit
    qualifications = tuple(
        sorted(i for i, fields in catalogue["credentials"].items() if fields.get("requirements"))
    )
    if chance(draw, 2):  # else every published qualification
        request["qualifications"] = draw(some_of(qualifications, 0, len(qualifications)))
    return catalogue, request


@pytest.fixture(scope="module")
def engine() -> EngineAdapter:
    return EngineAdapter(importlib.import_module("registry.stacking"))


def compare(catalogue: dict, request: dict, got: dict, want: dict) -> None:
    """The engine's answer `got` equals the oracle's `want`, except that any valid assignment
    will do (checked on its own by `assignment_problems`)."""
    assert got["as_of"] == want["as_of"]
    assert [c["qualification"] for c in got["completed"]] == [
        c["qualification"] for c in want["completed"]
    ]
    for item in got["completed"]:
        problems = assignment_problems(
            catalogue, request, item["qualification"], item["assignment"]
        )
        assert problems == [], (item["qualification"], item["assignment"])
    assert [p["qualification"] for p in got["in_progress"]] == [
        p["qualification"] for p in want["in_progress"]
    ], (got["in_progress"], want["in_progress"])
    for ours, oracles in zip(got["in_progress"], want["in_progress"], strict=True):
        qid = ours["qualification"]
        assert ours["plan"] == oracles["plan"], (qid, ours, oracles)
        assert ours["plan_cost"] == oracles["plan_cost"], (qid, ours, oracles)
        if oracles["progress"] is None:
            assert ours["progress"] is None, (qid, ours, oracles)
        else:
            assert ours["progress"] == oracles["progress"], (qid, ours, oracles)
    assert got["unreachable"] == want["unreachable"]


@examples(ci=1200, dev=100)
@given(scenarios())
def test_engine_answers_as_the_oracle(engine: EngineAdapter, scenario: tuple[dict, dict]) -> None:
    catalogue, request = scenario
    compare(
        catalogue, request, engine.evaluate(catalogue, request), oracle_evaluate(catalogue, request)
    )


@examples(ci=600, dev=50)
@given(scenarios(nesting=True))
def test_engine_answers_as_the_oracle_through_nesting(
    engine: EngineAdapter, scenario: tuple[dict, dict]
) -> None:
    catalogue, request = scenario
    want = oracle_evaluate(catalogue, request)
    compare(catalogue, request, engine.evaluate(catalogue, request), want)


@examples(ci=300, dev=30)
@given(scenarios(max_plain=8, max_wallet=4))
def test_engine_answers_as_the_oracle_on_wider_catalogues(
    engine: EngineAdapter, scenario: tuple[dict, dict]
) -> None:
    catalogue, request = scenario
    compare(
        catalogue, request, engine.evaluate(catalogue, request), oracle_evaluate(catalogue, request)
    )


@examples(ci=150, dev=30)
@given(catalogues())
def test_generated_catalogues_are_valid(engine: EngineAdapter, catalogue: dict) -> None:
    """The generator only makes rules the engine would store (else the comparison is moot)."""
    known = set(catalogue["credentials"])
    for ident, fields in catalogue["credentials"].items():
        for which in ("requirements", "prerequisites"):
            if fields.get(which) is not None:
                assert engine.module.rule_problems(fields[which], known) == [], (ident, which)
    assert engine.module.find_cycle(engine.catalogue(catalogue).credentials) is None


@examples(ci=200, dev=40)
@given(scenarios(max_plain=4, max_wallet=4), st.randoms(use_true_random=False))
def test_wallet_order_does_not_change_the_answer(
    engine: EngineAdapter, scenario: tuple[dict, dict], random: Any
) -> None:
    """Entries index the wallet, but which qualifications complete cannot depend on its order."""
    catalogue, request = scenario
    order = list(range(len(request["wallet"])))
    random.shuffle(order)
    shuffled = {**request, "wallet": [request["wallet"][i] for i in order]}
    first, second = engine.evaluate(catalogue, request), engine.evaluate(catalogue, shuffled)
    assert [c["qualification"] for c in first["completed"]] == [
        c["qualification"] for c in second["completed"]
    ]
    assert first["in_progress"] == second["in_progress"]
    assert first["unreachable"] == second["unreachable"]


@examples(ci=300, dev=50)
@given(scenarios(max_plain=3, max_wallet=4))
def test_oracle_search_matches_literal_enumeration(scenario: tuple[dict, dict]) -> None:
    """Self-check: the oracle's pruned search agrees with trying every entry-to-leaf map."""
    catalogue, request = scenario
    oracle = Oracle(catalogue, date.fromisoformat(request["as_of"]))
    wallet = parse_wallet(request["wallet"])
    for ident, fields in catalogue["credentials"].items():
        if fields.get("requirements") is None:
            continue
        tree, leaf_list = oracle.tree(ident)
        usable = oracle.usable(ident, wallet)
        if len(leaf_list) > 7:
            continue  # the literal enumeration is (leaves + 1) ** entries
        explanation = oracle.assignment(ident, wallet)
        assert (explanation is not None) == oracle.satisfies_naively(tree, leaf_list, usable)
        if explanation is not None:
            assert assignment_problems(catalogue, request, ident, explanation) == []


@st.composite
def cloned_scenarios(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    """A small scenario, then the same catalogue with copies of its plain credentials under
    larger ids (`ya1`, ...) until more than 24 can be planned: too many for the oracle's
    subsets, and enough for the engine to thin interchangeable candidates."""
    small, request = draw(scenarios(max_plain=5, max_wallet=4))
    credentials = dict(small["credentials"])
    plain = [i for i, fields in small["credentials"].items() if not fields.get("requirements")]
    copies = 1
    while sum(1 for f in credentials.values() if not f.get("requirements")) < 26 + len(plain):
        for ident in plain:
            credentials[f"y{ident}{copies}"] = dict(small["credentials"][ident])
        copies += 1
    return small, {**small, "credentials": credentials}, request


@examples(ci=150, dev=15)
@given(cloned_scenarios())
def test_engine_plans_on_wide_catalogues_are_valid_and_no_worse(
    engine: EngineAdapter, scenario: tuple[dict, dict, dict]
) -> None:
    """Where the oracle cannot enumerate plans, check each engine plan instead: a learner can
    take it in the order given, it completes the qualification, its cost adds up, and it costs
    no more than the oracle's best plan among the original credentials alone."""
    small, wide, request = scenario
    got = engine.evaluate(wide, request)
    want = oracle_evaluate(small, {**request, "limit": None})
    oracle = Oracle(wide, date.fromisoformat(request["as_of"]))
    wallet = parse_wallet(request["wallet"])
    cost = request.get("cost", "credits")
    completed = [c["qualification"] for c in want["completed"]]
    assert [c["qualification"] for c in got["completed"]] == completed
    for item in got["completed"]:
        assert assignment_problems(wide, request, item["qualification"], item["assignment"]) == []
    small_plans = {p["qualification"]: p for p in want["in_progress"]}
    for item in got["in_progress"]:
        qid, plan = item["qualification"], item["plan"]
        assert set(plan) <= set(oracle.candidates(cost)), (qid, plan)
        valid = [e for e in wallet if oracle.is_valid(e)]
        for number, ident in enumerate(plan):
            earlier = valid + oracle.planned_entries(plan[:number])
            assert oracle.prerequisites_met(ident, earlier), (qid, plan, ident)
        assert oracle.is_complete(qid, [*wallet, *oracle.planned_entries(plan)]), (qid, plan)
        total = sum(float(oracle.cost_of(ident, cost)) for ident in plan)
        assert item["plan_cost"] == pytest.approx(total, abs=1e-9), (qid, item)
        if qid in small_plans:
            assert item["plan_cost"] <= small_plans[qid]["plan_cost"] + 1e-9, (qid, item)
    for qid in small_plans:
        assert qid not in got["unreachable"], qid
