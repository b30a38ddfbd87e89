"""Exact satisfaction and minimum-cost plans for one qualification, as integer programs.

A rule is expanded into a tree of nodes (nested qualifications copied in under `/Q/`), and
the question "is there an assignment of entries to leaves" becomes a 0-1 program solved by
HiGHS through scipy: one binary per (entry, leaf) pair that may serve, one per node saying
"this node is true", and one per credential that a plan may add. Plans are found in three
exact stages (least cost, then fewest credentials, then the smallest sorted list of ids).
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from registry.stacking.dates import add_years
from registry.stacking.index import ECTS, CatalogueIndex, result_matches, spec_matches
from registry.stacking.model import CredentialSpec
from registry.stacking.numbers import plan_total
from registry.stacking.rules import CHILD_KINDS, child_path, nested_path, rule_children, rule_kind

if TYPE_CHECKING:
    import numpy as np

# Sums of credits are compared with this relative slack so that 0.1 + 0.2 reaches 0.3.
RELATIVE_SLACK = 1e-9
# Costs closer than this (relative) are one cost, and the tie-breaks decide.
COST_SLACK = 1e-7
# Requirements are acyclic when saved; the depth guard only stops a corrupt catalogue.
MAX_NESTING = 64
# Expanded trees are kept for this many evaluation dates.
TREE_DATES = 4


def reaches(total: float, threshold: float) -> bool:
    """`total >= threshold` up to float rounding."""
    return total >= threshold - RELATIVE_SLACK * max(1.0, abs(threshold))


@dataclass(frozen=True, eq=False)
class Item:
    """A wallet entry that counts (rule 1), or an entry a plan would add (`number` -1)."""

    number: int
    spec: CredentialSpec
    earned_on: datetime.date
    result: object = None
    counted_toward: frozenset[str] = frozenset()
    # Filters already tested (`item_matches`): id(filter) -> (the filter, whether it passes).
    # The filter is kept beside its answer, so an id can never be reused for another one.
    passes: dict[int, tuple[dict, bool]] = field(default_factory=dict, repr=False)
    # Its place in leaves (`exact.item_roles`): id(leaf) -> (the leaf, its table, quanta, roles).
    roles: dict[int, tuple] = field(default_factory=dict, repr=False)

    @property
    def planned(self) -> bool:
        return self.number < 0

    def reused_elsewhere(self, qualification: str) -> int:
        """How many qualifications other than `qualification` this entry already counted toward."""
        return len(self.counted_toward - {qualification})


@dataclass(frozen=True)
class Part:
    kind: str  # credits | count | share
    amount: float
    where: dict


@dataclass(eq=False, slots=True)
class Node:
    """One node of an expanded rule; `cutoff` is the earliest earned_on that counts below it."""

    path: str
    kind: str | None  # None: malformed, never satisfied
    cutoff: datetime.date | None
    children: list[Node] = field(default_factory=list)
    needed: int = 0
    ident: str = ""
    expansion: Node | None = None
    amount: float = 0.0
    unit: str = ECTS
    where: dict = field(default_factory=dict)
    parts: tuple[Part, ...] = ()
    memo: dict | None = field(default=None, repr=False)  # per-node caches of other modules

    def leaves(self) -> Iterable[Node]:
        if self.kind in CHILD_KINDS:
            for child in self.children:
                yield from child.leaves()
        else:
            yield self
            if self.expansion is not None:
                yield from self.expansion.leaves()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def expand(
    index: CatalogueIndex,
    rule: object,
    as_of: datetime.date,
    prefix: str = "",
    inner: str = "",
    cutoff: datetime.date | None = None,
    depth: int = 0,
) -> Node:
    """The node tree of `rule`, with nested qualifications expanded below their leaves."""
    path = prefix + inner
    if not isinstance(rule, dict):
        return Node(path, None, cutoff)
    years = rule.get("within_years")
    if years is not None:
        if not _is_int(years) or years < 0:
            return Node(path, None, cutoff)
        limit = add_years(as_of, -years)
        cutoff = limit if cutoff is None else max(cutoff, limit)
    kind = rule_kind(rule)
    node = Node(path, kind, cutoff)
    if kind in CHILD_KINDS:
        node.children = [
            expand(index, child, as_of, prefix, child_path(inner, kind, i), cutoff, depth)
            for i, child in enumerate(rule_children(rule))
        ]
        if kind == "at_least":
            needed = rule["at_least"]
            node.needed = needed if _is_int(needed) else len(node.children) + 1
    elif kind == "credential":
        ident = rule["credential"]
        if not isinstance(ident, str):
            node.kind = None
            return node
        node.ident = ident
        spec = index.credentials.get(ident)
        if spec is not None and spec.is_qualification and depth < MAX_NESTING:
            node.expansion = expand(
                index,
                spec.requirements,
                as_of,
                nested_path(path, ident, ""),
                "",
                cutoff,
                depth + 1,
            )
    elif kind in ("credits", "count"):
        amount = rule[kind]
        where = rule.get("where", {})
        unit = rule.get("unit", ECTS) if kind == "credits" else ECTS
        parts = _parse_parts(rule.get("of_which", []))
        well_formed = _is_number(amount) and isinstance(where, dict) and isinstance(unit, str)
        if not well_formed or parts is None:
            node.kind = None
        else:
            # Equal filters become one object, so what is remembered per filter (an entry's
            # answers, `item_matches`) serves every leaf that has it.
            shared = index.shared_filter
            node.amount, node.where, node.unit = float(amount), shared(where), unit
            node.parts = tuple(Part(p.kind, p.amount, shared(p.where)) for p in parts)
    return node


def _parse_parts(raw: object) -> tuple[Part, ...] | None:
    if not isinstance(raw, list):
        return None
    parts = []
    for part in raw:
        if not isinstance(part, dict) or not isinstance(part.get("where"), dict):
            return None
        kinds = [k for k in ("credits", "count", "share") if k in part]
        if len(kinds) != 1 or not _is_number(part[kinds[0]]):
            return None
        parts.append(Part(kinds[0], float(part[kinds[0]]), part["where"]))
    return tuple(parts)


def eligible(index: CatalogueIndex, node: Node, item: Item) -> bool:
    """Whether `item` may serve leaf `node` (recency, and the leaf's credential or filter)."""
    if node.cutoff is not None and item.earned_on < node.cutoff:
        return False
    if node.kind == "credential":
        return item.spec.id == node.ident or (item.spec.id, node.ident) in index.recognitions
    return item_matches(item, node.where)


def item_matches(item: Item, where: dict) -> bool:
    """Whether an entry passes a filter; planned entries meet every result filter.

    Remembered per entry: one evaluation tests a wallet's entries against the same leaves'
    filters many times (bounds, the completion check, every branch of a plan's search).
    """
    found = item.passes.get(id(where))
    if found is None or found[0] is not where:
        passed = spec_matches(item.spec, where) and (
            item.planned or result_matches(item.result, where)
        )
        found = item.passes[id(where)] = (where, passed)
    return found[1]


def leaf_value(index: CatalogueIndex, node: Node, item: Item) -> float:
    """What one entry adds to a credits leaf (credits in its unit) or a count leaf (1)."""
    return index.value_in(item.spec, node.unit) if node.kind == "credits" else 1.0


def part_value(index: CatalogueIndex, node: Node, part: Part, item: Item) -> float:
    """What one entry adds to a part: credits in the leaf's unit, or 1 for count parts.

    A share part of a count leaf weighs entries; of a credits leaf, credits.
    """
    if part.kind == "count" or (part.kind == "share" and node.kind == "count"):
        return 1.0
    return index.value_in(item.spec, node.unit)


class _Program:
    """A 0-1 program grown row by row, solved by HiGHS."""

    def __init__(self) -> None:
        self.upper: list[float] = []
        self.integral: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, integral: bool = True, upper: float = 1.0) -> int:
        self.upper.append(upper)
        self.integral.append(1 if integral else 0)
        return len(self.upper) - 1

    def add(self, coefs: dict[int, float], low: float = -math.inf, high: float = math.inf) -> None:
        self.rows.append((coefs, low, high))

    def solve(
        self,
        objective: dict[int, float],
        extra: Sequence[tuple[dict[int, float], float, float]] = (),
    ) -> np.ndarray | None:
        """An optimal 0-1 vector (rounded), or None when the program is infeasible."""
        # Imported here: scipy takes a second or more to load, and the fast paths settle
        # most questions without it.
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_array

        size = len(self.upper)
        cost = np.zeros(size)
        for var, weight in objective.items():
            cost[var] += weight
        rows = [*self.rows, *extra]
        constraints = []
        if rows:
            data, cols, ptr, low, high = [], [], [0], [], []
            for coefs, lo, hi in rows:
                cols.extend(coefs)
                data.extend(coefs.values())
                ptr.append(len(cols))
                low.append(lo)
                high.append(hi)
            matrix = csr_array((data, cols, ptr), shape=(len(rows), size))
            constraints.append(LinearConstraint(matrix, low, high))
        result = milp(
            cost,
            integrality=np.array(self.integral),
            bounds=Bounds(np.zeros(size), np.array(self.upper)),
            constraints=constraints,
            options={"mip_rel_gap": 0.0},
        )
        if result.status == 2:
            return None
        if result.status != 0 or result.x is None:
            raise RuntimeError(f"the integer program was not solved: {result.message}")
        solution = np.array(result.x)
        integral = np.array(self.integral, dtype=bool)
        solution[integral] = np.round(solution[integral])
        return solution


