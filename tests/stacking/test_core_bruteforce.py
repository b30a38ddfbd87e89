"""The exact evaluator agrees with plain enumeration on many small random catalogues."""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Iterator

import pytest

from registry.stacking import Catalogue, CredentialSpec
from registry.stacking.evaluate import evaluate, parse_request
from registry.stacking.index import result_matches, spec_matches
from registry.stacking.solver import Item, Node, Solver, eligible, expand, item_matches

AS_OF = datetime.date(2026, 3, 1)
UNITS = {"ECTS": 1.0, "SCQF": 0.5, "US": 2.0}


# -- plain enumeration ------------------------------------------------------------------


def _options(index, node: Node, items: list[Item], root: str) -> Iterator[frozenset[int]]:
    """Every set of item positions that satisfies `node` with distinct credentials."""
    if node.kind is None:
        return
    if node.kind in ("all", "any", "at_least"):
        if node.kind == "all":
            groups = [node.children]
        elif node.kind == "any":
            groups = [[child] for child in node.children]
        else:
            groups = [list(c) for c in itertools.combinations(node.children, node.needed)]
        for group in groups:
            yield from _combine([list(_options(index, c, items, root)) for c in group], items)
        return
    usable = [n for n, item in enumerate(items) if eligible(index, node, item)]
    if node.kind == "credential":
        for n in usable:
            yield frozenset([n])
        if node.expansion is not None:
            yield from _options(index, node.expansion, items, root)
        return
    for size in range(len(usable) + 1):
        for chosen in itertools.combinations(usable, size):
            ids = [items[n].spec.id for n in chosen]
            if len(set(ids)) != len(ids):
                continue
            if _leaf_ok(index, node, [items[n] for n in chosen]):
                yield frozenset(chosen)


def _measure(index, node: Node, item: Item) -> float:
    return index.value_in(item.spec, node.unit) if node.kind == "credits" else 1.0


def _leaf_ok(index, node: Node, chosen: list[Item]) -> bool:
    total = sum(_measure(index, node, item) for item in chosen)
    if total < node.amount - 1e-9:
        return False
    for part in node.parts:
        hits = [item for item in chosen if item_matches(item, part.where)]
        if part.kind == "count":
            if len(hits) < part.amount:
                return False
        elif part.kind == "credits":
            if sum(index.value_in(i.spec, node.unit) for i in hits) < part.amount - 1e-9:
                return False
        elif sum(_measure(index, node, i) for i in hits) < part.amount * total - 1e-9:
            return False
    return True


def _combine(
    option_lists: list[list[frozenset[int]]], items: list[Item]
) -> Iterator[frozenset[int]]:
    def go(position: int, used: frozenset[int], creds: frozenset[str]) -> Iterator[frozenset[int]]:
        if position == len(option_lists):
            yield used
            return
        for option in option_lists[position]:
            option_creds = frozenset(items[n].spec.id for n in option)
            if option & used or option_creds & creds:
                continue
            yield from go(position + 1, used | option, creds | option_creds)

    yield from go(0, frozenset(), frozenset())


def brute_satisfied(catalogue, qualification: str, items: list[Item]) -> bool:
    index = catalogue.index()
    spec = catalogue.credentials[qualification]
    if spec.max_reuse is not None:
        items = [
            i for i in items if i.planned or i.reused_elsewhere(qualification) < spec.max_reuse
        ]
    tree = expand(index, spec.requirements, AS_OF)
    return next(_options(index, tree, items, qualification), None) is not None


def brute_rule(catalogue, rule: dict, items: list[Item]) -> bool:
    index = catalogue.index()
    return next(_options(index, expand(index, rule, AS_OF), items, ""), None) is not None


def brute_plan(catalogue, qualification: str, wallet: list[Item], cost: str):
    index = catalogue.index()
    plannable = sorted(
        i for i, s in catalogue.credentials.items() if index.plan_cost(s, cost) is not None
    )
    best = None
    for size in range(len(plannable) + 1):
        for chosen in itertools.combinations(plannable, size):
            planned = {i: Item(-1, catalogue.credentials[i], AS_OF) for i in chosen}
            if not brute_satisfied(catalogue, qualification, [*wallet, *planned.values()]):
                continue
            ok = _followable(catalogue, chosen, wallet, planned)
            if not ok:
                continue
            total = sum(index.plan_cost(catalogue.credentials[i], cost) for i in chosen)
            key = (round(total, 6), size, list(chosen))
            if best is None or key < best:
                best = key
    return best


