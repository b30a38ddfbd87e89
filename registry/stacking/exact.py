"""Exact plans and assignments without the integer program: branch and bound over a relaxation.

The relaxation drops the rules that tie leaves together: every leaf is solved on its own (an
entry or a planned credential may serve several leaves) and prerequisites are ignored, except
for credentials the branch forces into the plan. Each leaf's own optimum is exact (a
credential leaf takes its cheapest server; a `credits` / `count` leaf is a covering knapsack
solved by dynamic programming in integer quanta, see `LeafTable`), and the tree combines them
exactly (an `all` adds its children, `any` / `at_least` take the cheapest children).

Plans are compared by the key (cost, number of credentials, sorted ids). Every real plan is a
relaxed one with the same key, so the relaxed optimum is a lower bound; when it also uses
every credential once and can be followed in order it is the answer. Otherwise the search
branches on the reason it fails, in two halves that share no plan: a credential serving two
leaves is banned from one or from the other; a planned credential whose prerequisites are
unmet is left out, or kept and its prerequisites met; prerequisites that lean on each other
are ordered one way or the other. Branches are taken cheapest bound first, so the first
relaxed optimum that is a real plan is the least key of all plans (best-first branch and
bound). Assignments (is the rule met by the wallet alone?) are the same search without
planned credentials.

Anything the quanta cannot represent exactly, more than one share part on a leaf, or a search
that grows past its limits answers UNKNOWN, and the caller asks the integer program.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from registry.stacking.index import ECTS, CatalogueIndex, filter_key, spec_matches
from registry.stacking.model import CredentialSpec
from registry.stacking.rules import CHILD_KINDS
from registry.stacking.solver import (
    COST_SLACK,
    RELATIVE_SLACK,
    Item,
    Node,
    Plan,
    Solver,
    eligible,
    item_matches,
)

UNKNOWN: Any = object()  # the fast search cannot decide exactly; ask the integer program

# Branches explored before giving up on one question (the program then answers it).
NODE_LIMIT = 300
# Assignments tried while checking one rule (conflicts branch depth first).
CHECK_LIMIT = 2000
# Distinct partial sums a leaf's dynamic program may hold.
STATE_LIMIT = 30_000
# Integer quanta stay far from the float slack the program allows (see `_grid_safe`).
QUANTA_LIMIT = 10**7


class _Unknown(Exception):
    """Raised inside the search when it cannot decide exactly."""


def decimal(value: float | int) -> Fraction:
    """The decimal a registrar reads in a float (0.1 is one tenth), exactly."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Unknown
        return Fraction(repr(value))
    return Fraction(value)


class Numbers:
    """Decimal-exact credits and costs for one catalogue, memoised by the fields they read."""

    def __init__(self, index: CatalogueIndex) -> None:
        self.index = index
        self._values: dict[tuple[Any, str, str], Fraction] = {}
        self._rates = {unit: decimal(rate) for unit, rate in index.rates.items()}

    def value(self, spec: CredentialSpec, unit: str) -> Fraction:
        """`index.value_in` as an exact decimal."""
        key = (spec.credits, spec.credit_unit, unit)
        found = self._values.get(key)
        if found is None:
            if spec.credit_unit == unit:
                found = decimal(spec.credits)
            else:
                source = self._rates.get(spec.credit_unit)
                target = self._rates.get(unit)
                if source is None or not target:
                    found = Fraction(0)
                else:
                    found = decimal(spec.credits) * source / target
            self._values[key] = found
        return found

    def cost(self, spec: CredentialSpec, cost: str) -> Fraction | None:
        """`index.plan_cost` as an exact decimal; None when the credential cannot be planned."""
        if not spec.is_published or spec.is_qualification:
            return None
        if cost == "count":
            return Fraction(1)
        if cost == "price":
            return None if spec.price is None else decimal(spec.price)
        return self.value(spec, ECTS)


def numbers(index: CatalogueIndex) -> Numbers:
    found = index.cache.get("exact-numbers")
    if found is None:
        found = index.cache["exact-numbers"] = Numbers(index)
    return found


def _lcm_of_denominators(values: Sequence[Fraction]) -> int:
    scale = 1
    for value in values:
        scale = math.lcm(scale, value.denominator)
    return scale


def _grid_safe(threshold: Fraction, scale: int, slack_base: float) -> bool:
    """Whether sums on the grid 1/scale compare with `threshold` as the float program does.

    The program accepts a sum up to RELATIVE_SLACK * slack_base below its threshold. Sums are
    whole multiples of 1/scale; a threshold on the grid or clear of it by more than the slack
    is read the same way by exact arithmetic and by the program.
    """
    if scale * max(1.0, slack_base) >= QUANTA_LIMIT:
        return False
    scaled = threshold * scale
    below = scaled - math.floor(scaled)
    return below == 0 or float(below) / scale > 4 * RELATIVE_SLACK * max(1.0, slack_base)


# -- leaves as covering knapsacks -------------------------------------------------------------


@dataclass
class LeafTable:
    """A credits / count leaf's dimensions and its plannable candidates grouped into classes.

    Dimensions: the leaf's own threshold, then one per `of_which` part. The leaf and its
    `credits` / `count` parts read "at least T" (sums are capped at T); a share reads
    sum((match - R) * weight) >= 0, a balance. Credits are whole quanta of 1/scale of the
    leaf's unit. Candidates with the same roles in this leaf and the same cost form a class,
    sorted by id: inside a class the leaf cannot tell them apart, so an optimal answer takes a
    class's smallest ids first (swapping a larger id for an unused smaller one keeps the cost
    and the count and makes the sorted list of ids come first).
    """

    thresholds: tuple[int, ...]  # 0 for a share
    shares: tuple[int, ...]  # positions of share dimensions (at most one)
    share_rates: tuple[Fraction, ...]
    scale: int
    # roles, credits in quanta, members sorted by id
    classes: list[tuple[tuple[int, ...], int, list[str]]]
    member_class: dict[str, int]


