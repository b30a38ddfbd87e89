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

import bisect
import heapq
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np

from registry.stacking.index import CatalogueIndex, filter_key, spec_matches
from registry.stacking.numbers import Numbers, Unknown, decimal, lcm_of_denominators, numbers
from registry.stacking.rules import CHILD_KINDS
from registry.stacking.solver import (
    COST_SLACK,
    RELATIVE_SLACK,
    Item,
    Node,
    Part,
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
# Bytes the joint program of two leaves may fill (its tables: sums times steps, 4 or 8 bytes
# a cell), held only while it runs. A nested qualification beside a wide credit sum at 1M
# ("30 US credits" beside "30 ECTS from one provider in 0413": 545 steps over 601 x 61 sums)
# needs 80 MB and a few seconds, c0903585 (158 steps over 201 x 101 x 11 sums) 141 MB and
# under a second; past this limit the integer program answers, in minutes.
JOINT_BYTES = 192 * 2**20
# Members of a class banned together when two leaves share it (see `_split_clash`).
SYMMETRY_HORIZON = 64
# Distinct partial sums a leaf's dynamic program may hold.
STATE_LIMIT = 30_000
# Integer quanta stay far from the float slack the program allows (see `_grid_safe`).
QUANTA_LIMIT = 10**7
# Class lines kept per catalogue (`RunLines`), and the class members a line must cover to
# be kept (smaller ones are quicker to rebuild than to look up).
RUN_LINES_KEPT = 1024
RUN_LINE_MEMBERS = 64
# Lines of fewer class members are walked as they are (`_outclassed`).
OUTCLASSED_MEMBERS = 24
# Value bounds a table keeps its paid classes for (a share's bound follows the wallet).
PAID_BOUNDS_KEPT = 8
# Cells of the largest two-dimensional class table kept apart from a wallet's entries.
PLANE_CELLS = 250_000


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
    classes: list[tuple[tuple[int, ...], int, Ids]]
    member_class: Membership
    # The class of each candidate group (`CatalogueIndex.filter_groups` keys) that has one.
    sources: dict[tuple, int] = field(default_factory=dict)
    # Per cost and dimension, the least cost per quantum a class supplies it at (`Bounds`),
    # once asked.
    rates: dict[str, list[Fraction | None]] = field(default_factory=dict)
    # Per (cost, count dimension), (price, members) of the classes adding to it, cheapest
    # first (`Bounds`), once asked.
    ladders: dict[tuple[str, int], list[tuple[int, int]]] = field(default_factory=dict)
    # The classes a plan may take from, per value bound (`_paid_classes`), once asked.
    paid: dict[int, list[PaidClass]] = field(default_factory=dict)


class Rows(Sequence[str]):
    """A candidate group's ids in id order, kept as their rows in the catalogue's columns
    (`index.Columns`, rows in id order) and read as ids only where asked.

    A wide filter's plannable groups hold a quarter of a million candidates at 1M, but a
    table reads a class's first members (a knapsack takes a prefix) and looks a few up:
    listing every id as a string took a millisecond or more per table build, most of the
    time a new wallet spent building tables.
    """

    __slots__ = ("_ids", "_rows")

    FIRST_CHUNK = 16  # ids listed at once when iterated, doubling up to CHUNK
    CHUNK = 1024

    def __init__(self, ids: np.ndarray, rows: np.ndarray) -> None:
        self._ids = ids
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, at: Any) -> Any:
        if isinstance(at, slice):
            return self._ids[self._rows[at]].tolist()
        return self._ids[self._rows[at]]

    def __iter__(self) -> Iterator[str]:
        ids, rows = self._ids, self._rows
        start, size = 0, self.FIRST_CHUNK
        while start < len(rows):
            yield from ids[rows[start : start + size]].tolist()
            start += size
            size = min(2 * size, self.CHUNK)


class Ids:
    """A class's members in id order, kept as the sorted runs they came in.

    Credentials of different units or credits often play the same roles at the same cost;
    their groups are shared by every table over the same filter, so a class keeps those
    lists and merges them when read instead of holding a merged copy per table (hundreds
    of megabytes for the wide filters of a national catalogue).
    """

    __slots__ = ("_length", "runs")

    def __init__(self, runs: Sequence[Sequence[str]]) -> None:
        self.runs = tuple(runs)
        self._length = sum(len(run) for run in self.runs)

    def __iter__(self) -> Iterator[str]:
        if len(self.runs) == 1:
            return iter(self.runs[0])
        return heapq.merge(*self.runs)

    def __len__(self) -> int:
        return self._length

    def first(self) -> str:
        return min(run[0] for run in self.runs)

    def __contains__(self, ident: object) -> bool:
        for run in self.runs:
            at = bisect.bisect_left(run, ident)
            if at < len(run) and run[at] == ident:
                return True
        return False

    def after(self, ident: str, count: int) -> list[str]:
        """Up to `count` members after `ident`, in id order."""
        tails = []
        for run in self.runs:
            at = bisect.bisect_right(run, ident)
            tails.append(run[at : at + count])
        return list(itertools.islice(heapq.merge(*tails), count))


class Membership:
    """Which class of a table each candidate is in, without a row per candidate.

    A wide filter has tens of thousands of candidates in a handful of classes. A table built
    from a filter's candidate groups finds a credential's class from its own fields
    (`locate`: its group's key, the way the groups were made); otherwise a lookup searches
    each class's sorted members (at 1M, a table of 36 classes kept in hundreds of runs took
    0.2 ms a lookup that way).
    """

    __slots__ = ("_found", "_size", "classes", "locate")

    def __init__(
        self,
        classes: list[tuple[tuple[int, ...], int, Ids]],
        locate: Callable[[str], int | None] | None = None,
    ) -> None:
        self.classes = classes
        self.locate = locate
        self._found: dict[str, int | None] = {}
        self._size = -1

    def get(self, ident: str, default: int | None = None) -> int | None:
        found = self._found.get(ident, -1)
        if found == -1:
            found = None
            if self.locate is not None:
                found = self.locate(ident)
            else:
                for number, (_, _, members) in enumerate(self.classes):
                    if ident in members:
                        found = number
                        break
            if len(self._found) < MEMBERSHIP_MEMO:
                self._found[ident] = found
        return default if found is None else found

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, str) and self.get(ident) is not None

    def __getitem__(self, ident: str) -> int:
        found = self.get(ident)
        if found is None:
            raise KeyError(ident)
        return found

    def __len__(self) -> int:
        if self._size < 0:
            self._size = sum(len(members) for _, _, members in self.classes)
        return self._size

    def __iter__(self) -> Iterator[str]:
        for _, _, members in self.classes:
            yield from members


# Class lookups remembered per table (wallet entries and plan candidates asked about).
MEMBERSHIP_MEMO = 4096


def _part_key(node: Node) -> tuple:
    return tuple((part.kind, part.amount, filter_key(part.where)) for part in node.parts)


def leaf_table(solver: Solver, node: Node, cost: str) -> LeafTable:
    """The leaf's table, cached per catalogue (it does not depend on the wallet).

    Leaves with the same numbers and filters share one table; each node also remembers its
    own, so the lookups of one evaluation (hundreds per wallet) skip the canonical key.
    """
    if node.memo is None:
        node.memo = {}
    found = node.memo.get(("leaf-table", cost))
    if found is None:
        index = solver.index
        key = ("exact-leaf", node.kind, node.amount, node.unit, filter_key(node.where),
               _part_key(node), cost)  # fmt: skip
        found = index.cache.get(key)
        if found is None:
            try:
                found = _build_table(index, node, cost)
            except Unknown:
                found = Unknown()  # a fresh one: the caught one's traceback holds the tables
            index.cache[key] = found
        node.memo[("leaf-table", cost)] = found
    if isinstance(found, Unknown):
        raise Unknown
    return found


def assignment_cost(node: Node) -> str:
    """The cost whose table an assignment reads. It reads only the dimensions and the grid,
    and the tables of `credits` and `count` also share their classes' credits (both plan
    every published credential without requirements): the one a bound or plan already
    built, so an evaluation builds one table per leaf rather than two."""
    memo = node.memo or {}
    return "count" if ("leaf-table", "count") in memo else "credits"


def _candidate_groups(
    index: CatalogueIndex, where: dict, parts: Sequence[Part], pricing: bool
) -> list[tuple[tuple, Rows | None]]:
    """A filter's candidates grouped by the fields that roles and costs read
    (`CatalogueIndex.filter_group_rows`), with the sorted ids of each group that can be
    planned, as `Rows` (None for the others: only their credits matter, for the grid).

    Cached per catalogue by the filter and the parts' filters: leaves with other thresholds
    or costs over the same filter share one pass over its candidates.
    """
    key = ("exact-groups", filter_key(where), tuple(filter_key(p.where) for p in parts), pricing)
    found = index.cache.get(key)
    if found is None:
        ids = index.columns().ids
        found = [
            (group, Rows(ids, rows) if group[0][2] else None)
            for group, rows in index.filter_group_rows(where, [p.where for p in parts], pricing)
        ]
        index.cache[key] = found
    return found


