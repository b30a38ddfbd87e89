"""The branch and bound search answers exactly as the integer program on random catalogues.

The catalogues are larger than the oracle can enumerate (up to 16 plain credentials, several
programmes with prerequisites, recognitions, nesting, credit sums with parts and shares), so
the reference is the general solver: `Solver.assignment` and `Solver.plan`. Every question the
search settles must match the program: the same completion, an assignment the independent
checker accepts, the same plan (ids in the same order) and cost.
"""

from __future__ import annotations

import datetime
import os
import random
from typing import Any

import pytest

from registry.stacking import exact
from registry.stacking.evaluate import parse_request
from registry.stacking.solver import Solver

from .oracle import EngineAdapter, assignment_problems

# The thorough profile checks 1200 random cases; the everyday run a tenth of them.
CASES = 1200 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 120
AS_OF = datetime.date(2026, 3, 1)
UNITS = {"ECTS": 1, "SCQF": 0.5, "USH": 2, "HKQF": 0.4}
SUBJECTS = ("s1", "s2", "s3")
PROVIDERS = ("p1", "p2", "p3")


def random_filter(rng: random.Random, ids: list[str], *, empty_ok: bool = True) -> dict:
    where: dict[str, Any] = {}
    keys = rng.sample(
        ["providers", "subjects", "level_min", "types", "credentials", "result_in", "result_min"],
        rng.choice([0, 1, 1, 2] if empty_ok else [1, 1, 2]),
    )
    for key in keys:
        if key == "providers":
            where[key] = rng.sample(PROVIDERS, rng.randint(1, 2))
        elif key == "subjects":
            where[key] = rng.sample(SUBJECTS, rng.randint(1, 2))
        elif key == "level_min":
            where[key] = rng.choice([5, 6])
        elif key == "types":
            where[key] = [rng.choice(["badge", "course"])]
        elif key == "credentials":
            where[key] = rng.sample(ids, min(len(ids), rng.randint(2, 6)))
        elif key == "result_in":
            where[key] = rng.sample(["A", "B", "C"], rng.randint(1, 2))
        else:
            where[key] = rng.choice([50, 60])
    return where


def random_leaf(rng: random.Random, ids: list[str], quals: list[str]) -> dict:
    roll = rng.random()
    if roll < 0.35:
        pool = quals if quals and rng.random() < 0.3 else ids
        return {"credential": rng.choice(pool)}
    rule: dict[str, Any]
    if roll < 0.75:
        rule = {"credits": rng.choice([2.5, 5, 10, 15, 20, 30])}
        if rng.random() < 0.2:
            rule["unit"] = rng.choice(["SCQF", "USH", "HKQF"])
    else:
        rule = {"count": rng.randint(0, 4)}
    where = random_filter(rng, ids)
    if where:
        rule["where"] = where
    if rng.random() < 0.35:
        parts = []
        for _ in range(rng.choice([1, 1, 2])):
            kind = rng.choice(["credits", "count", "share"])
            if kind == "share" and any("share" in p for p in parts):
                kind = "count"
            amount = {"credits": rng.choice([2, 5, 7.5]), "count": rng.randint(1, 2),
                      "share": rng.choice([0.25, 0.5, 0.75, 1])}[kind]  # fmt: skip
            parts.append({kind: amount, "where": random_filter(rng, ids, empty_ok=False)})
        rule["of_which"] = parts
    return rule


def random_rule(rng: random.Random, ids: list[str], quals: list[str], depth: int) -> dict:
    if depth == 0 or rng.random() < 0.3:
        rule = random_leaf(rng, ids, quals)
    else:
        children = [random_rule(rng, ids, quals, depth - 1) for _ in range(rng.randint(1, 4))]
        kind = rng.choice(["all", "all", "any", "at_least"])
        if kind == "at_least":
            rule = {"at_least": rng.randint(1, len(children)), "of": children}
        else:
            rule = {kind: children}
    if rng.random() < 0.08:
        rule["within_years"] = rng.randint(1, 4)
    return rule