def _part_key(node: Node) -> tuple:
    return tuple((part.kind, part.amount, filter_key(part.where)) for part in node.parts)


def leaf_table(solver: Solver, node: Node, cost: str) -> LeafTable:
    """The leaf's table, cached per catalogue (it does not depend on the wallet)."""
    index = solver.index
    key = ("exact-leaf", node.kind, node.amount, node.unit, filter_key(node.where),
           _part_key(node), cost)  # fmt: skip
    found = index.cache.get(key)
    if found is None:
        try:
            found = _build_table(index, node, cost)
        except _Unknown as error:
            found = error
        index.cache[key] = found
    if isinstance(found, _Unknown):
        raise _Unknown
    return found


def _build_table(index: CatalogueIndex, node: Node, cost: str) -> LeafTable:
    nums = numbers(index)
    parts = node.parts
    if sum(1 for part in parts if part.kind == "share") > 1:
        raise _Unknown
    groups: dict[tuple, list[str]] = {}
    values: set[Fraction] = set()
    for ident in index.filter_candidates(node.where):
        spec = index.credentials[ident]
        # Every matching credential sets the grid, so held entries of it land on the grid too.
        values.add(nums.value(spec, node.unit))
        price = nums.cost(spec, cost)
        if price is None:
            continue
        flags = tuple(spec_matches(spec, part.where) for part in parts)
        groups.setdefault((spec.credits, spec.credit_unit, price, flags), []).append(ident)
    scale = _lcm_of_denominators(sorted(values))
    total = float(sum(values)) if values else 0.0
    thresholds: list[int] = []
    shares: list[int] = []
    rates: list[Fraction] = []
    weighed = node.kind == "credits"
    for position, amount in enumerate([node.amount] + [p.amount for p in parts]):
        exact = decimal(amount)
        kind = parts[position - 1].kind if position else node.kind
        if kind == "share":
            if not 0 < exact <= 1:
                raise _Unknown
            grid = (scale if weighed else 1) * exact.denominator
            if grid * max(1.0, total) >= QUANTA_LIMIT:
                raise _Unknown
            shares.append(position)
            rates.append(exact)
            thresholds.append(0)
            continue
        grid = scale if kind == "credits" else 1
        if not _grid_safe(exact, grid, float(exact)):
            raise _Unknown
        thresholds.append(max(0, math.ceil(exact * grid)))
    table = LeafTable(tuple(thresholds), tuple(shares), tuple(rates), scale, [], {})
    for (_, _, _, flags), members in groups.items():
        spec = index.credentials[members[0]]
        value = nums.value(spec, node.unit)
        if value < 0:
            raise _Unknown
        roles = entry_roles(table, node, value, flags)
        number = len(table.classes)
        table.classes.append((roles, int(value * scale), members))
        for ident in members:
            table.member_class[ident] = number
    return table


def entry_roles(
    table: LeafTable, node: Node, value: Fraction, flags: Sequence[bool]
) -> tuple[int, ...]:
    """An entry's contribution to each dimension of a leaf, in whole quanta."""
    scaled = value * table.scale
    if scaled.denominator != 1:
        raise _Unknown
    quanta = int(scaled)
    weight = quanta if node.kind == "credits" else 1
    roles = [weight]
    shares = 0
    for position, part in enumerate(node.parts):
        hit = flags[position]
        if part.kind == "credits":
            roles.append(quanta if hit else 0)
        elif part.kind == "count":
            roles.append(1 if hit else 0)
        else:
            rate = table.share_rates[shares]
            shares += 1
            # (match - R) * weight, times R's denominator to stay whole.
            roles.append((int(hit) * rate.denominator - rate.numerator) * weight)
    return tuple(roles)


@dataclass(frozen=True)
class Option:
    """A relaxed answer for a node: its key and the uses (leaf, credential, entry) behind it.

    `entry` is a wallet Item or a planned Item (a forced credential, free here); a paid
    planned credential has None.
    """

    cost: int
    count: int
    ids: tuple[str, ...]  # paid planned ids, sorted, with repeats in the relaxation
    uses: tuple[tuple[tuple[str, str], str, Item | None], ...]

    @property
    def key(self) -> tuple[int, int, tuple[str, ...]]:
        return (self.cost, self.count, self.ids)


NOTHING = Option(0, 0, (), ())


def _merge(options: Sequence[Option]) -> Option:
    if len(options) == 1:
        return options[0]
    ids: list[str] = []
    uses: list = []
    for option in options:
        ids.extend(option.ids)
        uses.extend(option.uses)
    ids.sort()
    return Option(
        sum(o.cost for o in options), sum(o.count for o in options), tuple(ids), tuple(uses)
    )


def _key(option: Option) -> tuple:
    return option.key