def _build_table(index: CatalogueIndex, node: Node, cost: str) -> LeafTable:
    nums = numbers(index)
    parts = node.parts
    if sum(1 for part in parts if part.kind == "share") > 1:
        raise Unknown
    # Group by the fields roles and costs depend on first; decimals come per group.
    by_fields = _candidate_groups(index, node.where, parts, cost == "price")
    groups: dict[tuple, list[Rows]] = {}
    grouped: dict[tuple, tuple] = {}  # candidate group -> its key in `groups`
    # Every matching credential sets the grid, so held entries of it land on the grid too;
    # the groups (those that cannot be planned, above all) repeat a few credit values.
    amounts: set[tuple] = set()
    for (fields, flags), members in by_fields:
        credits, credit_unit, plannable, price_field = fields
        amounts.add((credits, credit_unit))
        if members is None:
            continue
        exact_price = nums.cost_of(credits, credit_unit, plannable, price_field, cost)
        if exact_price is None:
            continue
        # As a pair of whole numbers: hashing a Fraction costs microseconds.
        price = (exact_price.numerator, exact_price.denominator)
        group = groups.setdefault((credits, credit_unit, price, flags), [])
        group.append(members)
        grouped[(fields, flags)] = (credits, credit_unit, price, flags)
    # Distinct values as pairs of whole numbers (hashing a Fraction costs microseconds).
    values = {
        (value.numerator, value.denominator): value
        for value in (nums.value_of(credits, unit, node.unit) for credits, unit in amounts)
    }
    scale = lcm_of_denominators(values.values())
    thresholds: list[int] = []
    shares: list[int] = []
    rates: list[Fraction] = []
    weighed = node.kind == "credits"
    for position, amount in enumerate([node.amount] + [p.amount for p in parts]):
        exact = decimal(amount)
        kind = parts[position - 1].kind if position else node.kind
        if kind == "share":
            if not 0 < exact <= 1:
                raise Unknown
            grid = (scale if weighed else 1) * exact.denominator
            total = float(sum(values.values())) if values else 0.0
            if grid * max(1.0, total) >= QUANTA_LIMIT:
                raise Unknown
            shares.append(position)
            rates.append(exact)
            thresholds.append(0)
            continue
        grid = scale if kind == "credits" else 1
        if not _grid_safe(exact, grid, float(exact)):
            raise Unknown
        thresholds.append(max(0, math.ceil(exact * grid)))
    classes: list[tuple[tuple[int, ...], int, Ids]] = []
    table = LeafTable(tuple(thresholds), tuple(shares), tuple(rates), scale, classes,
                      Membership(classes))  # fmt: skip
    # Credentials of different units may still play the same roles at the same cost: one
    # class each, with their ids merged in order.
    merged: dict[tuple, tuple[int, list[Rows]]] = {}
    class_of: dict[tuple, tuple] = {}  # key in `groups` -> key in `merged`
    for group_key, runs in groups.items():
        credits, credit_unit, price, flags = group_key
        if nums.value_of(credits, credit_unit, node.unit) < 0:
            raise Unknown
        quanta = nums.quanta_of(credits, credit_unit, node.unit, scale)
        roles = entry_roles(table, node, quanta, flags)
        found = merged.setdefault((roles, price), (quanta, []))
        found[1].extend(runs)
        class_of[group_key] = (roles, price)
    numbered = {key: number for number, key in enumerate(merged)}
    for (roles, _), (quanta, runs) in merged.items():
        # Each run is sorted already (candidates come sorted) and shared: no copy.
        classes.append((roles, quanta, Ids(runs)))
    table.sources.update((key, numbered[class_of[into]]) for key, into in grouped.items())
    table.member_class.locate = partial(
        _locate, index, node.where, [part.where for part in parts], cost == "price", table.sources
    )
    return table


def _locate(
    index: CatalogueIndex,
    where: dict,
    parts: list[dict],
    pricing: bool,
    sources: dict[tuple, int],
    ident: str,
) -> int | None:
    """A credential's class in a table: the class of the candidate group it falls in (its
    credits, unit, whether it can be planned, its price, which parts' filters it passes,
    `Columns.group_rows`), None when it is not a candidate."""
    spec = index.credentials.get(ident)
    if spec is None or not spec_matches(spec, where or {}):
        return None
    columns = index.columns()
    row = columns.position(ident)
    if row is None:
        return None
    passes = tuple(spec_matches(spec, part or {}) for part in parts)
    return sources.get((columns.fields(row, pricing), passes))


def item_roles(
    nums: Numbers, table: LeafTable, node: Node, item: Item
) -> tuple[int, tuple[int, ...]]:
    """An entry's credits in whole quanta of a leaf's table and its roles there
    (`entry_roles`), remembered on the entry: a bound, the completion check and every branch
    of a plan's search place the same entries in the same leaves."""
    found = item.roles.get(id(node))
    if found is not None and found[0] is node and found[1] is table:
        return found[2], found[3]
    amount = nums.quanta(item.spec, node.unit, table.scale)
    flags = [item_matches(item, part.where) for part in node.parts]
    roles = entry_roles(table, node, amount, flags)
    item.roles[id(node)] = (node, table, amount, roles)
    return amount, roles


def entry_roles(
    table: LeafTable, node: Node, quanta: int, flags: Sequence[bool]
) -> tuple[int, ...]:
    """An entry's contribution to each dimension of a leaf, from its credits in whole
    quanta (`Numbers.quanta`)."""
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
        self._cost_scale = 1 if cost is None else self.nums.cost_scale(cost)
        self._leaf_memo: dict[tuple, Option | None] = {}
        self._prerequisite_memo: dict[tuple, Option | None] = {}
        self.nodes = 0
        self.checks = 0
        self.root: Option | None = None  # the relaxed optimum before any branching
        self.joints: dict[tuple, Any] = {}

    # -- costs --------------------------------------------------------------------------

    def plan_cost(self, ident: str) -> int:
        """The credential's cost in quanta (it must be plannable)."""
        found = self.cost_of(ident)
        assert found is not None
        return found

    def cost_of(self, ident: str) -> int | None:
        assert self.cost is not None
        spec = self.index.credentials.get(ident)
        return None if spec is None else self.nums.cost_units(spec, self.cost)

    def credential_servers(self, node: Node) -> set[str]:
        return self.index.servers(node.ident)

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
            table = leaf_table(self.solver, node, self.cost or assignment_cost(node))
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
            if c not in banned and c != exclude and self.cost_of(c) is not None
            and c not in branch.no_plan
        ]  # fmt: skip
        if not servers:
            return None
        best_id = min(servers, key=lambda c: (self.plan_cost(c), c))
        return Option(self.plan_cost(best_id), 1, (best_id,), ((leaf, best_id, None),))

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
            skip: tuple[int, ...] = ()
            if kind == "all" and self.cost is not None and not owner:
                pair = shared_pair(self, node)
                if pair is not None:
                    joint = self._relax_pair(node, pair, items, branch, exclude)
                    if joint is None:
                        return None
                    if joint is not NOT_HANDLED:
                        found.append(joint)
                        skip = pair[:2]
            for position, child in enumerate(node.children):
                if position in skip:
                    continue
                option = self.relax(owner, child, items, branch, exclude)
                if option is None:
                    if kind == "all":
                        return None
                    continue
                found.append(option)
            if kind == "all":
                return _merge(found)
            needed = 1 if kind == "any" else node.needed
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

    def _relax_pair(
        self,
        node: Node,
        pair: tuple[int, int, Node, Node],
        items: Sequence[Item],
        branch: _Branch,
        exclude: str | None,
    ) -> Any:
        """Two children of an `all` whose collection leaves share candidates, solved as one
        knapsack in which each credential serves at most one of them (an exact relaxation
        of the pair). NOT_HANDLED when the pair does not fit that shape here."""
        first, second, one, two = pair
        for position in (first, second):
            child = node.children[position]
            # A nested qualification held (or recognised) is served on its own.
            if child.kind == "credential" and (
                self.solve_leaf("", child, items, branch, exclude) is not None
            ):
                return NOT_HANDLED
        return _joint_knapsack(self, one, two, items, branch, exclude)

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
                    raise Unknown
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

    def assignment(self, qualification: str, serving: set[str] | None = None) -> list[dict] | None:
        solver = self.solver
        tree = solver.tree(qualification)
        items = solver.usable(qualification)
        if serving is not None:
            # The others serve no leaf: each leaf would test and drop them.
            items = [item for item in items if item.spec.id in serving]
        option = self._satisfy("", tree, items, ROOT)
        if option is None:
            return None
        return explain(tree, option)

    # -- plans --------------------------------------------------------------------------

    def plan(self, qualification: str) -> Plan | None:
        self.start(qualification)
        return self.finish()

    def start(self, qualification: str) -> int | None:
        """Set the search up and bound its root: the relaxed optimum's cost in quanta, a lower
        bound on every plan's (None: not even the relaxation has an answer). `finish` then
        searches from there; a caller may first rank the qualification by this bound."""
        assert self.cost is not None
        solver = self.solver
        tree = solver.tree(qualification)
        items = solver.usable(qualification)
        leaves = list(tree.leaves())
        self._leaf_order = {leaf.path: n for n, leaf in enumerate(leaves)}
        self._leaf_nodes = {leaf.path: leaf for leaf in leaves}
        self._collections = [leaf for leaf in leaves if leaf.kind in ("credits", "count")]
        self._named = set()
        for leaf in leaves:
            if leaf.kind == "credential":
                self._named.update(self.credential_servers(leaf))
        self._held = {item.spec.id for item in solver.wallet}
        self._items = items
        self._signatures: dict[str, Any] = {}
        self._entry_signatures: dict[str, tuple | None] = {}
        self._tree = tree
        self._heap: list[tuple[tuple, int, _Branch, Option]] = []
        self._counter = 0
        self._seen: set[_Branch] = set()
        self._push(ROOT)
        self.root = self._heap[0][3] if self._heap else None
        return None if self.root is None else self.root.cost

    def _push(self, branch: _Branch) -> None:
        if branch in self._seen:  # two orders of the same choices
            return
        self._seen.add(branch)
        option = self._bound(self._tree, self._items, branch)
        if option is not None:
            # Among equal bounds the newest branch first: depth first reaches a real plan
            # sooner, and any order among equal bounds is exact.
            self._counter -= 1
            heapq.heappush(self._heap, (option.key, self._counter, branch, option))

    def finish(self) -> Plan | None:
        """The least plan, searching from the root `start` bounded."""
        heap = self._heap
        while heap:
            self.nodes += 1
            if self.nodes > NODE_LIMIT:
                raise Unknown
            _, _, branch, option = heapq.heappop(heap)
            children = self._split(branch, option)
            if children is None:
                return self._answer(option)
            for child in children:
                self._push(child)
        return None

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
        paid = Option(sum(self.plan_cost(c) for c in forced), len(forced), tuple(forced), ())
        return _merge([main, paid])

    def _split(self, branch: _Branch, option: Option) -> list[_Branch] | None:
        """None when the branch's relaxed optimum is a real plan, else the branches to try."""
        clash = self.conflict(option)
        if clash is not None:
            return self._split_clash(branch, *clash)
        planned = frozenset(option.ids)
        if len(planned) != len(option.ids):
            raise Unknown  # a credential paid twice always shows as a clash first
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

    def _split_clash(
        self, branch: _Branch, credential: str, first: tuple, second: tuple
    ) -> list[_Branch]:
        """Two branches: the credential does not serve one leaf, or does not serve the other.

        When two collection leaves of the rule want the same credential c and c is one of a
        class of credentials interchangeable everywhere in the question (same cost, same
        roles in every leaf, no prerequisites, named nowhere, not held), swapping members of
        the class between the leaves changes nothing, and an optimal plan uses a class's
        smallest ids. So some optimal plan gives the earlier leaf only members below the
        later leaf's; the branch where c does not serve the earlier leaf may then also keep
        the earlier leaf off every member after c. Without this, the search would try every
        way to share the class between the leaves. Held entries that play the same roles
        everywhere are swapped alike (`_entry_signature`).
        """
        order = self._leaf_order
        if order.get(second[1], 0) < order.get(first[1], 0):
            first, second = second, first
        later = branch.but(bans=branch.bans | {(second, credential)})
        earlier_bans = {(first, credential)}
        for other in self._interchangeable(credential, first, second):
            earlier_bans.add((first, other))
        earlier = branch.but(bans=branch.bans | earlier_bans)
        return [later, earlier]

    def _interchangeable(self, credential: str, first: tuple, second: tuple) -> list[str]:
        """Members after `credential` of its class, when the class is interchangeable
        everywhere (see `_split_clash`); [] otherwise."""
        nodes = self._leaf_nodes
        if first[0] or second[0] or first[1] not in nodes or second[1] not in nodes:
            return []
        one, two = nodes[first[1]], nodes[second[1]]
        if one.kind not in ("credits", "count") or two.kind not in ("credits", "count"):
            return []
        if credential in self._held:
            held = self._entry_signature(credential)
            if held is None:
                return []
            return [c for c in sorted(self._held) if c > credential
                    and self._entry_signature(c) == held]  # fmt: skip
        signature = self._signature(credential)
        if signature is None:
            return []
        table = leaf_table(self.solver, one, self.cost or "count")
        number = table.member_class.get(credential)
        if number is None:
            return []
        found = []
        for other in table.classes[number][2].after(credential, SYMMETRY_HORIZON):
            if self._signature(other) == signature:
                found.append(other)
        return found

    def _signature(self, ident: str) -> tuple | None:
        """What a credential does in this question: its cost and its class in every
        collection leaf; None when it is not freely interchangeable."""
        found = self._signatures.get(ident, self)
        if found is not self:
            return found  # type: ignore[return-value]
        spec = self.index.credentials[ident]
        found = None
        if (
            spec.prerequisites is None
            and ident not in self._named
            and ident not in self._held
            and not self._in_prerequisites(ident)
        ):
            cost = self.cost_of(ident)
            if cost is not None:
                classes = []
                for node in self._collections:
                    table = leaf_table(self.solver, node, self.cost or "count")
                    classes.append(table.member_class.get(ident))
                found = (cost, tuple(classes))
        self._signatures[ident] = found
        return found

    def _entry_signature(self, ident: str) -> tuple | None:
        """What a held credential's entry does in this question: whether it may serve each
        collection leaf and its roles there; None when it is not freely interchangeable.

        Entries free alike are swapped between two leaves without changing a plan (its
        credentials and cost), so the argument of `_split_clash` holds for them too: some
        optimal plan gives the earlier leaf only the smaller ids of such entries. An entry
        named by a credential leaf, serving prerequisites, one of two entries of a
        credential, or of a credential some leaf could plan (again) is not swapped: its id
        may enter the plan.
        """
        if ident in self._entry_signatures:
            return self._entry_signatures[ident]
        found = None
        entries = [item for item in self._items if item.spec.id == ident]
        if (
            len(entries) == 1
            and not entries[0].planned
            and ident not in self._named
            and not self._in_prerequisites(ident)
        ):
            item = entries[0]
            roles: list[tuple | None] = []
            for node in self._collections:
                table = leaf_table(self.solver, node, self.cost or "count")
                number = table.member_class.get(ident)
                if not eligible(self.index, node, item):
                    if number is not None:
                        break  # planned again, it may serve here: its id may enter the plan
                    roles.append(None)
                    continue
                amount = self.nums.quanta(item.spec, node.unit, table.scale)
                flags = [item_matches(item, part.where) for part in node.parts]
                served = entry_roles(table, node, amount, flags)
                if number is not None and not _dominates(served, table.classes[number][0]):
                    break  # a retake could pay for it here: its id may enter the plan
                roles.append(served)
            else:
                found = tuple(roles)
        self._entry_signatures[ident] = found
        return found

    def _in_prerequisites(self, ident: str) -> bool:
        """Whether the credential could serve anyone's prerequisites."""
        from registry.stacking.engine import PREREQUISITE, reach

        owners = reach(self.solver.index.catalogue).owners(ident, as_held=True)
        return any(kind == PREREQUISITE for kind, _ in owners)

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
            raise Unknown  # the relaxation met them while the exact check did not
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
            raise Unknown
        leaning = sorted(
            c for _, c, item in option.uses if item is not None and item.planned and c in remaining
        )
        if not leaning:
            raise Unknown
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
            raise Unknown
        total = float(Fraction(option.cost, self._cost_scale))  # the exact decimal sum
        return Plan(tuple(self.solver.learner_order(chosen)), total)