def _followable(catalogue, chosen, wallet, planned) -> bool:
    """Some order takes each planned credential after what its prerequisites need."""
    remaining, taken = set(chosen), []
    while remaining:
        ready = [
            i
            for i in sorted(remaining)
            if catalogue.credentials[i].prerequisites is None
            or brute_rule(
                catalogue,
                catalogue.credentials[i].prerequisites,
                [*wallet, *(planned[j] for j in taken)],
            )
        ]
        if not ready:
            return False
        taken.append(ready[0])
        remaining.remove(ready[0])
    return True


# -- random catalogues ------------------------------------------------------------------


def random_filter(rng: random.Random, base: list[str]) -> dict:
    where: dict = {}
    for key in rng.sample(
        [
            "credentials",
            "subjects",
            "types",
            "level_min",
            "level_max",
            "result_in",
            "result_min",
            "providers",
        ],
        rng.randint(0, 2),
    ):
        if key == "credentials":
            where[key] = rng.sample(base, rng.randint(1, min(3, len(base))))
        elif key == "subjects":
            where[key] = rng.sample(["s1", "s2", "s3"], rng.randint(1, 2))
        elif key == "types":
            where[key] = [rng.choice(["badge", "course"])]
        elif key == "providers":
            where[key] = [rng.choice(["p1", "p2"])]
        elif key == "level_min":
            where[key] = rng.randint(4, 6)
        elif key == "level_max":
            where[key] = rng.randint(5, 7)
        elif key == "result_in":
            where[key] = rng.sample(["A", "B", "C", 5], 2)
        else:
            where[key] = rng.choice([3, 5])
    return where


def random_rule(rng: random.Random, pool: list[str], base: list[str], depth: int = 0) -> dict:
    choice = rng.random()
    if depth >= 2 or choice < 0.35:
        rule: dict = {"credential": rng.choice(pool)}
    elif choice < 0.5:
        rule = {"all": [random_rule(rng, pool, base, depth + 1) for _ in range(rng.randint(1, 3))]}
    elif choice < 0.6:
        rule = {"any": [random_rule(rng, pool, base, depth + 1) for _ in range(rng.randint(1, 3))]}
    elif choice < 0.7:
        children = [random_rule(rng, pool, base, depth + 1) for _ in range(rng.randint(1, 3))]
        rule = {"at_least": rng.randint(1, len(children)), "of": children}
    elif choice < 0.85:
        rule = {"credits": rng.choice([0, 2, 5, 7.5, 10]), "where": random_filter(rng, base)}
        if rng.random() < 0.4:
            rule["unit"] = rng.choice(["SCQF", "US", "XX"])
    else:
        rule = {"count": rng.randint(0, 3), "where": random_filter(rng, base)}
    if "credits" in rule or "count" in rule:
        if rng.random() < 0.4:
            parts = []
            for _ in range(rng.randint(1, 2)):
                kind = rng.choice(["credits", "count", "share"])
                amount = {
                    "credits": rng.choice([2, 5]),
                    "count": 1,
                    "share": rng.choice([0.5, 0.75, 1]),
                }[kind]
                parts.append({kind: amount, "where": random_filter(rng, base)})
            rule["of_which"] = parts
        if not rule.get("where") and rng.random() < 0.5:
            rule.pop("where", None)
    if rng.random() < 0.15:
        rule["within_years"] = rng.randint(0, 3)
    return rule