# -- the search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Branch:
    """What one branch of the search adds to the relaxation."""

    bans: frozenset[tuple[tuple[str, str], str]] = frozenset()  # (leaf, credential)
    no_plan: frozenset[str] = frozenset()
    forced: frozenset[str] = frozenset()
    # (owner, credential): the credential may not serve the owner's prerequisites
    scope_bans: frozenset[tuple[str, str]] = frozenset()

    def but(self, **changes: Any) -> _Branch:
        fields = {
            "bans": self.bans,
            "no_plan": self.no_plan,
            "forced": self.forced,
            "scope_bans": self.scope_bans,
        }
        fields.update(changes)
        return _Branch(**fields)


ROOT = _Branch()


class Search:
    """Exact plans (`cost` given) or assignments (`cost` None) for one solver's wallet."""

    def __init__(self, solver: Solver, cost: str | None) -> None:
        self.solver = solver
        self.index = solver.index
        self.cost = cost
        self.nums = numbers(solver.index)
        self._cost_int: dict[str, int] = {}
        self._cost_scale = 1
        self._leaf_memo: dict[tuple, Option | None] = {}
        self._prerequisite_memo: dict[tuple, Option | None] = {}
        self.nodes = 0
        self.checks = 0

    # -- costs --------------------------------------------------------------------------

    def _prepare_costs(self, candidates: set[str]) -> None:
        """Integer costs on one grid for every candidate of the question."""
        assert self.cost is not None
        exact: dict[str, Fraction] = {}
        for ident in candidates:
            price = self.nums.cost(self.index.credentials[ident], self.cost)
            if price is None:
                continue
            if price < 0:
                raise _Unknown
            exact[ident] = price
        scale = _lcm_of_denominators(sorted(set(exact.values())))
        if scale > 10**6:
            raise _Unknown
        self._cost_scale = scale
        self._cost_int = {ident: int(price * scale) for ident, price in exact.items()}

    def plan_cost(self, ident: str) -> int:
        return self._cost_int[ident]

    def credential_servers(self, node: Node) -> set[str]:
        return {node.ident, *self.index.recognised_as.get(node.ident, ())}

    # -- leaves -------------------------------------------------------------------------

    def solve_leaf(
        self, owner: str, node: Node, items: Sequence[Item], branch: _Branch, exclude: str | None
    ) -> Option | None:
        """The leaf's relaxed optimum under the branch, or None when it cannot be met.

        `items` are free servers: wallet entries and planned credentials already paid for.
        """
        leaf = (owner, node.path)
        banned = {c for key, c in branch.bans if key == leaf}
        if owner:
            banned.update(c for o, c in branch.scope_bans if o == owner)
        free = [
            item
            for item in items
            if item.spec.id not in banned and eligible(self.index, node, item)
        ]
        planning = self.cost is not None
        memo_key = (
            leaf,
            planning,
            frozenset(banned),
            tuple((item.number, item.spec.id) for item in free),
            branch.no_plan if planning else None,
            exclude,
        )
        if memo_key in self._leaf_memo:
            return self._leaf_memo[memo_key]
        if node.kind == "credential":
            found = self._credential_leaf(leaf, node, free, branch, banned, exclude)
        else:
            table = leaf_table(self.solver, node, self.cost or "count")
            found = _knapsack(self, table, node, leaf, free, branch, banned, exclude)
        self._leaf_memo[memo_key] = found
        return found

    def _credential_leaf(
        self,
        leaf: tuple[str, str],
        node: Node,
        free: list[Item],
        branch: _Branch,
        banned: set[str],
        exclude: str | None,
    ) -> Option | None:
        if free:
            # An entry of the credential named first, then wallet entries before planned ones.
            best = min(free, key=lambda i: (i.spec.id != node.ident, i.planned, i.number))
            return Option(0, 0, (), ((leaf, best.spec.id, best),))
        if self.cost is None:
            return None
        servers = [
            c
            for c in self.credential_servers(node)
            if c in self._cost_int and c not in banned and c != exclude
            and c not in branch.no_plan
        ]  # fmt: skip
        if not servers:
            return None
        best_id = min(servers, key=lambda c: (self._cost_int[c], c))
        return Option(self._cost_int[best_id], 1, (best_id,), ((leaf, best_id, None),))

    # -- trees --------------------------------------------------------------------------

    def relax(
        self,
        owner: str,
        node: Node,
        items: Sequence[Item],
        branch: _Branch,
        exclude: str | None = None,
    ) -> Option | None:
        """The relaxed optimum of `node` under the branch, or None when there is none."""
        kind = node.kind
        if kind is None:
            return None
        if kind in CHILD_KINDS:
            found: list[Option] = []
            for child in node.children:
                option = self.relax(owner, child, items, branch, exclude)
                if option is None:
                    if kind == "all":
                        return None
                    continue
                found.append(option)
            needed = len(node.children) if kind == "all" else 1 if kind == "any" else node.needed
            if len(found) < needed:
                return None
            if needed == len(found):
                return _merge(found)
            # The cheapest children by key: the least sum, then count, then sorted ids
            # (exchanging a child for one with a smaller key never makes the union worse).
            return _merge(heapq.nsmallest(needed, found, key=_key))
        own = self.solve_leaf(owner, node, items, branch, exclude)
        if node.kind == "credential" and node.expansion is not None:
            inner = self.relax(owner, node.expansion, items, branch, exclude)
            if inner is not None and (own is None or inner.key < own.key):
                return inner
        return own

    @staticmethod
    def conflict(option: Option) -> tuple[str, tuple, tuple] | None:
        """A credential serving two leaves of one rule: (credential, leaf, other leaf)."""
        where: dict[str, tuple] = {}
        for leaf, credential, _ in option.uses:
            if not credential:
                continue
            seen = where.get(credential)
            if seen is None:
                where[credential] = leaf
            elif seen != leaf:
                return credential, seen, leaf
        return None

    def _satisfy(self, owner: str, tree: Node, items: list[Item], branch: _Branch) -> Option | None:
        """An assignment of `items` meeting `tree`, or None: depth-first over conflicts."""
        saved, self.cost = self.cost, None
        try:
            stack = [branch]
            while stack:
                self.checks += 1
                if self.checks > CHECK_LIMIT:
                    raise _Unknown
                current = stack.pop()
                option = self.relax(owner, tree, items, current)
                if option is None:
                    continue
                clash = self.conflict(option)
                if clash is None:
                    return option
                credential, first, second = clash
                stack.append(current.but(bans=current.bans | {(second, credential)}))
                stack.append(current.but(bans=current.bans | {(first, credential)}))
            return None
        finally:
            self.cost = saved

    # -- assignments --------------------------------------------------------------------

    def assignment(self, qualification: str) -> list[dict] | None:
        solver = self.solver
        tree = solver.tree(qualification)
        option = self._satisfy("", tree, solver.usable(qualification), ROOT)
        if option is None:
            return None
        return explain(tree, option)

    # -- plans --------------------------------------------------------------------------

    def plan(self, qualification: str) -> Plan | None:
        assert self.cost is not None
        solver = self.solver
        tree = solver.tree(qualification)
        self._prepare_costs(self._universe(tree))
        items = solver.usable(qualification)
        heap: list[tuple[tuple, int, _Branch, Option]] = []
        counter = 0

        def push(branch: _Branch) -> None:
            nonlocal counter
            option = self._bound(tree, items, branch)
            if option is not None:
                counter += 1
                heapq.heappush(heap, (option.key, counter, branch, option))

        push(ROOT)
        while heap:
            self.nodes += 1
            if self.nodes > NODE_LIMIT:
                raise _Unknown
            _, _, branch, option = heapq.heappop(heap)
            children = self._split(branch, option)
            if children is None:
                return self._answer(option)
            for child in children:
                push(child)
        return None

    def _universe(self, tree: Node) -> set[str]:
        """Every credential a plan could use: the leaves' candidates, closed under prerequisites."""
        solver = self.solver
        found: set[str] = set()
        pending: list[Node] = list(tree.leaves())
        while pending:
            leaf = pending.pop()
            if leaf.kind == "credential":
                new: Sequence[str] | set[str] = self.credential_servers(leaf)
            elif leaf.kind in ("credits", "count"):
                new = self.index.filter_candidates(leaf.where)
            else:
                continue
            for ident in new:
                spec = self.index.credentials.get(ident)
                if spec is None or ident in found:
                    continue
                found.add(ident)
                if spec.prerequisites is not None:
                    pending.extend(solver.prerequisite_tree(ident).leaves())
        return found

    def _forced_items(self, forced: frozenset[str] | set[str], skip: str | None) -> list[Item]:
        return [self.solver.planned_item(c) for c in sorted(forced) if c != skip]

    def _bound(self, tree: Node, items: Sequence[Item], branch: _Branch) -> Option | None:
        """The branch's relaxed optimum: forced credentials serve for free and are paid apart."""
        if branch.forced:
            items = [*items, *self._forced_items(branch.forced, None)]
        main = self.relax("", tree, items, branch)
        if main is None or not branch.forced:
            return main
        forced = sorted(branch.forced)
        paid = Option(sum(self._cost_int[c] for c in forced), len(forced), tuple(forced), ())
        return _merge([main, paid])

    def _split(self, branch: _Branch, option: Option) -> list[_Branch] | None:
        """None when the branch's relaxed optimum is a real plan, else the branches to try."""
        clash = self.conflict(option)
        if clash is not None:
            credential, first, second = clash
            return [
                branch.but(bans=branch.bans | {(first, credential)}),
                branch.but(bans=branch.bans | {(second, credential)}),
            ]
        planned = frozenset(option.ids)
        if len(planned) != len(option.ids):
            raise _Unknown  # a credential paid twice always shows as a clash first
        for ident in sorted(planned):
            if self.index.credentials[ident].prerequisites is None:
                continue
            if self.prerequisites_hold(ident, planned, branch) is not None:
                continue
            if ident not in branch.forced:
                return [
                    branch.but(no_plan=branch.no_plan | {ident}),
                    branch.but(forced=branch.forced | {ident}),
                ]
            return self._split_prerequisites(ident, planned, branch)
        return self._follow(planned, branch)

    def prerequisites_hold(
        self, owner: str, planned: frozenset[str], branch: _Branch
    ) -> Option | None:
        """An assignment meeting `owner`'s prerequisites from the wallet and `planned`."""
        if self.index.credentials[owner].prerequisites is None:
            return NOTHING
        scope_bans = frozenset(pair for pair in branch.scope_bans if pair[0] == owner)
        bans = frozenset(pair for pair in branch.bans if pair[0][0] == owner)
        memo_key = (owner, planned, scope_bans, bans)
        if memo_key in self._prerequisite_memo:
            return self._prerequisite_memo[memo_key]
        items = [*self.solver.wallet, *self._forced_items(planned, owner)]
        tree = self.solver.prerequisite_tree(owner)
        found = self._satisfy(owner, tree, items, _Branch(bans=bans, scope_bans=scope_bans))
        self._prerequisite_memo[memo_key] = found
        return found

    def _split_prerequisites(
        self, owner: str, planned: frozenset[str], branch: _Branch
    ) -> list[_Branch]:
        """Branches for a forced credential whose prerequisites the plan does not meet yet."""
        tree = self.solver.prerequisite_tree(owner)
        items = [*self.solver.wallet, *self._forced_items(planned, owner)]
        option = self.relax(owner, tree, items, branch, exclude=owner)
        if option is None:
            return []  # nothing could meet them: no plan in this branch
        if option.ids:
            extra = option.ids[0]
            return [
                branch.but(forced=branch.forced | {extra}),
                branch.but(no_plan=branch.no_plan | {extra}),
            ]
        clash = self.conflict(option)
        if clash is None:
            raise _Unknown  # the relaxation met them while the exact check did not
        credential, first, second = clash
        return [
            branch.but(bans=branch.bans | {(first, credential)}),
            branch.but(bans=branch.bans | {(second, credential)}),
        ]

    def _follow(self, planned: frozenset[str], branch: _Branch) -> list[_Branch] | None:
        """None when the plan can be taken in some order, else branches that order it.

        Meeting prerequisites only gets easier as credentials are taken, so taking any
        ready credential never blocks the rest.
        """
        remaining = set(planned)
        taken: set[str] = set()
        while remaining:
            ready = None
            for ident in sorted(remaining):
                if self.prerequisites_hold(ident, frozenset(taken), ROOT) is not None:
                    ready = ident
                    break
            if ready is None:
                break
            taken.add(ready)
            remaining.remove(ready)
        if not remaining:
            return None
        # Stuck: a stuck credential leans on another stuck one. In any order one of the two
        # comes first, and the first may not use the other.
        owner = min(remaining)
        option = self.prerequisites_hold(owner, planned, branch)
        if option is None:
            raise _Unknown
        leaning = sorted(
            c for _, c, item in option.uses if item is not None and item.planned and c in remaining
        )
        if not leaning:
            raise _Unknown
        other = leaning[0]
        return [
            branch.but(scope_bans=branch.scope_bans | {(owner, other)}),
            branch.but(scope_bans=branch.scope_bans | {(other, owner)}),
        ]

    def _answer(self, option: Option) -> Plan:
        assert self.cost is not None
        chosen = sorted(option.ids)
        # Exact decimals decide ties exactly and the program within COST_SLACK; they agree
        # when one quantum of cost is wider than that slack at this cost.
        best = option.cost / self._cost_scale
        if 4 * COST_SLACK * max(1.0, best) * self._cost_scale >= 1:
            raise _Unknown
        total = sum(
            self.index.plan_cost(self.index.credentials[c], self.cost) or 0.0 for c in chosen
        )
        return Plan(tuple(self.solver.learner_order(chosen)), total)