NOT_HANDLED: Any = object()


def _collection_of(child: Node) -> Node | None:
    """The collection leaf a child of an `all` stands for: itself, or a nested
    qualification whose whole rule is one collection leaf."""
    if child.kind in ("credits", "count"):
        return child
    if child.kind == "credential" and child.expansion is not None:
        inner = child.expansion
        if inner.kind in ("credits", "count"):
            return inner
    return None


def shared_pair(search: Search, node: Node) -> tuple[int, int, Node, Node] | None:
    """The first two children of an `all` whose collection leaves share a candidate and
    carry no share part (cached on the node per cost)."""
    assert search.cost is not None
    key = ("shared-pair", search.cost)
    if node.memo is None:
        node.memo = {}
    if key in node.memo:
        return node.memo[key]
    found = None
    leaves = [(n, _collection_of(child)) for n, child in enumerate(node.children)]
    leaves = [(n, leaf) for n, leaf in leaves if leaf is not None]
    try:
        tables = {n: leaf_table(search.solver, leaf, search.cost) for n, leaf in leaves}
    except Unknown:
        tables = {}
    for (n, one), (m, two) in itertools.combinations(leaves, 2):
        if n not in tables or m not in tables:
            continue
        if tables[n].shares or tables[m].shares:
            continue
        small, large = sorted((tables[n].member_class, tables[m].member_class), key=len)
        if not set(small).isdisjoint(large):
            found = (n, m, one, two)
            break
    node.memo[key] = found
    return found


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
        amount, roles = item_roles(nums, table, node, item)
        quanta[item.spec.id] = amount
        groups.setdefault(item.spec.id, []).append((roles, 0, 0, item))
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
            best = _best_choice(choices)
            if best is not None:
                mandatory.append((best[0], ident, best[3]))
                for d in range(dims):
                    start[d] += best[0][d]
                continue
        optional.append((ident, choices))
    if not planning:
        # An assignment asks only for some entries meeting the leaf, and every answer costs
        # nothing: where all the entries together (each credential's best) meet it, they are
        # an answer, trimmed to what the leaf needs. Without a share more never hurts, so
        # when they do not, nothing does (most completion checks end here). With one, more
        # may hurt, and the program below looks for a subset (a 1M wallet's share sums took
        # 240-290 us a check that way, when all the entries together met most of them).
        every = list(mandatory)
        for ident, choices in optional:
            best = _best_choice(choices)
            if best is None:
                break
            every.append((best[0], ident, best[3]))
        else:
            totals = tuple(sum(entry[0][d] for entry in every) for d in range(dims))
            if _meets(totals, thresholds, shares):
                used = _trim_free(every, [0] * dims, thresholds, shares)
                uses = tuple((leaf, ident, item) for _, ident, item in used)
                return Option(0, 0, (), uses or ((leaf, "", None),))
            if not shares:
                return None

    # Paid classes, each cut to what an inclusion-minimal answer could use.
    ranked: list[tuple[tuple[int, ...], int, list[str]]] = []
    skipped: list[str] = []  # excluded members passed over while choosing
    if planning:
        for roles, price, limit, head, members in _paid_classes(search, table, bound):
            if excluded.isdisjoint(head):
                ranked.append((roles, price, head))
                continue
            chosen: list[str] = []
            for ident in members:
                if ident in excluded:
                    skipped.append(ident)
                    continue
                chosen.append(ident)
                if len(chosen) >= limit:
                    break
            if chosen:
                ranked.append((roles, price, chosen))

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

    # Keys are single integers (`KeyBits`): cost, count, then the chosen ids.
    bits = KeyBits(sorted({i for _, _, chosen in ranked for i in chosen} | paid_groups))
    choice_lists = dict(optional)

    def unpack(found: tuple[int, tuple], bits: KeyBits = bits) -> tuple[list[str], list]:
        planned = bits.chosen(found[0])
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

    # Dimensions another one already implies are dropped from the program (a part whose
    # filter every candidate passes, say); a share's balance is always kept.
    keep = _needed_dimensions(
        [*(roles for roles, _, _ in ranked), *(c[0] for _, cs in optional for c in cs),
         *(roles for roles, _, _ in mandatory)],
        thresholds,
        shares,
    )  # fmt: skip
    if len(keep) < dims:
        begin = tuple(begin[d] for d in keep)
        limits = [limits[d] for d in keep]
        goals = [goals[d] for d in keep]

    def encode(bits: KeyBits, classes: list[tuple[tuple[int, ...], int, list[str]]]) -> tuple:
        """The entries' choices and the classes in the program's steps and dimensions, keyed
        with these bits. A class's keys are made only if a dynamic program reads them."""

        def kept(roles: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(roles[d] // steps[d] for d in keep)

        top, base = bits.top, bits.base
        moves: Moves = [
            (
                ident,
                [
                    (
                        kept(roles),
                        ((price * base + count) << top) - (bits.bit(ident) if count else 0),
                    )
                    for roles, price, count, _ in choices
                ],
            )
            for ident, choices in optional
        ]
        runs: Runs = [
            (kept(roles), Deltas(bits, price, chosen)) for roles, price, chosen in classes
        ]
        return moves, runs

    def kept_lines(bits: KeyBits, classes: list, tag: Any) -> RunLines | None:
        if sum(len(chosen) for _, _, chosen in classes) < RUN_LINE_MEMBERS:
            return None
        # A class is one (roles, price); its chosen members are its first ones but those
        # skipped, as many as chosen.
        signature = (
            tuple((roles, price, len(chosen)) for roles, price, chosen in classes),
            tuple(sorted(skipped)),
            tag,
        )
        key = (search.cost, tuple(steps), tuple(keep), signature)
        return RunLines(search.index.cache, table, key, tuple(bits.ids))

    moves, runs = encode(bits, ranked)
    lines = kept_lines(bits, ranked, None)
    result: tuple[list[str], list] | None = None
    if shares:
        # Without the share the leaf is a relaxation of itself: when its optimum happens to
        # meet the share (as it mostly does), it is the optimum.
        share = keep.index(shares[0])
        rest = [d for d in range(len(keep)) if d != share]

        def without(
            positive_only: bool, moves: Moves, runs: Runs, lines: RunLines | None
        ) -> tuple[int, tuple] | None:
            return _solve_sums(
                tuple(begin[d] for d in rest),
                [
                    (
                        i,
                        [
                            (tuple(r[d] for d in rest), k)
                            for r, k in m
                            if not positive_only or r[share] >= 0
                        ],
                    )
                    for i, m in moves
                ],
                [
                    (tuple(g[d] for d in rest), deltas)
                    for g, deltas in runs
                    if not positive_only or g[share] >= 0
                ],
                [limits[d] for d in rest],
                [goals[d] for d in rest],
                None if lines is None else lines.tagged(("without share", positive_only)),
            )

        # Without the share an optimal answer holds no more of a class than its other
        # dimensions need (one fewer would still meet them): the classes cut to that, keyed
        # apart, have lines that do not follow the wallet's value bound.
        # (A share's threshold is 0: without `shares`, `_class_limit` reads the others alone.)
        loose_classes = []
        for roles, price, chosen in ranked:
            most = _class_limit(roles, thresholds, (), 0)
            if most > 0:
                loose_classes.append((roles, price, chosen[:most]))
        loose_bits = KeyBits(sorted({i for _, _, c in loose_classes for i in c} | paid_groups))
        loose = without(
            False,
            *encode(loose_bits, loose_classes),
            kept_lines(loose_bits, loose_classes, "without share"),
        )
        if loose is None:
            return None
        planned, used = unpack(loose, loose_bits)
        totals = totals_of(planned, used)
        if _meets(tuple(totals), thresholds, shares):
            result = planned, used
        else:
            trimmed = [u for u in used if u[0][shares[0]] >= 0]
            if _meets(tuple(totals_of(planned, trimmed)), thresholds, shares):
                result = planned, trimmed
        if result is None:
            found = _solve_share_apart(begin, moves, runs, limits, goals, share, lines)
            if found is NOT_HANDLED:
                # Entries inside the share's filter alone keep the balance at or above 0:
                # their best answer, if any, is a real answer and caps every key worth keeping.
                inside = without(True, moves, runs, lines)
                ceiling = None if inside is None else inside[0]
                prices = (
                    [[price for _, price, _, _ in choices] for _, choices in optional],
                    [price for _, price, _ in ranked],
                    bits.base << bits.top,
                )
                found = _solve_share(begin, moves, runs, limits, goals, share, ceiling, prices)
            if found is None:
                return None
            result = unpack(found)
    else:
        found = _solve_sums(begin, moves, runs, limits, goals, lines)
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
# A class's gains and the running keys of its first 1, 2, ... members (made on demand).
Runs = list[tuple[tuple[int, ...], "list[int] | Deltas"]]
PaidClass = tuple[tuple[int, ...], int, int, list[str], "Ids"]


def _paid_classes(search: Search, table: LeafTable, bound: int) -> list[PaidClass]:
    """The classes a plan may take from: (roles, price, limit, first `limit` members, all
    members), for classes that add to some dimension and that an inclusion-minimal answer
    can use at all (`_class_limit`). Kept on the table per value bound, so a knapsack only
    walks a class whose first members a branch or the wallet excluded."""
    found = table.paid.get(bound)
    if found is None:
        found = []
        for roles, _, members in table.classes:
            if not any(r > 0 for r in roles):
                continue
            limit = _class_limit(roles, table.thresholds, table.shares, bound)
            if limit <= 0:
                continue
            head = list(itertools.islice(members, limit))
            found.append((roles, search.plan_cost(head[0]), limit, head, members))
        if len(table.paid) >= PAID_BOUNDS_KEPT:
            table.paid.clear()
        table.paid[bound] = found
    return found


class KeyBits:
    """The id part of a knapsack's keys.

    A key is ((cost * base + count) << top) - (the bits of the chosen ids), with one bit per id
    in play and the smallest id owning the highest bit: for equal cost and count the sorted
    list of ids that comes first has the larger mask and the smaller key. The bits of a wide
    table's thousand ids are made only when a class's keys are.
    """

    __slots__ = ("_bit", "base", "ids", "top")

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.top = len(ids)
        self.base = self.top + 1
        self._bit: dict[str, int] | None = None

    def bit(self, ident: str) -> int:
        if self._bit is not None:
            return self._bit[ident]
        return 1 << (self.top - 1 - bisect.bisect_left(self.ids, ident))

    def bits(self) -> dict[str, int]:
        if self._bit is None:
            top = self.top
            self._bit = {ident: 1 << (top - 1 - n) for n, ident in enumerate(self.ids)}
        return self._bit

    def chosen(self, key: int) -> list[str]:
        """The ids whose bits a key holds, sorted."""
        full = (1 << self.top) - 1
        mask = full - ((key + full) & full)
        found = []
        while mask:
            high = mask.bit_length() - 1
            found.append(self.ids[self.top - 1 - high])
            mask ^= 1 << high
        return found


class Deltas:
    """A class's running keys: taking its first k members adds the k-th (made when read)."""

    __slots__ = ("_bits", "_members", "_price", "_values")

    def __init__(self, bits: KeyBits, price: int, members: list[str]) -> None:
        self._bits, self._price, self._members = bits, price, members
        self._values: list[int] | None = None

    def values(self) -> list[int]:
        if self._values is None:
            bit = self._bits.bits()
            step = (self._price * self._bits.base + 1) << self._bits.top
            values = []
            delta = 0
            for ident in self._members:
                delta += step - bit[ident]
                values.append(delta)
            self._values = values
        return self._values


def _concrete(runs: Runs) -> list[tuple[tuple[int, ...], list[int]]]:
    """Runs with their keys made."""
    return [(gains, _keys(deltas)) for gains, deltas in runs]


def _keys(deltas: list[int] | Deltas) -> list[int]:
    """A class's running keys, made if they were not."""
    return deltas.values() if isinstance(deltas, Deltas) else deltas


def _solve_sums(
    begin: tuple[int, ...],
    moves: Moves,
    runs: Runs,
    limits: list[int],
    goals: list[int],
    lines: RunLines | None = None,
) -> tuple[int, tuple] | None:
    """The least key whose capped sums reach every goal, with the optional picks behind it.

    `moves` are optional groups (take at most one choice of each), `runs` are classes (take a
    prefix). States are sums capped at the limits; each keeps its least key.
    """
    dims = len(limits)
    span = range(dims)
    if dims == 1:
        return _solve_line(begin[0], moves, runs, limits[0], lines)
    # Two dimensions that only add: the classes' plane apart from the entries, kept in `lines`.
    plane = (
        dims == 2
        and (limits[0] + 1) * (limits[1] + 1) <= PLANE_CELLS
        and all(gain >= 0 for gains, _ in runs for gain in gains)
    )
    if dims == 2 and not moves and not (plane and lines is not None):
        return _solve_plane(begin, runs, limits, goals)
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
            raise Unknown
    if plane:
        # The classes apart, as in `_solve_line`: their plane does not depend on the wallet.
        width = limits[1] + 1
        if lines is None:
            reaching = _runs_plane(runs, limits)
        else:
            reaching = lines.get(("plane", *limits), lambda: _runs_plane(runs, limits))
        found: tuple[int, tuple] | None = None
        for (a, b), key in states.items():
            rest = reaching[max(0, goals[0] - a) * width + max(0, goals[1] - b)]
            if rest is not None and (found is None or key + rest < found[0]):
                found = (key + rest, picks[(a, b)])
        return found
    runs = _concrete(runs)
    # The largest classes first: their sums reach the caps sooner, so fewer distinct partial
    # sums carry through the rest (the least key does not depend on the order; at 10k one
    # wallet's plans took 239 ms in the leaf's class order and 78 ms in this one).
    runs = sorted(runs, key=lambda run: -sum(run[0]))
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
            raise Unknown
    best: int | None = None
    best_state = None
    for state, key in states.items():
        if (best is None or key < best) and all(state[d] >= goals[d] for d in span):
            best, best_state = key, state
    if best is None or best_state is None:
        return None
    return best, picks[best_state]


def _solve_line(
    begin: int, moves: Moves, runs: Runs, limit: int, lines: RunLines | None = None
) -> tuple[int, tuple] | None:
    """`_solve_sums` in one dimension, with plain ints for states (a wide credit sum's line
    has hundreds of them).

    The optional groups (a wallet's entries) and the classes are solved apart and then
    joined: the classes' line does not depend on the wallet, so `lines` may keep it. The
    entries reach a few sums of that line, so theirs are kept by sum ({sum: (key, picks)})
    rather than in a line of their own, and read in increasing sums as a line would be, so
    that ties fall the same way.
    """
    reached: dict[int, tuple[int, tuple]] = {begin: (0, ())}
    for ident, choices in moves:
        new = dict(reached)
        for value in sorted(reached):
            key, picked = reached[value]
            for number, ((gain,), delta) in enumerate(choices):
                target = min(limit, value + gain)
                candidate = key + delta
                old = new.get(target)
                if old is None or candidate < old[0]:
                    new[target] = (candidate, (*picked, (ident, number)))
        reached = new
    if lines is None:
        reaching = _runs_reaching(runs, limit)
    else:
        reaching = lines.get(("line", limit), lambda: _runs_reaching(runs, limit))
    best: tuple[int, tuple] | None = None
    for value in sorted(reached):
        key, picked = reached[value]
        rest = reaching[limit - value]
        if rest is not None and (best is None or key + rest < best[0]):
            best = (key + rest, picked)
    return best


def _runs_reaching(runs: Runs, limit: int) -> list[int | None]:
    """For each amount 0..limit, the least key of class prefixes adding at least that much
    (in one dimension), None where the classes cannot."""
    positive = [(gain, deltas) for (gain,), deltas in runs if gain > 0]  # others add nothing
    # The classes' sums are multiples of their gains' gcd, often coarser than the grid the
    # wallet's entries set (5 quanta where an entry has 7): reaching at least v is reaching
    # at least v rounded up to that step, so the line is built in steps and read back.
    step = math.gcd(*(gain for gain, _ in positive)) or 1
    short_limit = -(-limit // step)
    classes = []
    for gain, deltas in positive:
        # Members past the limit's worth add cost and nothing the line can hold.
        classes.append((gain // step, _keys(deltas)[: -(-limit // gain)]))
    short = _reaching_line(_outclassed(_pooled(classes), short_limit, False), short_limit)
    if step == 1:
        return short
    return [short[-(-value // step)] for value in range(limit + 1)]


def _pooled(runs: list[tuple[Any, list[int]]]) -> list[tuple[Any, list[int]]]:
    """Classes with the same gains pooled into one, where each one's keys rise by at least
    as much with every member (a class's members cost the same and its ids come in order,
    each taking a lower id bit, so they do): the least key of k members from such classes
    takes the k smallest steps of all of them, which keep each class's order. Wide sums at
    1M hold pairs of classes apart only in a dimension the program dropped; pooled, the
    lines 120 wallets built at 1M took 10-15% less time, and planes a third of theirs."""
    by_gains: dict[Any, list[list[int]]] = {}
    for gains, deltas in runs:
        by_gains.setdefault(gains, []).append(deltas)
    pooled: list[tuple[Any, list[int]]] = []
    for gains, lists in by_gains.items():
        steps = [_steps(deltas) for deltas in lists] if len(lists) > 1 else None
        if steps is None or any(rise is None for rise in steps):
            pooled.extend((gains, deltas) for deltas in lists)
            continue
        keys = list(itertools.accumulate(heapq.merge(*steps)))  # type: ignore[arg-type]
        pooled.append((gains, keys))
    return pooled


def _outclassed(
    runs: list[tuple[int, list[int]]], limit: int, exact: bool
) -> list[tuple[int, list[int]]]:
    """Classes of one dimension cut to the members a least key can use, for every total up
    to `limit` ("at least" each total, or `exact`ly each).

    Say k members of class c add no more than one member of another class d (exactly as
    much, for exact totals), and every rise of d's keys is below c's first k together
    (its keys rise by more with each member, so any k of its members in a row cost at least
    that). Then an answer with k or more of c is never least: giving up its last k members
    of c for d's next one keeps the total (at least as large, or the same) at a smaller
    key. Unless d has no next member: all of d's members, which reach the limit (or would
    pass it with k more of c), in which case c adds nothing needed at all. So c keeps k - 1
    members. Where every class costs the same per credit (cost `credits`), a class with one
    twice its size keeps a single member: the wide sums of a 1M catalogue (18 classes of 1 to
    40 credits) have a sixth of the steps to walk.
    """
    if sum(len(keys) for _, keys in runs) < OUTCLASSED_MEMBERS:
        return runs  # a short walk anyway
    rises = [_steps(keys) for _, keys in runs]
    # The classes that may stand in for others: those whose members reach the limit (or
    # would pass it with one more), by gain, with the largest rise of their keys.
    standing = sorted(
        (other, max(rise), d)
        for d, ((other, others), rise) in enumerate(zip(runs, rises, strict=True))
        if rise and len(others) >= (limit // other if exact else -(-limit // other))
    )
    cut = []
    for c, (gain, keys) in enumerate(runs):
        keep = len(keys)
        rise = rises[c]
        if rise and rise[0] > 0:  # c's keys rise, and by more with each member
            # Only a class at least as large adds as much as some members of c.
            for other, most, d in standing[bisect.bisect_left(standing, (gain,)) :]:
                if d == c:
                    continue
                if exact:
                    k = other // gain
                    if other % gain == 0 and k <= len(keys) and keys[k - 1] > most:
                        keep = min(keep, k - 1)
                else:
                    k = bisect.bisect_right(keys, most) + 1  # the fewest of c dearer than d
                    if k <= min(len(keys), other // gain):
                        keep = min(keep, k - 1)
        if keep:
            cut.append((gain, keys[:keep]))
    return cut


def _steps(deltas: list[int]) -> list[int] | None:
    """The rises of a class's running keys, None unless they never fall."""
    rises = [deltas[0]] if deltas else []
    for before, after in itertools.pairwise(deltas):
        rise = after - before
        if rise < rises[-1]:
            return None
        rises.append(rise)
    return rises


def _reaching_line(runs: list[tuple[int, list[int]]], limit: int) -> list[int | None]:
    """`_runs_reaching` for positive gains in the line's own steps."""
    line: list[int | None] = [None] * (limit + 1)
    line[0] = 0
    for gain, deltas in runs:
        new = list(line)
        for value, key in enumerate(line):
            if key is None or value == limit:
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
    # Sums past the limit were kept at the limit; adding "at least" makes a suffix minimum.
    for value in range(limit - 1, -1, -1):
        above, here = line[value + 1], line[value]
        if above is not None and (here is None or above < here):
            line[value] = above
    return line


def _runs_exact(runs: Runs, top: int, measure: int) -> list[int | None]:
    """For each exact total 0..top of the `measure` dimension, the least key of class
    prefixes adding exactly that, None where none does (gains there are positive)."""
    step = math.gcd(*(gains[measure] for gains, _ in runs)) or 1
    # Totals off the classes' common step cannot be made: build the line in steps.
    short_top = top // step
    line: list[int | None] = [None] * (short_top + 1)
    line[0] = 0
    classes = []
    for gains, deltas in runs:
        classes.append((gains[measure] // step, _keys(deltas)[: top // gains[measure]]))
    for gain, deltas in _outclassed(_pooled(classes), short_top, True):
        new = list(line)
        for total, key in enumerate(line):
            if key is None:
                continue
            reach = total
            for delta in deltas:
                reach += gain
                if reach > short_top:
                    break
                candidate = key + delta
                old = new[reach]
                if old is None or candidate < old:
                    new[reach] = candidate
        line = new
    if step == 1:
        return line
    spread: list[int | None] = [None] * (top + 1)
    spread[::step] = line
    return spread


class RunLines:
    """A leaf's class lines kept per catalogue, for the next wallet with the same classes.

    The dynamic programs add a wallet's entries (optional groups) and the leaf's paid classes
    (runs: take a prefix). Without the entries, the classes' line depends only on the table,
    the cost, the grid and which members each class offers: its first ones, as many as an
    answer could use, but those excluded (held, banned by a branch, left out of the plan).
    Those are the same for most wallets (the exclusions a search branches on are the same
    catalogue credentials for every wallet), so the line is kept under that signature. The
    keys' id bits follow the ids in play, which are compared too. A wide credit sum ("30
    credits in management") has thousands of class members and is touched by most wallets:
    its lines are built once instead of several times per request.
    """

    __slots__ = ("_ids", "_key", "_store", "_table")

    def __init__(self, cache: dict, table: LeafTable, key: tuple, ids: tuple[str, ...]) -> None:
        store = cache.get("exact-run-lines")
        if store is None:
            store = cache["exact-run-lines"] = OrderedDict()
        self._store: OrderedDict = store
        self._table = table
        self._key = (id(table), *key)
        self._ids = ids

    def tagged(self, tag: Any) -> RunLines:
        """The same classes seen another way (a dimension dropped, a side kept)."""
        found = RunLines.__new__(RunLines)
        found._store, found._table, found._ids = self._store, self._table, self._ids
        found._key = (*self._key, tag)
        return found

    def get(self, what: tuple, build: Any) -> list[int | None]:
        key = (*self._key, *what)
        found = self._store.get(key)
        if found is not None and found[0] is self._table and found[1] == self._ids:
            self._store.move_to_end(key)
            return found[2]
        line = build()
        self._store[key] = (self._table, self._ids, line)
        if len(self._store) > RUN_LINES_KEPT:
            self._store.popitem(last=False)
        return line


def _solve_plane(
    begin: tuple[int, ...], runs: Runs, limits: list[int], goals: list[int]
) -> tuple[int, tuple] | None:
    """`_solve_sums` in two dimensions without optional groups, on a flat list."""
    first, second = limits
    width = second + 1
    plane = _plane_sums(begin[0] * width + begin[1], runs, first, second)
    best: int | None = None
    for a in range(goals[0], first + 1):
        for b in range(goals[1], second + 1):
            key = plane[a * width + b]
            if key is not None and (best is None or key < best):
                best = key
    return None if best is None else (best, ())


def _runs_plane(runs: Runs, limits: list[int]) -> list[int | None]:
    """For each pair of amounts (a, b) up to the limits (flat, row a), the least key of class
    prefixes adding at least a and at least b, None where the classes cannot."""
    # As in `_runs_reaching`: each axis in its classes' common step, read back rounded up.
    steps = [math.gcd(*(gains[axis] for gains, _ in runs)) or 1 for axis in (0, 1)]
    if steps != [1, 1]:
        short_first, short_second = (
            -(-limit // step) for limit, step in zip(limits, steps, strict=True)
        )
        short = _runs_plane(
            [((a // steps[0], b // steps[1]), deltas) for (a, b), deltas in runs],
            [short_first, short_second],
        )
        rows = [-(-a // steps[0]) * (short_second + 1) for a in range(limits[0] + 1)]
        columns = [-(-b // steps[1]) for b in range(limits[1] + 1)]
        return [short[row + column] for row in rows for column in columns]
    first, second = limits
    width = second + 1
    plane = _plane_sums(0, _pooled(_concrete(runs)), first, second)
    # Sums past a limit were kept at it; "at least" makes a suffix minimum along each axis.
    for a in range(first, -1, -1):
        row = a * width
        for b in range(second, -1, -1):
            here = plane[row + b]
            if b < second:
                right = plane[row + b + 1]
                if right is not None and (here is None or right < here):
                    here = right
            if a < first:
                below = plane[row + width + b]
                if below is not None and (here is None or below < here):
                    here = below
            plane[row + b] = here
    return plane


def _plane_sums(start: int, runs: Runs, first: int, second: int) -> list[int | None]:
    """From one cell (flat, row a), the least key of class prefixes reaching each pair of
    sums capped at (first, second), None where none does."""
    width = second + 1
    plane: list[int | None] = [None] * ((first + 1) * width)
    plane[start] = 0
    for (gain, other), deltas in _concrete(runs):
        new = list(plane)
        for at, key in enumerate(plane):
            if key is None:
                continue
            a, b = divmod(at, width)
            for delta in deltas:
                a2 = a + gain
                if a2 > first:
                    a2 = first
                b2 = b + other
                if b2 > second:
                    b2 = second
                if a2 == a and b2 == b:
                    break
                a, b = a2, b2
                target = a * width + b
                candidate = key + delta
                old = new[target]
                if old is None or candidate < old:
                    new[target] = candidate
        plane = new
    return plane


def _solve_share_apart(
    begin: tuple[int, ...],
    moves: Moves,
    runs: Runs,
    limits: list[int],
    goals: list[int],
    share: int,
    lines: RunLines | None = None,
) -> Any:
    """A leaf with one threshold and one share, its two kinds of entries solved apart.

    Every entry inside the share's filter adds c_in times what it adds to the threshold to
    the balance, every one outside it c_out times (c_in > 0 > c_out), so an answer is a set
    inside with total a and one outside with total b, a + b reaching the threshold and
    c_in * a + c_out * b >= 0. The two sets share no credential, so the key of the answer is
    the sum of theirs: the least key for each exact total outside, for each total of at
    least so much inside (more inside never hurts), then the best allowed pair. Totals stay
    below threshold + the largest entry: in an inclusion-minimal answer (`_value_bound` with
    no parts) one more entry than needed would be removable.
    NOT_HANDLED when the leaf has other dimensions or a group could fall on either side.
    """
    if len(limits) != 2 or begin != (0, 0):
        return NOT_HANDLED
    measure = 1 - share
    goal = goals[measure]
    sides: dict[bool, tuple[Moves, Runs]] = {True: ([], []), False: ([], [])}
    ratio: dict[bool, Fraction] = {}

    def side_of(roles: tuple[int, ...]) -> bool | None:
        amount, balance = roles[measure], roles[share]
        if amount <= 0 or balance == 0:
            return None
        inside = balance > 0
        found = ratio.setdefault(inside, Fraction(balance, amount))
        return inside if found == Fraction(balance, amount) else None

    for ident, choices in moves:
        if all(not any(roles) and delta >= 0 for roles, delta in choices):
            continue  # an entry worth nothing here (a badge without credits) never helps
        kinds = {side_of(roles) for roles, _ in choices}
        if len(kinds) != 1 or None in kinds:
            return NOT_HANDLED
        sides[kinds.pop()][0].append((ident, choices))  # type: ignore[index]
    for gains, deltas in runs:
        kind = side_of(gains)
        if kind is None:
            return NOT_HANDLED
        sides[kind][1].append((gains, deltas))
    largest = max(
        [g[measure] for g, _ in runs] + [r[measure] for _, cs in moves for r, _ in cs] + [0]
    )
    top = goal + largest

    def entry_totals(inside: bool) -> dict[int, tuple[int, tuple]]:
        """The entries' least key for each exact total, {total: (key, picks)}: a few
        entries make a few totals of hundreds, read in increasing totals as a line would be
        (ties fall the same way)."""
        moved: dict[int, tuple[int, tuple]] = {0: (0, ())}
        for ident, choices in sides[inside][0]:
            new = dict(moved)
            for total in sorted(moved):
                key, picked = moved[total]
                for number, (roles, delta) in enumerate(choices):
                    reach = total + roles[measure]
                    if reach > top:
                        continue
                    candidate = key + delta
                    old = new.get(reach)
                    if old is None or candidate < old[0]:
                        new[reach] = (candidate, (*picked, (ident, number)))
            moved = new
        return moved

    def class_totals(inside: bool, at_least: bool) -> list[int | None]:
        side_runs = sides[inside][1]

        def build() -> list[int | None]:
            line = _runs_exact(side_runs, top, measure)
            if at_least:
                for total in range(top - 1, -1, -1):
                    above, here = line[total + 1], line[total]
                    if above is not None and (here is None or above < here):
                        line[total] = above
            return line

        return (
            build()
            if lines is None
            else lines.get(("apart", inside, measure, top, at_least), build)
        )

    def exact_totals() -> list[tuple[int, tuple] | None]:
        """Outside the share: the least key for each exact total (more is not always better:
        it adds to the threshold and takes from the balance)."""
        moved, classes = entry_totals(False), class_totals(False, False)
        made = [(more, extra) for more, extra in enumerate(classes) if extra is not None]
        line: list[tuple[int, tuple] | None] = [None] * (top + 1)
        for total in sorted(moved):
            key, picked = moved[total]
            for more, extra in made:
                if more > top - total:
                    break
                candidate = key + extra
                old = line[total + more]
                if old is None or candidate < old[0]:
                    line[total + more] = (candidate, picked)
        return line

    def least_totals() -> list[tuple[int, tuple] | None]:
        """Inside the share: the least key for a total of at least each amount. More inside
        only helps both the threshold and the balance, so an entry total with a key no less
        than a larger total's never matters (the held entries, free, leave a few)."""
        moved, classes = entry_totals(True), class_totals(True, True)
        stair: list[tuple[int, int, tuple]] = []
        for total in sorted(moved, reverse=True):
            found = moved[total]
            if not stair or found[0] < stair[-1][1]:
                stair.append((total, *found))
        line: list[tuple[int, tuple] | None] = [None] * (top + 1)
        for total, key, picked in stair:
            for amount in range(top + 1):
                extra = classes[amount - total] if amount > total else 0
                if extra is None:
                    break  # "at least" lines are None from their first None on
                candidate = key + extra
                old = line[amount]
                if old is None or candidate < old[0]:
                    line[amount] = (candidate, picked)
        return line

    inside, outside = least_totals(), exact_totals()
    lift = ratio.get(True, Fraction(1))
    sink = -ratio.get(False, Fraction(-1))
    over, under = lift.numerator * sink.denominator, lift.denominator * sink.numerator
    least = _RangeLeast([None if found is None else found[0] for found in outside])
    best: tuple[int, tuple] | None = None
    for a, found_in in enumerate(inside):
        if found_in is None:
            continue
        if best is not None and found_in[0] >= best[0]:
            break  # keys are never negative and the inside ones only grow with a
        # Outside totals b allowed with this a: a + b >= goal and lift * a >= sink * b.
        most = min(top - a, over * a // under)
        b = least.at(max(0, goal - a), most)
        if b is None:
            continue
        key = found_in[0] + outside[b][0]  # type: ignore[index]
        if best is None or key < best[0]:
            best = (key, (*found_in[1], *outside[b][1]))  # type: ignore[index]
    return best


class _RangeLeast:
    """The position of the least value in any range of a list, in constant time (a sparse
    table: the least of every run of 2**k values). None values are absent; among equal
    values the first position wins. With at most `SCAN` values present (a wallet's entries
    alone make a few totals of hundreds), a range is scanned instead of building the table.
    """

    SCAN = 16

    def __init__(self, values: list[int | None]) -> None:
        self.values = values
        present = [n for n, value in enumerate(values) if value is not None]
        self.present: list[int] | None = present if len(present) <= self.SCAN else None
        if self.present is not None:
            return
        level = [n if value is not None else None for n, value in enumerate(values)]
        self.levels = [level]
        width = 1
        while 2 * width <= len(values):
            level = [self._better(level[n], level[n + width]) for n in range(len(level) - width)]
            self.levels.append(level)
            width *= 2

    def _better(self, one: int | None, two: int | None) -> int | None:
        if one is None:
            return two
        if two is None:
            return one
        return two if self.values[two] < self.values[one] else one  # type: ignore[operator]

    def at(self, low: int, high: int) -> int | None:
        """The position of the least value in values[low..high] (inclusive), None if none."""
        high = min(high, len(self.values) - 1)
        if low > high:
            return None
        if self.present is not None:
            best = None
            for n in self.present[bisect.bisect_left(self.present, low) :]:
                if n > high:
                    break
                if best is None or self.values[n] < self.values[best]:  # type: ignore[operator]
                    best = n
            return best
        k = (high - low + 1).bit_length() - 1
        return self._better(self.levels[k][low], self.levels[k][high - (1 << k) + 1])


def _solve_share(
    begin: tuple[int, ...],
    moves: Moves,
    runs: Runs,
    limits: list[int],
    goals: list[int],
    share: int,
    ceiling: int | None = None,
    prices: tuple[list[list[int]], list[int], int] | None = None,
) -> tuple[int, tuple] | None:
    """`_solve_sums` with one share balance kept apart: per capped sum, a Pareto front.

    Keys only grow along the way, so a key above `ceiling` (a known answer's) is dropped;
    with `prices` (of each move's choices and each run's members, and the key of one unit
    of cost) so is one whose cost plus the least the rest could cost to reach every goal
    (each still missing quantum at the cheapest rate left) exceeds the ceiling's.

    The front holds (balance, key) pairs where no other pair has as high a balance and as
    low a key (such a pair would serve every completion at least as well). A balance that
    the rest can no longer lift to 0 is dropped; one that the rest can no longer pull below
    0 is capped at what the rest could take away (both bounds are over the groups and
    classes still to come, taken up to their limits).
    """
    runs = _concrete(runs)
    dims = len(limits)
    span = [d for d in range(dims) if d != share]
    steps: list[tuple[str, list[tuple[tuple[int, ...], int]]] | tuple[None, tuple]] = []
    rates: list[list[float]] = []  # per step, the cheapest cost per quantum of each goal
    move_prices, run_prices, unit = prices if prices is not None else ([], [], 0)

    def cheapest(gains_prices: list[tuple[tuple[int, ...], int]]) -> list[float]:
        found = []
        for d in span:
            ratios = [price / gains[d] for gains, price in gains_prices if gains[d] > 0]
            found.append(min(ratios, default=math.inf))
        return found

    for number, (ident, choices) in enumerate(moves):
        steps.append((ident, choices))
        if prices is not None:
            pairs = [(c[0], price) for c, price in zip(choices, move_prices[number], strict=True)]
            rates.append(cheapest(pairs))
    # Classes that lift the balance first, so the later ones can only lower it.
    order = sorted(range(len(runs)), key=lambda n: -runs[n][0][share])
    for number in order:
        steps.append((None, runs[number]))
        if prices is not None:
            rates.append(cheapest([(runs[number][0], run_prices[number])]))
    # The cheapest rate from each step on.
    after_rates: list[list[float]] = [[math.inf] * len(span) for _ in range(len(steps) + 1)]
    if prices is not None:
        for position in range(len(steps) - 1, -1, -1):
            after_rates[position] = [
                min(a, b) for a, b in zip(rates[position], after_rates[position + 1], strict=True)
            ]
    ceiling_cost = None
    if prices is not None and ceiling is not None and unit:
        ceiling_cost = ceiling // unit  # a key is its cost times unit, plus less than unit
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

    def insert(
        front: list[tuple[int, int, tuple]],
        entry: tuple[int, int, tuple],
        state: tuple[int, ...] = (),
        position: int = 0,
    ) -> None:
        balance, key, _ = entry
        if ceiling is not None and key > ceiling:
            return
        if ceiling_cost is not None and state:
            least = 0.0
            for i, d in enumerate(span):
                missing = goals[d] - state[i]
                if missing > 0:
                    least = max(least, missing * after_rates[position][i])
            if least == math.inf or key // unit + math.floor(least * (1 - 1e-9)) > ceiling_cost:
                return
        for other in front:
            if other[0] >= balance and other[1] <= key:
                return
        front[:] = [o for o in front if not (o[0] <= balance and o[1] >= key)]
        front.append(entry)

    total = 0
    for position, (ident, body) in enumerate(steps):
        top = min(cap, drop[position + 1])
        floor = -lift[position + 1]
        new = {state: list(front) for state, front in fronts.items()}
        for state, front in fronts.items():
            for balance, key, picked in front:
                if ident is not None:
                    for number, (roles, delta) in enumerate(body):  # type: ignore[union-attr]
                        target = tuple(
                            [min(limits[d], state[i] + roles[d]) for i, d in enumerate(span)]
                        )
                        moved = min(top, balance + roles[share])
                        if moved < floor:
                            continue
                        front_at = new.setdefault(target, [])
                        entry = (moved, key + delta, (*picked, (ident, number)))
                        insert(front_at, entry, target, position + 1)
                    continue
                gains, deltas = body  # type: ignore[misc]
                current = state
                running = balance  # the cap applies to what is kept, not along the run
                for delta in deltas:
                    current = tuple(
                        [min(limits[d], current[i] + gains[d]) for i, d in enumerate(span)]
                    )
                    running += gains[share]
                    if running < floor:
                        if gains[share] < 0:
                            break  # only sinks further
                        continue  # may yet rise above the floor
                    entry = (min(top, running), key + delta, picked)
                    insert(new.setdefault(current, []), entry, current, position + 1)
        fronts = new
        total = sum(len(front) for front in fronts.values())
        if total > STATE_LIMIT:
            raise Unknown
    best: tuple[int, tuple] | None = None
    for state, front in fronts.items():
        if not all(state[i] >= goals[d] for i, d in enumerate(span)):
            continue
        for balance, key, picked in front:
            if balance >= 0 and (best is None or key < best[0]):
                best = (key, picked)
    return best


def _needed_dimensions(
    roles: list[tuple[int, ...]], thresholds: tuple[int, ...], shares: Sequence[int] = ()
) -> list[int]:
    """The dimensions to keep: an "at least" one that every entry feeds exactly as another
    "at least" one with a threshold no lower is met whenever that one is."""
    dims = len(thresholds)
    keep = []
    for d in range(dims):
        implied = d not in shares and any(
            e != d
            and e not in shares
            and (thresholds[e] > thresholds[d] or (thresholds[e] == thresholds[d] and e < d))
            and all(r[d] == r[e] for r in roles)
            for e in range(dims)
        )
        if not implied:
            keep.append(d)
    return keep


def _best_choice(choices: list[tuple]) -> tuple | None:
    """The first of a credential's choices at least as good as each other in every
    dimension, None when none is."""
    if len(choices) == 1:
        return choices[0]
    return next((c for c in choices if all(_dominates(c[0], o[0]) for o in choices)), None)


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
    if not used:
        return used
    dims = range(len(thresholds))
    totals = list(base)
    for roles, _, _ in used:
        for d in dims:
            totals[d] += roles[d]
    needed = [0 if d in shares else threshold for d, threshold in enumerate(thresholds)]
    dropped: set[int] = set()
    # Later wallet entries go first: the explanation keeps the earliest entries that suffice.
    order = sorted(used, key=_trim_order) if len(used) > 1 else used
    for entry in order:
        roles = entry[0]
        for d in dims:
            if totals[d] - roles[d] < needed[d]:
                break
        else:
            for d in dims:
                totals[d] -= roles[d]
            dropped.add(id(entry))
    return [entry for entry in used if id(entry) not in dropped]


def _trim_order(entry: tuple[tuple[int, ...], str, Item | None]) -> tuple[bool, int]:
    item = entry[2]
    return (False, 0) if item is None else (item.planned, -item.number)


# -- entry points -----------------------------------------------------------------------------


def exact_assignment(
    solver: Solver, qualification: str, serving: set[str] | None = None
) -> list[dict] | Any | None:
    """The assignment completing the qualification, None when incomplete, or UNKNOWN.

    `serving`, when given, holds every held credential that may serve the rule (nested
    rules included, `Reach.touched`): the search then looks only at their entries."""
    try:
        return Search(solver, None).assignment(qualification, serving)
    except Unknown:
        return UNKNOWN


def exact_plan(
    solver: Solver, qualification: str, cost: str, started: Search | None = None
) -> Plan | Any | None:
    """The least-cost plan (rule 6), None when unreachable, or UNKNOWN. `started`: a search
    for this qualification and cost whose `Search.start` has run, finished here."""
    if started is not None:
        try:
            return started.finish()
        except Unknown:
            return UNKNOWN
    return plan_and_bound(solver, qualification, cost)[0]


def plan_and_bound(solver: Solver, qualification: str, cost: str) -> tuple[Any, Any]:
    """The plan as `exact_plan` gives it, and the relaxed optimum's cost in quanta.

    The relaxed cost is a lower bound on every plan's cost (None when even the relaxation has
    no answer, UNKNOWN when it could not be computed).
    """
    search = Search(solver, cost)
    try:
        plan = search.plan(qualification)
    except Unknown:
        plan = UNKNOWN
    if search.root is not None:
        return plan, search.root.cost
    if plan is None:
        return None, None
    try:
        bound = search.relax("", solver.tree(qualification), solver.usable(qualification), ROOT)
    except Unknown:
        return plan, UNKNOWN
    return plan, None if bound is None else bound.cost


# -- two leaves sharing candidates ------------------------------------------------------------


def _joint_classes(
    search: Search, one: Node, two: Node
) -> list[tuple[int | None, int | None, list[str]]]:
    """Candidates of either leaf grouped by (class in one, class in two, cost), ids sorted.

    Inside such a group credentials are interchangeable for both leaves, so an optimal
    answer uses a group's smallest ids, however it splits them between the leaves.
    """
    key = ("joint-classes", one.path, two.path)
    found = search.joints.get(key)
    if found is None:
        assert search.cost is not None
        first = leaf_table(search.solver, one, search.cost)
        second = leaf_table(search.solver, two, search.cost)
        # The grouping depends on the two tables only, which live as long as the catalogue.
        shared_key = ("exact-joint-classes", id(first), id(second))
        held = search.index.cache.get(shared_key)
        if held is not None and held[0] is first and held[1] is second:
            found = held[2]
        else:
            found = _group_jointly(search, one, two, first, second)
            search.index.cache[shared_key] = (first, second, found)
        search.joints[key] = found
    return found


def _group_jointly(
    search: Search, one: Node, two: Node, first: LeafTable, second: LeafTable
) -> list[tuple[int | None, int | None, list[str]]]:
    """Candidates of two tables by (class in the first, class in the second, cost).

    Every member of a class costs the same (classes are split by cost), so a group's cost is
    its classes'. Worked out on the catalogue's columns: each leaf's candidate groups (the
    ones its table was built from) give their rows a class, and the two leaves' rows are
    merged, so each group's ids come out sorted.
    """
    index = search.index
    pricing = search.cost == "price"
    sides = []
    for node, table in ((one, first), (two, second)):
        rows: list[np.ndarray] = []
        labels: list[np.ndarray] = []
        parts = [part.where for part in node.parts]
        for key, found in index.filter_group_rows(node.where, parts, pricing):
            number = table.sources.get(key)
            if number is not None:
                rows.append(found)
                labels.append(np.full(len(found), number, dtype=np.int64))
        joined = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        order = np.argsort(joined, kind="stable")
        sides.append((joined[order], np.concatenate(labels)[order] if labels else joined))
    union = np.union1d(sides[0][0], sides[1][0])

    def classes_at(rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Each union row's class on one side, -1 where it has none."""
        found = np.full(len(union), -1, dtype=np.int64)
        if len(rows):
            at = np.minimum(np.searchsorted(rows, union), len(rows) - 1)
            present = rows[at] == union
            found[present] = labels[at[present]]
        return found

    a, b = classes_at(*sides[0]), classes_at(*sides[1])
    pair = (a + 1) * (len(second.classes) + 1) + (b + 1)
    order = np.argsort(pair, kind="stable")  # stable: rows stay in id order
    cuts = np.flatnonzero(pair[order][1:] != pair[order][:-1]) + 1
    costs = [[search.plan_cost(m.first()) for _, _, m in t.classes] for t in (first, second)]
    ids = index.columns().ids
    groups = []
    for run in np.split(order, cuts) if len(order) else []:
        one_class, two_class = int(a[run[0]]), int(b[run[0]])
        price = costs[0][one_class] if one_class >= 0 else costs[1][two_class]
        groups.append((
            None if one_class < 0 else one_class,
            None if two_class < 0 else two_class,
            price,
            ids[union[run]].tolist(),
        ))  # fmt: skip
    groups.sort(key=lambda group: (str(group[0]), str(group[1]), group[2]))
    return [(one_class, two_class, members) for one_class, two_class, _, members in groups]


def _joint_knapsack(
    search: Search,
    one: Node,
    two: Node,
    items: Sequence[Item],
    branch: _Branch,
    exclude: str | None,
) -> Any:
    """The least key over answers for both leaves that use each credential at most once.

    The same dynamic program as `_knapsack` over the two leaves' sums side by side; a
    group's prefix of j credentials is split every way between the leaves (k to the
    first, j - k to the second, within what an inclusion-minimal answer of each can use).
    """
    nums = search.nums
    sides = []
    for node in (one, two):
        table = leaf_table(search.solver, node, search.cost or "count")
        leaf = ("", node.path)
        banned = {c for key, c in branch.bans if key == leaf}
        sides.append((node, table, leaf, banned))
    dims = [len(side[1].thresholds) for side in sides]
    width = dims[0] + dims[1]

    def place(side: int, roles: tuple[int, ...]) -> tuple[int, ...]:
        zeros = (0,) * dims[1 - side]
        return (*roles, *zeros) if side == 0 else (*zeros, *roles)

    # Free servers, one group per credential, each choice serving one leaf; a credential
    # held may also be planned again (a retake) where its entry falls short.
    groups: dict[str, list[tuple[tuple[int, ...], int, Item | None]]] = {}
    for side, (node, table, _, banned) in enumerate(sides):
        for item in items:
            if item.spec.id in banned or not eligible(search.index, node, item):
                continue
            amount = nums.quanta(item.spec, node.unit, table.scale)
            flags = [item_matches(item, part.where) for part in node.parts]
            roles = entry_roles(table, node, amount, flags)
            groups.setdefault(item.spec.id, []).append((place(side, roles), side, item))
    retakes: dict[str, list[tuple[tuple[int, ...], int]]] = {}
    for ident, choices in groups.items():
        if any(item is not None and item.planned for _, _, item in choices):
            continue  # already planned: free wherever it serves
        if ident in branch.no_plan or ident == exclude:
            continue
        for side, (_, table, _, banned) in enumerate(sides):
            number = table.member_class.get(ident)
            if number is None or ident in banned:
                continue
            roles = place(side, table.classes[number][0])
            if any(c[1] == side and _dominates(c[0], roles) for c in choices):
                continue
            retakes.setdefault(ident, []).append((roles, side))
    thresholds = (*sides[0][1].thresholds, *sides[1][1].thresholds)
    start = [0] * width
    mandatory: list[tuple[tuple[int, ...], int, str, Item | None]] = []
    optional: list[tuple[str, list[tuple[tuple[int, ...], int, Item | None, int]]]] = []
    for ident, choices in groups.items():
        if ident not in retakes and len({side for _, side, _ in choices}) == 1:
            best = next((c for c in choices if all(_dominates(c[0], o[0]) for o in choices)), None)
            if best is not None:
                mandatory.append((best[0], best[1], ident, best[2]))
                start = [a + b for a, b in zip(start, best[0], strict=True)]
                continue
        options = [(roles, side, item, 0) for roles, side, item in choices]
        options.extend((roles, side, None, 1) for roles, side in retakes.get(ident, ()))
        optional.append((ident, options))

    excluded = set(branch.no_plan) | set(groups)
    if exclude is not None:
        excluded.add(exclude)
    limits_of = []
    for _, table, _, _ in sides:
        limits_of.append(
            [_class_limit(roles, table.thresholds, (), 0) for roles, _, _ in table.classes]
        )
    runs: list[tuple[tuple[int, ...], tuple[int, ...], int, int, list[str], int]] = []
    for first_class, second_class, members in _joint_classes(search, one, two):
        caps = [
            limits_of[0][first_class] if first_class is not None else 0,
            limits_of[1][second_class] if second_class is not None else 0,
        ]
        if caps[0] + caps[1] <= 0:
            continue
        rolls = [
            sides[0][1].classes[first_class][0] if first_class is not None else None,
            sides[1][1].classes[second_class][0] if second_class is not None else None,
        ]
        plain: list[str] = []
        for ident in members:
            if ident in excluded:
                continue
            lost = [ident in sides[0][3], ident in sides[1][3]]
            if lost[0] or lost[1]:
                # Banned from one leaf: a group of its own that serves only the other.
                only = [
                    cap if not lost[n] and rolls[n] is not None else 0 for n, cap in enumerate(caps)
                ]
                if only[0] + only[1] > 0:
                    price = search.plan_cost(ident)
                    runs.append(_joint_run(rolls, only, [ident], price, dims))
                continue
            plain.append(ident)
            if len(plain) >= caps[0] + caps[1]:
                break
        if plain:
            runs.append(_joint_run(rolls, caps, plain, search.plan_cost(plain[0]), dims))

    # One step per credential, in id order: each may serve the first leaf, the second, or
    # neither (a group's members beyond what both leaves could use never matter).
    steps: list[tuple[str, list[tuple[tuple[int, ...], int, int, Item | None]]]] = []
    for gain_one, gain_two, cap_one, cap_two, members, price in runs:
        choices = []
        if cap_one:
            choices.append(((*gain_one, *(0,) * dims[1]), price, 0, None))
        if cap_two:
            choices.append(((*(0,) * dims[0], *gain_two), price, 1, None))
        steps.extend((ident, choices) for ident in members)
    for ident, options in optional:
        priced = [
            (roles, search.plan_cost(ident) if paid else 0, side, item)
            for roles, side, item, paid in options
        ]
        steps.append((ident, priced))
    steps.sort(key=lambda step: step[0])
    found = _kept_walk(search.index.cache, tuple(start), steps, thresholds)
    if found is None:
        return None
    picked = [(steps[number][0], steps[number][1][choice]) for number, choice in found]
    served: list[list[str]] = [[], []]
    free_used: list[list[tuple[tuple[int, ...], str, Item | None]]] = [[], []]
    for roles, side, ident, item in mandatory:
        free_used[side].append((_own(roles, side, dims), ident, item))
    for ident, (roles, _, side, item) in picked:
        if item is None:
            served[side].append(ident)
        else:
            free_used[side].append((_own(roles, side, dims), ident, item))
    chosen = sorted(served[0] + served[1])
    uses: list[tuple[tuple[str, str], str, Item | None]] = []
    for side, (_, table, leaf, _) in enumerate(sides):
        totals = [0] * dims[side]
        for ident in served[side]:
            roles = table.classes[table.member_class[ident]][0]
            totals = [a + b for a, b in zip(totals, roles, strict=True)]
        kept = _trim_free(free_used[side], totals, table.thresholds, ())
        uses.extend((leaf, ident, item) for _, ident, item in kept)
        uses.extend((leaf, ident, None) for ident in served[side])
        if not kept and not served[side]:
            uses.append((leaf, "", None))
    cost = sum(search.plan_cost(ident) for ident in chosen)
    return Option(cost, len(chosen), tuple(chosen), tuple(uses))


WALKS_KEPT = 256  # `_kept_walk` answers kept per catalogue


def _kept_walk(
    cache: dict,
    start: tuple[int, ...],
    steps: list[tuple[str, list[tuple[tuple[int, ...], int, int, Item | None]]]],
    thresholds: tuple[int, ...],
) -> list[tuple[int, int]] | None:
    """`_lexicographic_walk`, kept per catalogue (an LRU of `WALKS_KEPT`) under what it
    reads: the ids in order and each option's gains, price, side and whether it is planned.
    Which wallet entry stands behind a free option does not change the walk, so wallets
    holding nothing else the pair could use (most, for a given qualification) repeat it:
    at 1M, half the walks were repeats of an earlier one, 3-7 ms each."""
    store = cache.get("exact-walks")
    if store is None:
        store = cache["exact-walks"] = OrderedDict()
    key = (start, thresholds, tuple(
        (ident, tuple((roles, price, side, item is None) for roles, price, side, item in choices))
        for ident, choices in steps
    ))  # fmt: skip
    if key in store:
        store.move_to_end(key)
        return store[key]
    found = _lexicographic_walk(start, steps, thresholds)
    store[key] = found
    if len(store) > WALKS_KEPT:
        store.popitem(last=False)
    return found


def _lexicographic_walk(
    start: tuple[int, ...],
    steps: list[tuple[str, list[tuple[tuple[int, ...], int, int, Item | None]]]],
    thresholds: tuple[int, ...],
) -> list[tuple[int, int]] | None:
    """The least (cost, count, sorted ids) choice of at most one option per step reaching
    every threshold (sums capped there), or None: (step, option) positions in step order.
    A step's planned options cost the same: they plan one credential, whichever leaf it
    serves.

    A table of the least (cost, count) that steps i.. need from each capped sum is filled
    backwards (numpy, one array per step); then a walk in id order takes each paid step
    whenever an optimal completion remains, since for equal cost and count the list that
    holds the smaller id comes first.
    """

    # Dimensions another one already implies are dropped (a part whose filter every
    # candidate passes: "60 credits from P in S, of which 30 in S"); a joint table with
    # them can be hundreds of times larger.
    keep = _needed_dimensions(
        [start, *(roles for _, choices in steps for roles, *_ in choices)], thresholds
    )
    thresholds = tuple(thresholds[d] for d in keep)
    width = len(keep)
    gcds = [start[d] for d in keep]
    for _, choices in steps:
        for roles, *_ in choices:
            gcds = [math.gcd(g, roles[d]) for g, d in zip(gcds, keep, strict=True)]
    gcds = [g or 1 for g in gcds]
    limits = tuple(-(-t // g) for t, g in zip(thresholds, gcds, strict=True))
    size = 1
    for limit in limits:
        size *= limit + 1
    prices = [price for _, choices in steps for _, price, _, item in choices]
    count_base = len(steps) + 1
    # Every finite entry and every step's delta stay below `top`; "never" (no completion) sits
    # above them with room for one more delta, so no sum overflows the cell type.
    top = (max(prices, default=0) * len(steps) + 1) * count_base
    if top >= 2**62:
        raise Unknown
    dtype: Any = np.int32 if top < 2**29 else np.int64
    never = dtype(2**30 if dtype is np.int32 else 2**62)
    if size * (len(steps) + 1) * np.dtype(dtype).itemsize > JOINT_BYTES:
        raise Unknown

    def scaled(roles: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(roles[d] // g for d, g in zip(keep, gcds, strict=True))

    # The tables are flat; a state is its position. Adding a gain moves every state to a
    # position kept per gain (sums capped at the limits), so a step costs one gather and
    # one minimum per option rather than a gather per axis (steps are one per candidate:
    # hundreds per walk, each on a table of a few hundred cells, where numpy's per-call
    # cost is the cost).
    shape = tuple(limit + 1 for limit in limits)
    axes = np.indices(shape).reshape(width, size)
    moves_of: dict[tuple[int, ...], Any] = {}

    def moved(gain: tuple[int, ...]) -> Any:
        found = moves_of.get(gain)
        if found is None:
            capped = [np.minimum(axes[axis] + gain[axis], limits[axis]) for axis in range(width)]
            found = moves_of[gain] = np.ravel_multi_index(capped, shape)
        return found

    goal = np.full(size, never, dtype=dtype)
    goal[size - 1] = 0  # every sum at its limit
    tables = [goal]
    moves = []
    for _, choices in reversed(steps):
        after = tables[-1]
        best = after
        options = []
        for roles, price, _, item in choices:
            index = moved(scaled(roles))
            delta = price * count_base + (0 if item is not None else 1)
            options.append((index, delta))
            best = np.minimum(best, after.take(index) + delta)
        tables.append(best)
        moves.append(options)
    tables.reverse()
    moves.reverse()
    start_state = tuple(min(limit, -(-start[d] // g)) for d, g, limit in
                        zip(keep, gcds, limits, strict=True))  # fmt: skip
    state = int(np.ravel_multi_index(start_state, shape))
    best = int(tables[0][state])
    if best >= never:
        return None
    # Walk in id order keeping every sum some optimal answer can be at. A paid step is taken
    # whenever an optimal completion remains (the same ids, whichever leaf each serves, so
    # the same cost and count so far); a free step may be taken or not.
    paid_so_far = 0
    frontier: list[int] = [state]
    trail: list[dict[int, tuple]] = []
    for number, (_, choices) in enumerate(steps):
        after = tables[number + 1]
        paid: dict[int, tuple] = {}
        other: dict[int, tuple] = {}
        paid_delta = 0
        for here in frontier:
            if paid_so_far + int(after[here]) == best:
                other.setdefault(here, (here, None))
            for position, (choice, (index, delta)) in enumerate(
                zip(choices, moves[number], strict=True)
            ):
                target = int(index[here])
                if paid_so_far + delta + int(after[target]) != best:
                    continue
                if choice[3] is None:  # planned: the id joins the list
                    paid.setdefault(target, (here, position))
                    paid_delta = delta
                else:
                    other.setdefault(target, (here, position))
        if paid:
            paid_so_far += paid_delta
            chosen = paid
        else:
            chosen = other
        frontier = list(chosen)
        trail.append(chosen)
    here = frontier[0]
    picked = []
    for number in range(len(steps) - 1, -1, -1):
        previous, position = trail[number][here]
        if position is not None:
            picked.append((number, position))
        here = previous
    picked.reverse()
    return picked


def _own(roles: tuple[int, ...], side: int, dims: list[int]) -> tuple[int, ...]:
    return roles[: dims[0]] if side == 0 else roles[dims[0] :]


def _joint_run(
    rolls: list[tuple[int, ...] | None],
    caps: list[int],
    members: list[str],
    price: int,
    dims: list[int],
) -> tuple[tuple[int, ...], tuple[int, ...], int, int, list[str], int]:
    gain_one = rolls[0] if rolls[0] is not None else (0,) * dims[0]
    gain_two = rolls[1] if rolls[1] is not None else (0,) * dims[1]
    return (gain_one, gain_two, caps[0], caps[1], members, price)