def random_catalogue(rng: random.Random) -> dict:
    credentials: dict[str, dict[str, Any]] = {}
    ids: list[str] = []
    size = rng.randint(4, 16)
    for n in range(size):
        ident = f"c{n:02d}"
        fields: dict[str, Any] = {
            "provider": rng.choice(PROVIDERS),
            "credits": rng.choice([0, 1, 2.5, 5, 5, 5, 7.5, 10]),
            "credit_unit": rng.choice(["ECTS", "ECTS", "ECTS", "SCQF", "USH", "HKQF", "XU"]),
            "level": rng.choice([None, 4, 5, 6, 6, 7]),
            "subjects": rng.sample(SUBJECTS, rng.randint(0, 2)),
            "type": rng.choice(["badge", "course", "course"]),
            "valid_years": rng.choice([None, None, None, 2]),
            "price": rng.choice([None, 0, 50, 75.5, 100, 100]),
            "status": "published" if rng.random() < 0.9 else "retired",
        }
        if ids and rng.random() < 0.25:
            earlier = ids[-4:]
            shape = rng.random()
            if shape < 0.5:
                fields["prerequisites"] = {"credential": rng.choice(earlier)}
            elif shape < 0.8 and len(earlier) >= 2:
                picked = rng.sample(earlier, 2)
                fields["prerequisites"] = {rng.choice(["any", "all"]): [
                    {"credential": c} for c in picked]}  # fmt: skip
            else:
                fields["prerequisites"] = {"count": 1, "where": {"credentials": earlier}}
        credentials[ident] = fields
        ids.append(ident)
    quals: list[str] = []
    for n in range(rng.randint(1, 4)):
        ident = f"q{n}"
        credentials[ident] = {
            "provider": rng.choice(PROVIDERS),
            "type": "certificate",
            "requirements": random_rule(rng, ids, quals, rng.choice([1, 2, 2])),
            "max_reuse": rng.choice([None, None, None, 1]),
        }
        quals.append(ident)
    recognitions = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        pair = (rng.choice(ids), rng.choice(ids + quals))
        if pair[0] != pair[1] and pair not in recognitions:
            recognitions.append(pair)
    return {"credentials": credentials, "credit_units": UNITS, "recognitions": recognitions}


def random_wallet(rng: random.Random, catalogue: dict) -> list[dict]:
    ids = sorted(catalogue["credentials"])
    quals = [i for i in ids if "requirements" in catalogue["credentials"][i]]
    wallet = []
    for _ in range(rng.randint(0, 10)):
        entry: dict[str, Any] = {
            "credential": rng.choice(ids),
            "earned_on": (AS_OF - datetime.timedelta(days=rng.randint(-10, 2000))).isoformat(),
        }
        if rng.random() < 0.5:
            entry["result"] = rng.choice(["A", "B", "C", 45, 55, 70])
        if rng.random() < 0.05:
            entry["revoked"] = True
        if quals and rng.random() < 0.2:
            entry["counted_toward"] = rng.sample(quals, 1)
        wallet.append(entry)
    return wallet