@dataclass(eq=False)
class _Scope:
    """One rule evaluated with its own assignment: the qualification, or a prerequisite rule."""

    root: Node
    owner: str | None  # the planned credential whose prerequisites this is
    pairs: list[tuple[Node, Item, int]] = field(default_factory=list)
    node_vars: dict[int, int] = field(default_factory=dict)  # id(node) -> var


def _dated_trees(
    index: CatalogueIndex, as_of: datetime.date
) -> tuple[dict[str, Node], dict[str, Node]]:
    """The per-catalogue caches of expanded trees for one date (a few dates are kept)."""
    dated: dict[datetime.date, tuple[dict[str, Node], dict[str, Node]]]
    dated = index.cache.setdefault("trees", {})
    found = dated.get(as_of)
    if found is None:
        while len(dated) >= TREE_DATES:
            del dated[next(iter(dated))]
        found = dated[as_of] = ({}, {})
    return found


@dataclass(frozen=True)
class Plan:
    """Credentials to add, in an order a learner can follow, and their total cost."""

    credentials: tuple[str, ...]
    cost: float


class Solver:
    """Answers for one wallet at one date: completion with its assignment, and plans."""

    def __init__(self, index: CatalogueIndex, as_of: datetime.date, wallet: Sequence[Item]) -> None:
        self.index = index
        self.as_of = as_of
        self.wallet = list(wallet)
        # Trees depend on the date only (through within_years), so wallets share them.
        self._trees, self._prerequisite_trees = _dated_trees(index, as_of)

    def tree(self, qualification: str) -> Node:
        tree = self._trees.get(qualification)
        if tree is None:
            spec = self.index.credentials[qualification]
            tree = expand(self.index, spec.requirements, self.as_of)
            self._trees[qualification] = tree
        return tree

    def prerequisite_tree(self, ident: str) -> Node:
        tree = self._prerequisite_trees.get(ident)
        if tree is None:
            tree = expand(self.index, self.index.credentials[ident].prerequisites, self.as_of)
            self._prerequisite_trees[ident] = tree
        return tree

    def usable(self, qualification: str) -> list[Item]:
        """Wallet entries the qualification accepts under its max_reuse (rule 7)."""
        limit = self.index.credentials[qualification].max_reuse
        if limit is None:
            return self.wallet
        return [item for item in self.wallet if item.reused_elsewhere(qualification) < limit]

    # -- building the program -------------------------------------------------------------

    def _add_scope(
        self,
        program: _Program,
        scope: _Scope,
        items: Sequence[Item],
        plan_vars: dict[str, int],
    ) -> int:
        """Rows saying scope.root is true under one assignment; returns the root's var."""
        root = self._add_node(program, scope, scope.root, items)
        by_credential: dict[str, list[int]] = defaultdict(list)
        by_planned: dict[str, list[int]] = defaultdict(list)
        for _, item, var in scope.pairs:
            by_credential[item.spec.id].append(var)
            if item.planned and item.spec.id in plan_vars:
                by_planned[item.spec.id].append(var)
        for variables in by_credential.values():
            if len(variables) > 1:  # the same credential never serves twice
                program.add(dict.fromkeys(variables, 1.0), high=1.0)
        for ident, variables in by_planned.items():  # a planned entry exists only if planned
            coefs = dict.fromkeys(variables, 1.0)
            coefs[plan_vars[ident]] = -float(len(variables))
            program.add(coefs, high=0.0)
        return root

    def _add_node(self, program: _Program, scope: _Scope, node: Node, items: Sequence[Item]) -> int:
        z = program.var()
        scope.node_vars[id(node)] = z
        kind = node.kind
        if kind is None:
            program.add({z: 1.0}, high=0.0)
        elif kind in CHILD_KINDS:
            child_vars = [self._add_node(program, scope, child, items) for child in node.children]
            if kind == "all":
                for child in child_vars:
                    program.add({child: 1.0, z: -1.0}, low=0.0)
            else:
                needed = 1 if kind == "any" else node.needed
                coefs = dict.fromkeys(child_vars, 1.0)
                coefs[z] = coefs.get(z, 0.0) - needed
                program.add(coefs, low=0.0)
        elif kind == "credential":
            pairs = self._pairs(program, scope, node, items)
            coefs = {var: 1.0 for _, var in pairs}
            if node.expansion is not None:
                coefs[self._add_node(program, scope, node.expansion, items)] = 1.0
            coefs[z] = -1.0
            program.add(coefs, low=0.0)
            if pairs:  # one entry, and only when the leaf is used
                used = {var: 1.0 for _, var in pairs}
                used[z] = -1.0
                program.add(used, high=0.0)
        else:
            pairs = self._pairs(program, scope, node, items)
            values = [(item, var, leaf_value(self.index, node, item)) for item, var in pairs]
            coefs = {var: value for _, var, value in values}
            coefs[z] = -node.amount
            program.add(coefs, low=-RELATIVE_SLACK * max(1.0, node.amount))
            if pairs:
                used = {var: 1.0 for _, var in pairs}
                used[z] = -float(len(pairs))
                program.add(used, high=0.0)
            for part in node.parts:
                weights = {
                    var: part_value(self.index, node, part, item)
                    for item, var, _ in values
                    if item_matches(item, part.where)
                }
                if part.kind == "share":
                    share = {
                        var: weights.get(var, 0.0) - part.amount * value_for_share
                        for var, value_for_share in (
                            (var, part_value(self.index, node, part, item))
                            for item, var, _ in values
                        )
                    }
                    scale = sum(abs(v) for v in share.values())
                    program.add(share, low=-RELATIVE_SLACK * max(1.0, scale))
                else:
                    weights[z] = weights.get(z, 0.0) - part.amount
                    program.add(weights, low=-RELATIVE_SLACK * max(1.0, part.amount))
        return z

    def _pairs(
        self, program: _Program, scope: _Scope, node: Node, items: Sequence[Item]
    ) -> list[tuple[Item, int]]:
        pairs = []
        for item in items:
            if eligible(self.index, node, item):
                var = program.var()
                scope.pairs.append((node, item, var))
                pairs.append((item, var))
        return pairs

    # -- completion -------------------------------------------------------------------------

    def holds(self, tree: Node, items: Sequence[Item]) -> bool:
        """Whether one assignment of `items` makes the rule `tree` true."""
        program = _Program()
        scope = _Scope(tree, None)
        root = self._add_scope(program, scope, items, {})
        program.add({root: 1.0}, low=1.0)
        return program.solve({}) is not None

    def prerequisites_met(self, ident: str, items: Sequence[Item]) -> bool:
        if self.index.credentials[ident].prerequisites is None:
            return True
        return self.holds(self.prerequisite_tree(ident), items)

    def planned_item(self, ident: str) -> Item:
        return Item(-1, self.index.credentials[ident], self.as_of)

    def followed(self, plan: Sequence[str]) -> list[str] | None:
        """An order a learner can take the plan in (smallest ready id first), or None.

        Meeting prerequisites is monotone, so taking any ready credential never blocks the rest.
        """
        remaining, taken = set(plan), []
        while remaining:
            items = [*self.wallet, *(self.planned_item(i) for i in taken)]
            ready = [i for i in sorted(remaining) if self.prerequisites_met(i, items)]
            if not ready:
                return None
            taken.append(ready[0])
            remaining.remove(ready[0])
        return taken

    def learner_order(self, plan: Sequence[str]) -> list[str]:
        """Prerequisites first, then by id.

        Each planned credential comes after every planned one that could serve its
        prerequisites, smallest id first; should those links loop (filters on subjects can),
        the order in which the learner can take them, smallest ready id first.
        """
        members = set(plan)
        needs: dict[str, set[str]] = {ident: set() for ident in plan}
        for ident in plan:
            if self.index.credentials[ident].prerequisites is None:
                continue
            for leaf in self.prerequisite_tree(ident).leaves():
                for other in members - {ident}:
                    if eligible(self.index, leaf, self.planned_item(other)):
                        needs[ident].add(other)
        order = topological(list(plan), needs)
        if order is None:
            order = self.followed(plan) or sorted(plan)
        return order

    def assignment(self, qualification: str) -> list[dict] | None:
        """The assignment (path, wallet entries) completing the qualification, or None."""
        program = _Program()
        scope = _Scope(self.tree(qualification), None)
        root = self._add_scope(program, scope, self.usable(qualification), {})
        program.add({root: 1.0}, low=1.0)
        # The fewest used entries and true nodes keeps the explanation to what is needed.
        objective = dict.fromkeys(range(len(program.upper)), 1.0)
        solution = program.solve(objective)
        if solution is None:
            return None
        return _explain(scope, solution)

    # -- plans ------------------------------------------------------------------------------

    def candidates_for(self, node: Node, cost: str, exclude: str | None = None) -> list[str]:
        """Plannable credentials that could serve leaf `node`, sorted."""
        index = self.index
        if node.kind == "credential":
            found = index.servers(node.ident)
        elif node.kind in ("credits", "count"):
            found = set(index.filter_candidates(node.where))
        else:
            return []
        found.discard(exclude)  # type: ignore[arg-type]
        return sorted(i for i in found if index.plan_cost(index.credentials[i], cost) is not None)

    def plan(self, qualification: str, cost: str) -> Plan | None:
        """The least-cost plan completing the qualification for this wallet (rule 6), or None."""
        index = self.index
        tree = self.tree(qualification)
        candidates: set[str] = set()
        for leaf in tree.leaves():
            candidates.update(self.candidates_for(leaf, cost))
        # Close the candidates under prerequisites: a planned credential may need others.
        pending = sorted(candidates)
        with_prerequisites: list[str] = []
        while pending:
            ident = pending.pop()
            if index.credentials[ident].prerequisites is None:
                continue
            with_prerequisites.append(ident)
            for leaf in self.prerequisite_tree(ident).leaves():
                for other in self.candidates_for(leaf, cost, exclude=ident):
                    if other not in candidates:
                        candidates.add(other)
                        pending.append(other)

        program = _Program()
        ordered = self._thin(sorted(candidates), tree, with_prerequisites, cost)
        plan_vars = {ident: program.var() for ident in ordered}
        planned = {ident: Item(-1, index.credentials[ident], self.as_of) for ident in ordered}
        main = _Scope(tree, None)
        items = [*self.usable(qualification), *planned.values()]
        root = self._add_scope(program, main, items, plan_vars)
        program.add({root: 1.0}, low=1.0)
        # A learner must be able to take the plan in some order: each planned credential's
        # prerequisites are met by the wallet and planned credentials taken before it. A
        # position per planned credential, later than any planned entry it relies on, says so.
        last = float(len(ordered))
        position = {ident: program.var(integral=False, upper=last) for ident in ordered}
        scopes = [main]
        for ident in sorted(with_prerequisites):
            scope = _Scope(self.prerequisite_tree(ident), ident)
            others = [*self.wallet, *(item for i, item in planned.items() if i != ident)]
            scope_root = self._add_scope(program, scope, others, plan_vars)
            program.add({scope_root: 1.0, plan_vars[ident]: -1.0}, low=0.0)
            for _, item, var in scope.pairs:
                if item.planned:
                    program.add(
                        {position[ident]: 1.0, position[item.spec.id]: -1.0, var: -(last + 1)},
                        low=-last,
                    )
            scopes.append(scope)
        self._break_symmetry(program, scopes, ordered, plan_vars, cost)

        costs = {plan_vars[i]: index.plan_cost(index.credentials[i], cost) or 0.0 for i in ordered}
        first = program.solve(costs)
        if first is None:
            return None
        best_cost = sum(costs[v] for v in costs if first[v] > 0.5)
        cost_row = (costs, -math.inf, best_cost + COST_SLACK * max(1.0, abs(best_cost)))
        count = dict.fromkeys(plan_vars.values(), 1.0)
        # A nudge toward small ids, too light to trade one credential for any number of
        # others, usually lands on the smallest list at once; the walk below makes sure.
        nudge = 1.0 / (len(ordered) * (len(ordered) + 1) + 1)
        by_rank = {plan_vars[i]: rank * nudge for rank, i in enumerate(ordered, start=1)}
        second = program.solve({v: 1.0 + by_rank[v] for v in count}, [cost_row])
        if second is None:  # numerically impossible; keep the first answer
            second = first
        chosen = [i for i in ordered if second[plan_vars[i]] > 0.5]

        size = len(chosen)
        count_row = (count, -math.inf, float(size))
        # Walk down to the smallest sorted list of ids among equally good plans.
        while True:
            better = self._lexicographically_smaller(
                program, ordered, plan_vars, chosen, [cost_row, count_row], by_rank
            )
            if better is None:
                break
            chosen = [i for i in ordered if better[plan_vars[i]] > 0.5]
        return Plan(tuple(self.learner_order(chosen)), plan_total(index, chosen, cost))

    def _thin(
        self, ordered: list[str], tree: Node, with_prerequisites: list[str], cost: str
    ) -> list[str]:
        """Drop candidates that no least plan can take.

        Candidates serving the same leaves with the same credits and part matches, without
        prerequisites and not held, form a class. A least plan takes no more of a class than
        its leaves' thresholds and parts call for (one more would only add cost and count),
        and it takes the cheapest members, the smaller id first at one cost: swapping a
        member for a cheaper or equally cheap smaller one outside the plan keeps it valid and
        never makes its key (cost, count, sorted ids) larger. So only the first members in
        (cost, id) order, as many as the class's room, stay. Under `price` this is what keeps
        a wide credit sum's candidates to a few per distinct credit value instead of one
        class per price.
        """
        if len(ordered) <= 24:
            return ordered
        index = self.index
        held = {item.spec.id for item in self.wallet}
        leaves = [(0, leaf) for leaf in tree.leaves()]
        for number, ident in enumerate(sorted(with_prerequisites), start=1):
            leaves.extend((number, leaf) for leaf in self.prerequisite_tree(ident).leaves())
        classes: dict[tuple, list[str]] = defaultdict(list)
        room: dict[tuple, int] = {}
        kept: list[str] = []
        for ident in ordered:
            spec = index.credentials[ident]
            if spec.prerequisites is not None or ident in held:
                kept.append(ident)
                continue
            item = Item(-1, spec, self.as_of)
            roles = []
            capacity = 0
            for number, leaf in leaves:
                if not eligible(index, leaf, item):
                    continue
                if leaf.kind in ("credits", "count"):
                    value = leaf_value(index, leaf, item)
                    flags = _part_roles(index, leaf, item)
                    roles.append((number, id(leaf), value, flags))
                    capacity += _leaf_capacity(leaf, value)
                else:
                    roles.append((number, id(leaf)))
                    capacity += 1
            key = tuple(roles)
            classes[key].append(ident)
            room[key] = capacity
        for key, members in classes.items():
            if len(members) > room[key]:
                members.sort(key=lambda i: (index.plan_cost(index.credentials[i], cost), i))
            kept.extend(members[: room[key]])
        return sorted(kept)

    def _break_symmetry(
        self,
        program: _Program,
        scopes: list[_Scope],
        ordered: list[str],
        plan_vars: dict[str, int],
        cost: str,
    ) -> None:
        """Among interchangeable candidates, plan the smaller ids first.

        Two candidates are interchangeable when they cost the same and serve the same leaves
        with the same credits and part matches, have no prerequisites and are not held. Any
        plan can swap one for the other, and the smallest sorted list of ids always takes
        the smaller id, so requiring it keeps the answer and spares the solver the symmetry.
        """
        index = self.index
        held = {item.spec.id for item in self.wallet}
        node_numbers: dict[int, int] = {}
        roles: dict[str, list[tuple]] = defaultdict(list)
        for number, scope in enumerate(scopes):
            for node, item, _ in scope.pairs:
                if not item.planned:
                    continue
                slot = node_numbers.setdefault(id(node), len(node_numbers))
                if node.kind in ("credits", "count"):
                    role = (
                        number,
                        slot,
                        leaf_value(index, node, item),
                        _part_roles(index, node, item),
                    )
                else:
                    role = (number, slot)
                roles[item.spec.id].append(role)
        classes: dict[tuple, list[str]] = defaultdict(list)
        for ident in ordered:
            spec = index.credentials[ident]
            if spec.prerequisites is not None or ident in held:
                continue
            classes[(index.plan_cost(spec, cost), tuple(sorted(roles[ident])))].append(ident)
        for members in classes.values():
            for smaller, larger in itertools.pairwise(members):
                program.add({plan_vars[smaller]: 1.0, plan_vars[larger]: -1.0}, low=0.0)

    def _lexicographically_smaller(
        self,
        program: _Program,
        ordered: list[str],
        plan_vars: dict[str, int],
        chosen: list[str],
        rows: list[tuple[dict[int, float], float, float]],
        by_rank: dict[int, float],
    ) -> np.ndarray | None:
        """A plan as good as `chosen` whose sorted ids come first, or None.

        It must share every id of `chosen` below some id p that it adds and `chosen` lacks.
        """
        chosen_set = set(chosen)
        if len(chosen_set) == len(ordered):
            return None
        extra: list[tuple[dict[int, float], float, float]] = list(rows)
        start = len(program.upper)
        # d[p] picks the first difference p; after[q] = 1 when that difference lies after q.
        picks: dict[str, int] = {}
        for ident in ordered:
            if ident not in chosen_set:
                picks[ident] = program.var()
        # after[q] = after[r] + d[r] for the id r just after q (0 for the last): one row of
        # three terms each, where spelling out the sum over every later id would fill n^2 / 2
        # coefficients (gigabytes for the thousands of candidates of a wide credit sum).
        after: dict[str, int] = {}
        later: str | None = None
        for ident in reversed(ordered):
            var = program.var(integral=False)
            after[ident] = var
            row = {var: 1.0}
            if later is not None:
                row[after[later]] = -1.0
                if later in picks:
                    row[picks[later]] = -1.0
            extra.append((row, 0.0, 0.0))
            later = ident
        extra.append((dict.fromkeys(picks.values(), 1.0), 1.0, 1.0))
        for ident, pick in picks.items():
            extra.append(({plan_vars[ident]: 1.0, pick: -1.0}, 0.0, math.inf))
        for ident in ordered:
            if ident in chosen_set:
                extra.append(({plan_vars[ident]: 1.0, after[ident]: -1.0}, 0.0, math.inf))
            else:
                extra.append(({plan_vars[ident]: 1.0, after[ident]: 1.0}, -math.inf, 1.0))
        try:
            return program.solve(by_rank, extra)
        finally:
            del program.upper[start:]
            del program.integral[start:]


