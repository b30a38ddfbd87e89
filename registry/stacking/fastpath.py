"""Quick exact answers for easy trees, before falling back to the integer program.

The tree is first solved with the leaves independent of one another (a relaxation: an entry
or a planned credential may serve several leaves). When the relaxed answer happens to use
every credential once and its plan is closed under prerequisites, it is also the exact
answer, because every real assignment is a relaxed one with the same (cost, count, ids) key.
When the relaxation has no answer, neither has the real problem. Otherwise the caller asks
the integer program (`UNKNOWN`).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from registry.stacking import exact
from registry.stacking.exact import exact_assignment, exact_plan
from registry.stacking.numbers import plan_total
from registry.stacking.solver import (
    CHILD_KINDS,
    Item,
    Node,
    Plan,
    Solver,
    eligible,
    item_matches,
    leaf_value,
    part_value,
    reaches,
)

UNKNOWN = object()  # the relaxation cannot decide; ask the integer program


@dataclass(frozen=True)
class Option:
    """One relaxed way to satisfy a node: planned ids (sorted, with repeats) and used entries."""

    cost: float
    planned: tuple[str, ...]
    used: tuple[tuple[str, Item | None], ...]  # (leaf path, entry); None: a leaf met by nothing

    @property
    def key(self) -> tuple[float, int, tuple[str, ...]]:
        return (self.cost, len(self.planned), self.planned)


EMPTY = Option(0.0, (), ())


def _merge(options: Sequence[Option]) -> Option:
    planned: list[str] = []
    used: list[tuple[str, Item | None]] = []
    for option in options:
        planned.extend(option.planned)
        used.extend(option.used)
    return Option(sum(o.cost for o in options), tuple(sorted(planned)), tuple(used))


class FastPath:
    """The relaxed solve for one solver (one wallet, one date)."""

    def __init__(self, solver: Solver) -> None:
        self.solver = solver
        self.index = solver.index

    def best(
        self, node: Node, items: Sequence[Item], cost: str | None, exclude: str | None = None
    ) -> Option | object | None:
        """The relaxed best option for `node`; `cost` None means "entries only, no plan"."""
        kind = node.kind
        if kind is None:
            return None
        if kind in CHILD_KINDS:
            found: list[Option] = []
            for child in node.children:
                option = self.best(child, items, cost, exclude)
                if option is UNKNOWN:
                    return UNKNOWN
                if option is None:
                    if kind == "all":
                        return None
                    continue
                assert isinstance(option, Option)
                found.append(option)
            if kind == "all":
                return _merge(found)
            needed = 1 if kind == "any" else node.needed
            if len(found) < needed:
                return None
            return _merge(heapq.nsmallest(needed, found, key=lambda o: o.key))
        if kind == "credential":
            for item in items:
                if eligible(self.index, node, item):
                    return Option(0.0, (), ((node.path, item),))
            options: list[Option] = []
            if cost is not None:
                for ident in self.solver.candidates_for(node, cost, exclude):
                    price = self.index.plan_cost(self.index.credentials[ident], cost)
                    assert price is not None
                    options.append(Option(price, (ident,), ()))
            if node.expansion is not None:
                inner = self.best(node.expansion, items, cost, exclude)
                if inner is UNKNOWN:
                    return UNKNOWN
                if inner is not None:
                    assert isinstance(inner, Option)
                    options.append(inner)
            return min(options, key=lambda o: o.key) if options else None
        return self._collection(node, items, cost, exclude)

    def _collection(
        self, node: Node, items: Sequence[Item], cost: str | None, exclude: str | None
    ) -> Option | object | None:
        """A credits / count leaf from entries alone; plans through it go to the program."""
        if cost is not None and self.solver.candidates_for(node, cost, exclude):
            return UNKNOWN
        chosen: dict[str, Item] = {}
        for item in items:
            if not eligible(self.index, node, item):
                continue
            held = chosen.get(item.spec.id)
            if held is None:
                chosen[item.spec.id] = item
            elif any(
                item_matches(item, part.where) != item_matches(held, part.where)
                for part in node.parts
            ):
                return UNKNOWN  # entries of one credential differ by result: choose properly
        picked = list(chosen.values())
        if any(part.kind == "share" for part in node.parts):
            if not self._leaf_holds(node, picked):
                return UNKNOWN  # a smaller set might meet the share
        elif not self._leaf_holds(node, picked):
            return None
        # Keep only what is needed, so the entries are free for other leaves where possible.
        for item in sorted(picked, key=lambda i: -i.number):
            trial = [other for other in picked if other is not item]
            if self._leaf_holds(node, trial):
                picked = trial
        if not picked:
            return Option(0.0, (), ((node.path, None),))
        return Option(0.0, (), tuple((node.path, item) for item in sorted(picked, key=_number)))

    def _leaf_holds(self, node: Node, picked: Sequence[Item]) -> bool:
        total = sum(leaf_value(self.index, node, item) for item in picked)
        if not reaches(total, node.amount):
            return False
        for part in node.parts:
            hits = [item for item in picked if item_matches(item, part.where)]
            got = sum(part_value(self.index, node, part, item) for item in hits)
            if part.kind == "share":
                whole = sum(part_value(self.index, node, part, item) for item in picked)
                if not reaches(got, part.amount * whole):
                    return False
            elif not reaches(got, part.amount):
                return False
        return True


def _number(item: Item) -> int:
    return item.number


def _disjoint(option: Option) -> bool:
    """Every credential serves once: no entry or planned id is used twice."""
    credentials = [item.spec.id for _, item in option.used if item is not None]
    credentials.extend(option.planned)
    return len(credentials) == len(set(credentials))


def fast_assignment(solver: Solver, qualification: str) -> list[dict] | object | None:
    """The assignment completing the qualification, None when incomplete, or UNKNOWN."""
    path = FastPath(solver)
    option = path.best(solver.tree(qualification), solver.usable(qualification), None)
    if option is None or option is UNKNOWN:
        return option
    assert isinstance(option, Option)
    if not _disjoint(option):
        return UNKNOWN
    by_path: dict[str, list[int]] = {}
    for leaf_path, item in option.used:
        entries = by_path.setdefault(leaf_path, [])
        if item is not None:
            entries.append(item.number)
    rank = {leaf.path: n for n, leaf in enumerate(solver.tree(qualification).leaves())}
    return [
        {"path": leaf_path, "entries": sorted(by_path[leaf_path])}
        for leaf_path in sorted(by_path, key=lambda p: rank.get(p, len(rank)))
    ]


def fast_plan(solver: Solver, qualification: str, cost: str) -> Plan | object | None:
    """The exact plan when the relaxation settles it, None when unreachable, else UNKNOWN."""
    path = FastPath(solver)
    items = solver.usable(qualification)
    option = path.best(solver.tree(qualification), items, cost)
    if option is None or option is UNKNOWN:
        return option
    assert isinstance(option, Option)
    if not _disjoint(option):
        return UNKNOWN
    planned = option.planned
    # The relaxation ignores prerequisites; its plan stands if a learner can follow it.
    remaining, taken = set(planned), []
    while remaining:
        items = [*solver.wallet, *(solver.planned_item(i) for i in taken)]
        ready = None
        for ident in sorted(remaining):
            met = _prerequisites_met(path, solver, ident, items)
            if met is UNKNOWN:
                return UNKNOWN
            if met:
                ready = ident
                break
        if ready is None:
            return UNKNOWN  # a dearer plan may be followable
        taken.append(ready)
        remaining.remove(ready)
    total = plan_total(solver.index, planned, cost)
    return Plan(tuple(solver.learner_order(list(planned))), total)


def _prerequisites_met(
    path: FastPath, solver: Solver, ident: str, items: Sequence[Item]
) -> bool | object:
    if solver.index.credentials[ident].prerequisites is None:
        return True
    held = path.best(solver.prerequisite_tree(ident), items, None)
    if held is None:
        return False
    if held is UNKNOWN or not _disjoint(held):  # type: ignore[arg-type]
        return UNKNOWN
    return True


def complete(
    solver: Solver, qualification: str, serving: set[str] | None = None
) -> list[dict] | None:
    """The assignment completing the qualification, or None: fast paths, then the program.
    `serving`: the held credentials that may serve the rule, when known (`exact_assignment`)."""
    found = exact_assignment(solver, qualification, serving)
    if found is not exact.UNKNOWN:
        return found  # type: ignore[no-any-return]
    found = fast_assignment(solver, qualification)
    if found is UNKNOWN:
        return solver.assignment(qualification)
    return found  # type: ignore[return-value]


def best_plan(
    solver: Solver, qualification: str, cost: str, started: exact.Search | None = None
) -> Plan | None:
    """The least-cost plan (rule 6), or None when unreachable: fast paths, then the program.
    `started`: the exact search, already started (`exact_plan`)."""
    found = exact_plan(solver, qualification, cost, started)
    if found is not exact.UNKNOWN:
        return found  # type: ignore[no-any-return]
    found = fast_plan(solver, qualification, cost)
    if found is UNKNOWN:
        return solver.plan(qualification, cost)
    return found  # type: ignore[return-value]