def check(seed: int, *, check_plans: bool = True) -> tuple[int, int]:
    """Compare every question of one random case; returns (settled, unknown)."""
    rng = random.Random(seed)
    data = random_catalogue(rng)
    wallet = random_wallet(rng, data)
    catalogue = EngineAdapter(__import__("registry.stacking").stacking).catalogue(data)
    request = {"wallet": wallet, "as_of": AS_OF.isoformat()}
    parsed = parse_request(catalogue, request)
    settled = unknown = 0
    for items in (parsed.valid_items, []):
        solver = Solver(catalogue.index(), AS_OF, items)
        for qualification in parsed.qualifications:
            found = exact.exact_assignment(solver, qualification)
            if found is exact.UNKNOWN:
                unknown += 1
            else:
                settled += 1
                want = solver.assignment(qualification)
                assert (found is None) == (want is None), (seed, qualification, found, want)
                if found is not None and items:
                    problems = assignment_problems(data, request, qualification, found)
                    assert problems == [], (seed, qualification, found)
            for cost in ("credits", "count", "price") if check_plans else ():
                plan = exact.exact_plan(solver, qualification, cost)
                if plan is exact.UNKNOWN:
                    unknown += 1
                    continue
                settled += 1
                want_plan = solver.plan(qualification, cost)
                if want_plan is None:
                    assert plan is None, (seed, qualification, cost, plan)
                    continue
                assert plan is not None, (seed, qualification, cost, want_plan)
                assert plan.credentials == want_plan.credentials, (seed, qualification, cost)
                assert plan.cost == pytest.approx(want_plan.cost, abs=1e-9)
    return settled, unknown


@pytest.mark.parametrize("block", range(6))
def test_search_answers_as_the_program(block: int) -> None:
    settled = unknown = 0
    size = CASES // 6
    for seed in range(block * size, block * size + size):
        got = check(seed)
        settled += got[0]
        unknown += got[1]
    # The search must settle nearly everything, or it would not be a fast path.
    assert unknown <= settled // 20, (settled, unknown)


# Cases that once went wrong: a share's balance that dips below the floor before it climbs
# back (1105), two leaves sharing candidates where which leaf an early credential serves
# decides the smallest sorted list of ids (730, 810), and held entries alike but for one a
# leaf could also plan (373).
@pytest.mark.parametrize("seed", [373, 730, 810, 1105])
def test_the_plan_search_finds_the_cheapest_plan_on_known_cases(seed: int) -> None:
    settled, _ = check(seed)
    assert settled > 0


def test_a_share_sum_all_its_entries_meet_keeps_the_earliest_that_suffice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A completion check asks only for some entries meeting the leaf. Where all of them
    together meet a share sum (12 credits, half at level 6: 21 credits, 12 at level 6), they
    are the answer, trimmed latest first to what the leaf needs (a and b), without the
    program that looks for the least subset; where they do not (too much below level 6),
    that program still finds the subset that does."""
    share_sum = {"credits": 12, "of_which": [{"share": 0.5, "where": {"level_min": 6}}]}
    data = {
        "credentials": {
            "a": {"credits": 6, "level": 6},
            "b": {"credits": 6, "level": 6},
            "c": {"credits": 6, "level": 4},
            "d": {"credits": 3, "level": 4},
            "e": {"credits": 6, "level": 4},
            "q": {"requirements": share_sum, "type": "certificate"},
        }
    }
    catalogue = EngineAdapter(__import__("registry.stacking").stacking).catalogue(data)

    def request_for(*ids: str) -> dict:
        wallet = [{"credential": i, "earned_on": "2025-01-01"} for i in ids]
        return {"wallet": wallet, "as_of": AS_OF.isoformat()}

    def completion(request: dict) -> Any:
        solver = Solver(catalogue.index(), AS_OF, parse_request(catalogue, request).valid_items)
        return exact.exact_assignment(solver, "q")

    def no_program(*args: Any) -> None:
        raise AssertionError("the program ran")

    with monkeypatch.context() as patched:
        patched.setattr(exact, "_solve_sums", no_program)
        found = completion(request_for("a", "b", "c", "d"))
    assert found == [{"path": "", "entries": [0, 1]}]

    request = request_for("a", "c", "d", "e")  # 21 credits, 6 at level 6: some must stay out
    found = completion(request)
    assert found is not None
    assert assignment_problems(data, request, "q", found) == []
    with monkeypatch.context() as patched:
        patched.setattr(exact, "_solve_sums", no_program)
        with pytest.raises(AssertionError, match="the program ran"):
            completion(request)