def _part_roles(index: CatalogueIndex, node: Node, item: Item) -> tuple[float, ...]:
    """What one entry adds to each part of a leaf (0 when it misses the part's filter)."""
    return tuple(
        part_value(index, node, part, item) if item_matches(item, part.where) else -1.0
        for part in node.parts
    ) + tuple(part_value(index, node, part, item) for part in node.parts)


def _leaf_capacity(leaf: Node, value: float) -> int:
    """How many entries of one kind a plan could ever put into a credits / count leaf."""
    extra = sum(math.ceil(part.amount) for part in leaf.parts if part.kind == "count")
    if leaf.kind == "count":
        base = math.ceil(leaf.amount) + extra
    elif value > 0:
        base = math.ceil(leaf.amount / value) + extra + 1
    else:
        base = extra + 1
    shares = [part.amount for part in leaf.parts if part.kind == "share"]
    if shares:
        # Entries outside a share's filter must be outweighed by entries inside it.
        worst = max(shares)
        base = base * (math.ceil(1 / (1 - worst)) + 1) if worst < 1 else base * 2
    return base


def _explain(scope: _Scope, solution: np.ndarray) -> list[dict]:
    """The used leaves in rule order with the wallet entries that serve each."""
    entries: dict[int, list[int]] = defaultdict(list)
    for node, item, var in scope.pairs:
        if solution[var] > 0.5 and not item.planned:
            entries[id(node)].append(item.number)
    out: list[dict] = []

    def visit(node: Node) -> None:
        if solution[scope.node_vars[id(node)]] < 0.5:
            return
        if node.kind in CHILD_KINDS:
            for child in node.children:
                visit(child)
            return
        used = sorted(entries.get(id(node), []))
        if node.kind == "credential" and not used and node.expansion is not None:
            visit(node.expansion)
            return
        out.append({"path": node.path, "entries": used})

    visit(scope.root)
    return out


def topological(chosen: list[str], needs: dict[str, set[str]]) -> list[str] | None:
    """`chosen` with each id after those it needs, smallest id first; None on a loop."""
    waiting = {ident: set(needs[ident]) for ident in chosen}
    needed_by: dict[str, list[str]] = defaultdict(list)
    for ident, links in waiting.items():
        for other in links:
            needed_by[other].append(ident)
    ready = [ident for ident, links in waiting.items() if not links]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        ident = heapq.heappop(ready)
        order.append(ident)
        for other in needed_by[ident]:
            waiting[other].discard(ident)
            if not waiting[other]:
                heapq.heappush(ready, other)
    return order if len(order) == len(chosen) else None
