"""Evaluation at catalogue scale: only the qualifications a wallet can touch are solved.

Everything that does not depend on the learner is computed once per catalogue and cached on
it: which rules each credential can reach (leaf ids, recognitions, an inverted index over
filter fields, nesting parents, prerequisites), and every qualification's empty-wallet
answer. A wallet then only changes the qualifications it touches; the others keep their
empty-wallet answer (progress 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from registry.stacking.fastpath import best_plan, complete
from registry.stacking.index import CatalogueIndex, filter_key, spec_matches
from registry.stacking.model import Catalogue
from registry.stacking.rules import iter_nodes, rule_kind
from registry.stacking.solver import Plan, Solver

REQUIREMENT = "R"  # owner of a rule: a qualification's requirements
PREREQUISITE = "P"  # owner of a rule: a credential's prerequisites
Owner = tuple[str, str]


class Reach:
    """Which rules each credential can reach, over the whole catalogue."""

    def __init__(self, index: CatalogueIndex) -> None:
        self.index = index
        self.leaf_owners: dict[str, list[Owner]] = defaultdict(list)
        self.recognised: dict[str, list[str]] = defaultdict(list)  # from -> [to]
        for source, target in sorted(index.recognitions):
            self.recognised[source].append(target)
        # Filters are posted under one field every matching credential must have.
        self.filters: list[tuple[dict, list[Owner]]] = []
        self._filter_at: dict[str, int] = {}
        self.by_field: dict[str, dict[str, list[int]]] = {
            name: defaultdict(list) for name in ("credentials", "providers", "subjects", "types")
        }
        self.broad: list[int] = []
        for ident in sorted(index.credentials):
            spec = index.credentials[ident]
            if spec.requirements is not None:
                self._add_rule((REQUIREMENT, ident), spec.requirements)
            if spec.prerequisites is not None:
                self._add_rule((PREREQUISITE, ident), spec.prerequisites)

    def _add_rule(self, owner: Owner, rule: object) -> None:
        for _, node in iter_nodes(rule):
            kind = rule_kind(node)
            if kind == "credential" and isinstance(node["credential"], str):
                self.leaf_owners[node["credential"]].append(owner)
            elif kind in ("credits", "count"):
                where = node.get("where") or {}
                if isinstance(where, dict):
                    self._add_filter(owner, where)

    def _add_filter(self, owner: Owner, where: dict) -> None:
        key = filter_key(where)
        at = self._filter_at.get(key)
        if at is not None:
            self.filters[at][1].append(owner)
            return
        at = len(self.filters)
        self._filter_at[key] = at
        self.filters.append((where, [owner]))
        for name in ("credentials", "providers", "subjects", "types"):
            values = where.get(name)
            if isinstance(values, list):
                for value in values:
                    if isinstance(value, str):
                        self.by_field[name][value].append(at)
                return
        self.broad.append(at)

    def filter_owners(self, ident: str) -> Iterable[Owner]:
        """Owners of the filter leaves whose credential fields this credential passes."""
        spec = self.index.credentials[ident]
        seen: set[int] = set()
        candidates: list[int] = [*self.by_field["credentials"].get(ident, ())]
        candidates.extend(self.by_field["providers"].get(spec.provider, ()))
        candidates.extend(self.by_field["types"].get(spec.type, ()))
        for subject in spec.subjects:
            candidates.extend(self.by_field["subjects"].get(subject, ()))
        candidates.extend(self.broad)
        for at in candidates:
            if at in seen:
                continue
            seen.add(at)
            where, owners = self.filters[at]
            if spec_matches(spec, where):
                yield from owners

    def touched(self, held: Iterable[str]) -> set[str]:
        """Qualifications whose answer may differ from the empty wallet's for these holdings.

        A held credential reaches the rules that name it (directly or through a recognition)
        or whose filters it passes. A qualification so reached reaches the rules naming it
        (nesting); a credential whose prerequisites are reached becomes cheaper to plan, so it
        reaches whatever it could serve, as if held.
        """
        affected: set[str] = set()
        eased: set[str] = set()
        stack: list[tuple[bool, str]] = [(True, ident) for ident in set(held)]
        eased.update(held)
        while stack:
            as_held, ident = stack.pop()
            owners: list[Owner] = list(self.leaf_owners.get(ident, ()))
            if as_held:
                for target in self.recognised.get(ident, ()):
                    owners.extend(self.leaf_owners.get(target, ()))
                owners.extend(self.filter_owners(ident))
            for kind, owner in owners:
                if kind == REQUIREMENT:
                    if owner not in affected:
                        affected.add(owner)
                        stack.append((False, owner))
                elif owner not in eased:
                    eased.add(owner)
                    stack.append((True, owner))
        return affected


def reach(catalogue: Catalogue) -> Reach:
    cache = catalogue.index().cache
    found = cache.get("reach")
    if found is None:
        found = cache["reach"] = Reach(catalogue.index())
    return found


def empty_answer(catalogue: Catalogue, qualification: str, cost: str) -> tuple[str, Any]:
    """The empty wallet's answer.

    ("completed", assignment), ("in_progress", plan) or ("unreachable", None).
    """
    cache = catalogue.index().cache
    key = ("empty-answer", qualification, cost)
    found = cache.get(key)
    if found is None:
        solver = empty_solver(catalogue)
        assignment = complete(solver, qualification)
        if assignment is not None:
            found = ("completed", assignment)
        else:
            plan = empty_plan(catalogue, qualification, cost)
            found = ("unreachable", None) if plan is None else ("in_progress", plan)
        cache[key] = found
    return found


def empty_solver(catalogue: Catalogue) -> Solver:
    import datetime

    cache = catalogue.index().cache
    solver = cache.get("empty-solver")
    if solver is None:
        # Planned entries are dated as_of and meet every limit, so any date gives these plans.
        solver = cache["empty-solver"] = Solver(catalogue.index(), datetime.date(2000, 1, 1), [])
    return solver


def empty_plan(catalogue: Catalogue, qualification: str, cost: str) -> Plan | None:
    """The plan for an empty wallet; it depends on neither the date nor the learner."""
    cache = catalogue.index().cache
    key = ("empty-plan", qualification, cost)
    if key not in cache:
        cache[key] = best_plan(empty_solver(catalogue), qualification, cost)
    return cache[key]


def prepare(catalogue: Catalogue, costs: Iterable[str] = ("credits",)) -> None:
    """Build every per-catalogue table and empty-wallet answer now rather than on first use."""
    reach(catalogue)
    qualifications = sorted(i for i, s in catalogue.credentials.items() if s.is_qualification)
    for cost in costs:
        for qualification in qualifications:
            empty_answer(catalogue, qualification, cost)