def random_case(seed: int):
    rng = random.Random(seed)
    creds: dict[str, CredentialSpec] = {}
    base = [f"c{n}" for n in range(rng.randint(3, 6))]
    for n, ident in enumerate(base):
        prerequisites = None
        if n > 0 and rng.random() < 0.2:
            prerequisites = random_rule(rng, base[:n], base[:n], depth=1)
            if (
                "within_years" in prerequisites
                or "credits" in prerequisites
                or "count" in prerequisites
            ):
                prerequisites = {"credential": rng.choice(base[:n])}
        creds[ident] = CredentialSpec(
            ident,
            provider=rng.choice(["p1", "p2"]),
            credits=rng.choice([0, 2.5, 5, 5, 10]),
            credit_unit=rng.choice(["ECTS", "ECTS", "SCQF", "US", "XX"]),
            level=rng.choice([None, 4, 5, 6, 7]),
            subjects=tuple(rng.sample(["s1", "s2", "s3"], rng.randint(0, 2))),
            type=rng.choice(["badge", "course"]),
            valid_years=rng.choice([None, None, 1, 3]),
            price=rng.choice([None, 0, 50, 100, 120]),
            status="published" if rng.random() < 0.85 else "retired",
            prerequisites=prerequisites,
        )
    quals: list[str] = []
    for n in range(rng.randint(1, 3)):
        ident = f"q{n}"
        pool = base + quals
        creds[ident] = CredentialSpec(
            ident,
            credits=rng.choice([0, 30]),
            requirements=random_rule(rng, pool, base),
            max_reuse=rng.choice([None, None, 1, 2]),
            status="published" if rng.random() < 0.9 else "retired",
        )
        quals.append(ident)
    recognitions = [
        (rng.choice(base + quals), rng.choice(base + quals)) for _ in range(rng.randint(0, 2))
    ]
    catalogue = Catalogue(creds, dict(UNITS), [(a, b) for a, b in recognitions if a != b])
    wallet = []
    for _ in range(rng.randint(0, 5)):
        entry: dict = {
            "credential": rng.choice(base + quals),
            "earned_on": (AS_OF - datetime.timedelta(days=rng.randint(-30, 1500))).isoformat(),
        }
        if rng.random() < 0.2:
            entry["expires_on"] = (
                AS_OF + datetime.timedelta(days=rng.randint(-400, 400))
            ).isoformat()
        if rng.random() < 0.1:
            entry["revoked"] = True
        if rng.random() < 0.5:
            entry["result"] = rng.choice(["A", "B", "C", 2, 5, 7])
        if rng.random() < 0.3:
            entry["counted_toward"] = rng.sample(quals, rng.randint(1, len(quals)))
        wallet.append(entry)
    cost = rng.choice(["credits", "count", "price"])
    return catalogue, {"wallet": wallet, "as_of": AS_OF.isoformat(), "cost": cost}


@pytest.mark.parametrize("seed", range(600))
def test_agrees_with_enumeration(seed: int) -> None:
    catalogue, request = random_case(seed)
    parsed = parse_request(catalogue, request)
    items = parsed.valid_items
    answer = evaluate(catalogue, request)
    completed = {row["qualification"] for row in answer["completed"]}
    in_progress = {row["qualification"]: row for row in answer["in_progress"]}
    for qualification in parsed.qualifications:
        satisfied = brute_satisfied(catalogue, qualification, items)
        assert (qualification in completed) == satisfied, qualification
        if satisfied:
            _check_assignment(catalogue, qualification, items, answer, request)
            continue
        best = brute_plan(catalogue, qualification, items, parsed.cost)
        if best is None:
            assert qualification in answer["unreachable"]
            continue
        row = in_progress[qualification]
        assert sorted(row["plan"]) == best[2], (qualification, row, best)
        assert row["plan_cost"] == pytest.approx(best[0])
        empty = brute_plan(catalogue, qualification, [], parsed.cost)
        if empty is None:
            assert row["progress"] is None
        elif empty[0] > 0 and best[0] > 0:
            assert row["progress"] == pytest.approx(1 - best[0] / empty[0])
        else:
            counted = brute_plan(catalogue, qualification, items, "count")
            counted_empty = brute_plan(catalogue, qualification, [], "count")
            assert row["progress"] == pytest.approx(1 - counted[0] / counted_empty[0])


def _check_assignment(catalogue, qualification, items, answer, request) -> None:
    row = next(r for r in answer["completed"] if r["qualification"] == qualification)
    used = [n for leaf in row["assignment"] for n in leaf["entries"]]
    assert len(used) == len(set(used))
    creds = [request["wallet"][n]["credential"] for n in used]
    assert len(creds) == len(set(creds))
    # The entries named are enough on their own.
    chosen = [item for item in items if item.number in set(used)]
    assert brute_satisfied(catalogue, qualification, chosen)


def test_filter_helpers_agree() -> None:
    spec = CredentialSpec("c", provider="p", subjects=("s1",), level=5, type="badge")
    assert spec_matches(spec, {"subjects": ["s1", "s9"], "level_min": 5, "types": ["badge"]})
    assert not spec_matches(spec, {"level_max": 4})
    assert not spec_matches(CredentialSpec("d"), {"level_min": 1})
    assert result_matches("A", {"result_in": ["A"]})
    assert not result_matches(None, {"result_in": ["A"]})
    assert not result_matches("5", {"result_min": 3})
    assert result_matches(5, {"result_min": 3})
    assert not result_matches(True, {"result_in": [1]})
    solver = Solver(Catalogue({"c": spec}).index(), AS_OF, [])
    assert solver.wallet == []