def explain(tree: Node, option: Option) -> list[dict]:
    """The assignment in the engine's shape: used leaves in rule order, sorted entry numbers."""
    entries: dict[str, list[int]] = {}
    for (_, path), _, item in option.uses:
        found = entries.setdefault(path, [])
        if item is not None and not item.planned:
            found.append(item.number)
    rank = {leaf.path: n for n, leaf in enumerate(tree.leaves())}
    return [
        {"path": path, "entries": sorted(entries[path])}
        for path in sorted(entries, key=lambda p: rank.get(p, len(rank)))
    ]


# -- the knapsack -----------------------------------------------------------------------------


def _knapsack(
    search: Search,
    table: LeafTable,
    node: Node,
    leaf: tuple[str, str],
    free: list[Item],
    branch: _Branch,
    banned: set[str],
    exclude: str | None,
) -> Option | None:
    """The leaf's relaxed optimum: the least (cost, count, sorted ids) meeting every dimension.

    A dynamic program over partial sums, each capped where more cannot matter (a threshold;
    for a share's balance, the most that entries of an inclusion-minimal answer outside its
    filter could take away). Two partial answers with the same sums keep the better key;
    that is safe because any completion adds the same credentials, disjoint from both, and
    for equal counts the sorted ids compare by their smallest difference.
    """
    nums = search.nums
    planning = search.cost is not None
    thresholds = table.thresholds
    dims = len(thresholds)
    shares = table.shares
    # Free servers, one group per credential: a credential serves a leaf at most once.
    groups: dict[str, list[tuple[tuple[int, ...], int, int, Item | None]]] = {}
    quanta: dict[str, int] = {}
    for item in free:
        spec = item.spec
        value = nums.value(spec, node.unit)
        flags = [item_matches(item, part.where) for part in node.parts]
        roles = entry_roles(table, node, value, flags)
        quanta[spec.id] = int(value * table.scale)
        groups.setdefault(spec.id, []).append((roles, 0, 0, item))
    excluded = banned | branch.no_plan | set(groups)
    if exclude is not None:
        excluded.add(exclude)
    paid_groups: set[str] = set()
    if planning:
        for ident, choices in groups.items():
            number = table.member_class.get(ident)
            if number is None or ident in banned or ident in branch.no_plan or ident == exclude:
                continue
            if any(item is not None and item.planned for _, _, _, item in choices):
                continue  # already planned: free here
            roles = table.classes[number][0]
            # A retake helps only where the wallet's entries miss a part's result filter.
            if all(_dominates(held, roles) for held, _, _, _ in choices):
                continue
            choices.append((roles, search.plan_cost(ident), 1, None))
            paid_groups.add(ident)

    caps = list(thresholds)
    bound = 0
    if shares:
        bound = _value_bound(table, node, quanta)
        caps[shares[0]] = table.share_rates[0].numerator * bound

    start = [0] * dims
    mandatory: list[tuple[tuple[int, ...], str, Item | None]] = []
    optional: list[tuple[str, list]] = []
    for ident, choices in groups.items():
        if not shares and ident not in paid_groups:
            # Without a share more never hurts: a free entry that is best in every
            # dimension simply serves.
            best = next((c for c in choices if all(_dominates(c[0], o[0]) for o in choices)), None)
            if best is not None:
                mandatory.append((best[0], ident, best[3]))
                for d in range(dims):
                    start[d] += best[0][d]
                continue
        optional.append((ident, choices))

    # Paid classes, each cut to what an inclusion-minimal answer could use.
    ranked: list[tuple[tuple[int, ...], int, list[str]]] = []
    if planning:
        for roles, _, members in table.classes:
            if not any(r > 0 for r in roles):
                continue
            limit = _class_limit(roles, thresholds, shares, bound)
            if limit <= 0:
                continue
            chosen: list[str] = []
            for ident in members:
                if ident in excluded:
                    continue
                chosen.append(ident)
                if len(chosen) >= limit:
                    break
            if chosen:
                ranked.append((roles, search.plan_cost(chosen[0]), chosen))

    # Every sum is a whole multiple of its dimension's gcd: count in those steps.
    steps = [0] * dims
    for roles, _, _ in ranked:
        steps = [math.gcd(g, r) for g, r in zip(steps, roles, strict=True)]
    for _, choices in optional:
        for roles, *_ in choices:
            steps = [math.gcd(g, r) for g, r in zip(steps, roles, strict=True)]
    steps = [math.gcd(g, r) or 1 for g, r in zip(steps, start, strict=True)]
    limits = [
        -(-caps[d] // steps[d]) if d in shares else -(-thresholds[d] // steps[d])
        for d in range(dims)
    ]
    goals = [0 if d in shares else limits[d] for d in range(dims)]
    begin = tuple(
        start[d] // steps[d] if d in shares else min(limits[d], -(-start[d] // steps[d]))
        for d in range(dims)
    )

    # Keys are single integers: ((cost * base + count) << top) + (all bits - chosen bits).
    # The smallest id owns the highest bit, so for equal cost and count the sorted list of
    # ids that comes first has the larger mask and the smaller key.
    ids = sorted({i for _, _, chosen in ranked for i in chosen} | paid_groups)
    top = len(ids)
    base = top + 1
    bit = {ident: 1 << (top - 1 - n) for n, ident in enumerate(ids)}
    full = (1 << top) - 1

    def scaled(roles: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(r // g for r, g in zip(roles, steps, strict=True))

    moves = [
        (
            ident,
            [
                (scaled(roles), ((price * base + count) << top) - (bit[ident] if count else 0))
                for roles, price, count, _ in choices
            ],
        )
        for ident, choices in optional
    ]
    runs = []
    for roles, price, members in ranked:
        deltas = []
        delta = 0
        for ident in members:
            delta += ((price * base + 1) << top) - bit[ident]
            deltas.append(delta)
        runs.append((scaled(roles), deltas))
    choice_lists = dict(optional)

    def unpack(found: tuple[int, tuple]) -> tuple[list[str], list]:
        mask = full - ((found[0] + full) & full)
        planned = [ident for ident in ids if mask & bit[ident]]
        used = list(mandatory)
        for ident, number in found[1]:
            roles, _, count, item = choice_lists[ident][number]
            if not count:
                used.append((roles, ident, item))
        return planned, used

    def paid_roles(ident: str) -> tuple[int, ...]:
        number = table.member_class.get(ident)
        return table.classes[number][0] if number is not None else choice_lists[ident][-1][0]

    def totals_of(planned: list[str], used: list) -> list[int]:
        totals = [0] * dims
        for roles in [*(paid_roles(i) for i in planned), *(u[0] for u in used)]:
            for d in range(dims):
                totals[d] += roles[d]
        return totals

    result: tuple[list[str], list] | None = None
    if shares:
        # Without the share the leaf is a relaxation of itself: when its optimum happens to
        # meet the share (as it mostly does), it is the optimum.
        share = shares[0]
        keep = [d for d in range(dims) if d != share]
        loose = _solve_sums(
            tuple(begin[d] for d in keep),
            [(i, [(tuple(r[d] for d in keep), k) for r, k in m]) for i, m in moves],
            [(tuple(g[d] for d in keep), deltas) for g, deltas in runs],
            [limits[d] for d in keep],
            [goals[d] for d in keep],
        )
        if loose is None:
            return None
        planned, used = unpack(loose)
        totals = totals_of(planned, used)
        if _meets(tuple(totals), thresholds, shares):
            result = planned, used
        else:
            trimmed = [u for u in used if u[0][share] >= 0]
            if _meets(tuple(totals_of(planned, trimmed)), thresholds, shares):
                result = planned, trimmed
        if result is None:
            found = _solve_share(begin, moves, runs, limits, goals, share)
            if found is None:
                return None
            result = unpack(found)
    else:
        found = _solve_sums(begin, moves, runs, limits, goals)
        if found is None:
            return None
        result = unpack(found)
    planned, used = result
    used = _trim_free(used, totals_of(planned, []), thresholds, shares)
    uses = tuple((leaf, ident, item) for _, ident, item in used)
    uses += tuple((leaf, ident, None) for ident in planned)
    if not uses:
        uses = ((leaf, "", None),)  # met by nothing at all: the explanation still lists it
    cost = sum(search.plan_cost(ident) for ident in planned) if planning else 0
    return Option(cost, len(planned), tuple(planned), uses)


Moves = list[tuple[str, list[tuple[tuple[int, ...], int]]]]
Runs = list[tuple[tuple[int, ...], list[int]]]


def _solve_sums(
    begin: tuple[int, ...],
    moves: Moves,
    runs: Runs,
    limits: list[int],
    goals: list[int],
) -> tuple[int, tuple] | None:
    """The least key whose capped sums reach every goal, with the optional picks behind it.

    `moves` are optional groups (take at most one choice of each), `runs` are classes (take a
    prefix). States are sums capped at the limits; each keeps its least key.
    """
    dims = len(limits)
    span = range(dims)
    if dims == 1 and not moves:
        return _solve_line(begin[0], runs, limits[0])
    states: dict[tuple[int, ...], int] = {begin: 0}
    picks: dict[tuple[int, ...], tuple] = {begin: ()}
    for ident, choices in moves:
        new = dict(states)
        new_picks = dict(picks)
        for state, key in states.items():
            for number, (roles, delta) in enumerate(choices):
                target = tuple([min(limits[d], state[d] + roles[d]) for d in span])
                candidate = key + delta
                old = new.get(target)
                if old is None or candidate < old:
                    new[target] = candidate
                    new_picks[target] = (*picks[state], (ident, number))
        states, picks = new, new_picks
        if len(states) > STATE_LIMIT:
            raise _Unknown
    for gains, deltas in runs:
        new = dict(states)
        new_picks = dict(picks)
        for state, key in states.items():
            current = state
            for delta in deltas:
                following = tuple([min(limits[d], current[d] + gains[d]) for d in span])
                if following == current:
                    break
                current = following
                candidate = key + delta
                old = new.get(current)
                if old is None or candidate < old:
                    new[current] = candidate
                    new_picks[current] = picks[state]
        states, picks = new, new_picks
        if len(states) > STATE_LIMIT:
            raise _Unknown
    best: int | None = None
    best_state = None
    for state, key in states.items():
        if (best is None or key < best) and all(state[d] >= goals[d] for d in span):
            best, best_state = key, state
    if best is None or best_state is None:
        return None
    return best, picks[best_state]


def _solve_line(begin: int, runs: Runs, limit: int) -> tuple[int, tuple] | None:
    """`_solve_sums` in one dimension without optional groups, on a list."""
    line: list[int | None] = [None] * (limit + 1)
    line[begin] = 0
    for (gain,), deltas in runs:
        new = list(line)
        for value in range(limit + 1):
            key = line[value]
            if key is None:
                continue
            reached = value
            for delta in deltas:
                reached += gain
                candidate = key + delta
                if reached >= limit:
                    old = new[limit]
                    if old is None or candidate < old:
                        new[limit] = candidate
                    break
                old = new[reached]
                if old is None or candidate < old:
                    new[reached] = candidate
        line = new
    found = line[limit]
    return None if found is None else (found, ())


def _solve_share(
    begin: tuple[int, ...],
    moves: Moves,
    runs: Runs,
    limits: list[int],
    goals: list[int],
    share: int,
) -> tuple[int, tuple] | None:
    """`_solve_sums` with one share balance kept apart: per capped sum, a Pareto front.

    The front holds (balance, key) pairs where no other pair has as high a balance and as
    low a key (such a pair would serve every completion at least as well). A balance that
    the rest can no longer lift to 0 is dropped; one that the rest can no longer pull below
    0 is capped at what the rest could take away (both bounds are over the groups and
    classes still to come, taken up to their limits).
    """
    dims = len(limits)
    span = [d for d in range(dims) if d != share]
    steps: list[tuple[str, list[tuple[tuple[int, ...], int]]] | tuple[None, tuple]] = []
    for ident, choices in moves:
        steps.append((ident, choices))
    # Classes that lift the balance first, so the later ones can only lower it.
    ordered = sorted(runs, key=lambda run: -run[0][share])
    for run in ordered:
        steps.append((None, run))
    lift: list[int] = [0] * (len(steps) + 1)
    drop: list[int] = [0] * (len(steps) + 1)
    for position in range(len(steps) - 1, -1, -1):
        ident, body = steps[position]
        if ident is not None:
            gains = [roles[share] for roles, _ in body]  # type: ignore[union-attr]
            up, down = max([0, *gains]), max([0, *(-g for g in gains)])
        else:
            gain = body[0][share]  # type: ignore[index]
            length = len(body[1])  # type: ignore[arg-type]
            up, down = max(0, gain) * length, max(0, -gain) * length
        lift[position] = lift[position + 1] + up
        drop[position] = drop[position + 1] + down
    cap = limits[share]
    fronts: dict[tuple[int, ...], list[tuple[int, int, tuple]]] = {
        tuple(begin[d] for d in span): [(begin[share], 0, ())]
    }

    def insert(front: list[tuple[int, int, tuple]], entry: tuple[int, int, tuple]) -> None:
        balance, key, _ = entry
        for other in front:
            if other[0] >= balance and other[1] <= key:
                return
        front[:] = [o for o in front if not (o[0] <= balance and o[1] >= key)]
        front.append(entry)

    total = 0
    for position, (ident, body) in enumerate(steps):
        ceiling = min(cap, drop[position + 1])
        floor = -lift[position + 1]
        new = {state: list(front) for state, front in fronts.items()}
        for state, front in fronts.items():
            for balance, key, picked in front:
                if ident is not None:
                    for number, (roles, delta) in enumerate(body):  # type: ignore[union-attr]
                        target = tuple(
                            [min(limits[d], state[i] + roles[d]) for i, d in enumerate(span)]
                        )
                        moved = min(ceiling, balance + roles[share])
                        if moved < floor:
                            continue
                        front_at = new.setdefault(target, [])
                        insert(front_at, (moved, key + delta, (*picked, (ident, number))))
                    continue
                gains, deltas = body  # type: ignore[misc]
                current = state
                moved = balance
                for delta in deltas:
                    current = tuple(
                        [min(limits[d], current[i] + gains[d]) for i, d in enumerate(span)]
                    )
                    moved = min(ceiling, moved + gains[share])
                    if moved < floor:
                        break
                    insert(new.setdefault(current, []), (moved, key + delta, picked))
        fronts = new
        total = sum(len(front) for front in fronts.values())
        if total > STATE_LIMIT:
            raise _Unknown
    best: tuple[int, tuple] | None = None
    for state, front in fronts.items():
        if not all(state[i] >= goals[d] for i, d in enumerate(span)):
            continue
        for balance, key, picked in front:
            if balance >= 0 and (best is None or key < best[0]):
                best = (key, picked)
    return best


def _dominates(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    return all(a >= b for a, b in zip(first, second, strict=True))


def _meets(state: tuple[int, ...], thresholds: tuple[int, ...], shares: Sequence[int]) -> bool:
    return all(
        state[d] >= (0 if d in shares else threshold) for d, threshold in enumerate(thresholds)
    )


def _class_limit(
    roles: tuple[int, ...], thresholds: tuple[int, ...], shares: Sequence[int], bound: int
) -> int:
    """How many entries of one class an inclusion-minimal answer can hold.

    With more than ceil(T / r) of them in every "at least" dimension the class feeds, one can
    go (its removal cannot break a share it does not help), and an optimal answer drops
    whatever it can. A class that helps a share is also bounded by the largest total an
    inclusion-minimal answer reaches (`_value_bound`).
    """
    limit = 0
    for d, threshold in enumerate(thresholds):
        if d not in shares and roles[d] > 0:
            limit = max(limit, -(-threshold // roles[d]))
    if any(roles[d] > 0 for d in shares):
        measure = roles[0]
        limit = max(limit, bound // measure + 1)
    return limit


def _value_bound(table: LeafTable, node: Node, quanta: dict[str, int]) -> int:
    """The largest total (in the leaf's measure) an inclusion-minimal answer can reach.

    In such an answer every entry is needed by something. If one is needed for the leaf's
    own threshold T, the total is below T + vmax. Otherwise each is needed for a part (those
    weigh less than K in all) or, when it matches the share's filter, for the share alone;
    then the entries outside the filter weigh less than K and the share gives a total below
    K / (1 - R) + vmax. With R = 1 nothing outside the filter may weigh at all: below K.
    """
    weighed = node.kind == "credits"
    vmax_value = max([value for _, value, _ in table.classes] + list(quanta.values()) + [0])
    vmax = vmax_value if weighed else 1
    threshold = table.thresholds[0]
    parts_total = 0
    for position, part in enumerate(node.parts, start=1):
        if position in table.shares:
            continue
        if part.kind == "count":
            parts_total += table.thresholds[position] * vmax
        else:
            # Entries needed for a credits part weigh below its threshold plus one entry,
            # and each weighs at least one quantum (which also bounds their number).
            need = table.thresholds[position] + vmax_value
            parts_total += need
    rate = table.share_rates[0]
    if rate >= 1:
        return max(threshold + vmax, parts_total)
    return max(threshold + vmax, math.ceil(parts_total / (1 - rate)) + vmax)


def _trim_free(
    used: list[tuple[tuple[int, ...], str, Item | None]],
    base: list[int],
    thresholds: tuple[int, ...],
    shares: Sequence[int],
) -> list[tuple[tuple[int, ...], str, Item | None]]:
    """Drop free servers the leaf does not need, so they stay free for other leaves."""
    dims = len(thresholds)

    def holds(chosen: list[tuple[tuple[int, ...], str, Item | None]]) -> bool:
        totals = list(base)
        for roles, _, _ in chosen:
            for d in range(dims):
                totals[d] += roles[d]
        return _meets(tuple(totals), thresholds, shares)

    kept = list(used)
    # Later wallet entries go first: the explanation keeps the earliest entries that suffice.
    order = sorted(used, key=lambda e: (e[2] is not None and e[2].planned,
                                        -(e[2].number if e[2] is not None else 0)))  # fmt: skip
    for entry in order:
        trial = [other for other in kept if other is not entry]
        if holds(trial):
            kept = trial
    return kept


# -- entry points -----------------------------------------------------------------------------


def exact_assignment(solver: Solver, qualification: str) -> list[dict] | Any | None:
    """The assignment completing the qualification, None when incomplete, or UNKNOWN."""
    try:
        return Search(solver, None).assignment(qualification)
    except _Unknown:
        return UNKNOWN


def exact_plan(solver: Solver, qualification: str, cost: str) -> Plan | Any | None:
    """The least-cost plan (rule 6), None when unreachable, or UNKNOWN."""
    try:
        return Search(solver, cost).plan(qualification)
    except _Unknown:
        return UNKNOWN
