"""Brute-force stacking oracle written straight from STACKING.md, for small inputs only.

It shares no code with ``registry.stacking``. A catalogue is a plain dict::

    {"credentials": {id: {field: value, ...}},
     "credit_units": {unit: ects}, "recognitions": [(a, b), ...]}

with the field names of STACKING.md ("Words"), and a request has the shape of "Evaluation request
and answer". Everything is exhaustive: satisfaction tries every way to give entries to leaves
(skipping only ways that use more entries than a way already known to work for the same leaves;
`satisfies_naively` is the unpruned literal reading, and a property test keeps the two equal),
plans try every subset of the catalogue in cost order. Numbers are exact fractions until the
answer is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

Rule = Mapping[str, Any]
Tree = tuple  # ("leaf", Leaf) | ("all", [Tree]) | ("any", [Tree]) | ("at_least", n, [Tree])

# The result of a planned entry: "planned entries ... meet every result filter" (rule 6).


def decimal(value: object) -> Fraction:
    """A number read as the decimal it is written as (0.4 is 2/5), as a registrar reads it.

    Floats read as their binary value would make 1 ECTS fall short of 2.5 units worth 0.4 ECTS.
    """
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)  # type: ignore[arg-type]


PLANNED_RESULT = object()


def add_years(day: date, years: int) -> date:
    """Move by calendar years; 29 February plus one year is 28 February (rule 9)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Entry:
    """One wallet entry, or (index None) a planned entry dated as_of."""

    credential: str
    earned_on: date
    expires_on: date | None = None
    revoked: bool = False
    result: Any = None
    counted_toward: frozenset[str] = frozenset()
    index: int | None = None


@dataclass(frozen=True)
class Leaf:
    """A `credential`, `credits` or `count` node of a rule tree, nested qualifications expanded."""

    key: int
    path: str
    node: Rule
    cutoff: date | None  # entries earned before this do not count here (within_years above)
    accepts: frozenset[str]  # credential leaf: the credentials whose entries may serve it

    @property
    def kind(self) -> str:
        return next(k for k in ("credential", "credits", "count") if k in self.node)


@dataclass(frozen=True)
class Plan:
    """A completion plan: credentials in learner order and its exact cost."""

    credentials: tuple[str, ...]
    cost: Fraction


def parse_wallet(wallet: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """Read request wallet entries (dates as ISO strings)."""
    entries = []
    for index, raw in enumerate(wallet):
        expires = raw.get("expires_on")
        entries.append(
            Entry(
                credential=raw["credential"],
                earned_on=date.fromisoformat(raw["earned_on"]),
                expires_on=date.fromisoformat(expires) if expires is not None else None,
                revoked=bool(raw.get("revoked", False)),
                result=raw.get("result"),
                counted_toward=frozenset(raw.get("counted_toward") or ()),
                index=index,
            )
        )
    return entries


def child_path(path: str, name: str) -> str:
    """`all[1]` below `""` or `all[0]/Q/`, `all[1].any[0]` below `all[1]` (STACKING.md "Paths")."""
    return f"{path}{name}" if path == "" or path.endswith("/") else f"{path}.{name}"


def children(rule: Rule) -> list[tuple[str, Rule]]:
    """The named children of a rule node: [("all[0]", child), ...]."""
    for key, items in (("all", "all"), ("any", "any"), ("at_least", "of")):
        if key in rule:
            return [(f"{key}[{i}]", child) for i, child in enumerate(rule[items])]
    return []


class Oracle:
    """Answers evaluation requests for one catalogue on one evaluation date."""

    def __init__(self, catalogue: Mapping[str, Any], as_of: date) -> None:
        self.credentials: Mapping[str, Mapping[str, Any]] = catalogue["credentials"]
        self.units: Mapping[str, float] = catalogue.get("credit_units") or {"ECTS": 1}
        self.recognitions = [tuple(pair) for pair in catalogue.get("recognitions", ())]
        self.as_of = as_of
        self._trees: dict[tuple[str, str], tuple[Tree, list[Leaf]]] = {}

    # ---- catalogue facts -------------------------------------------------------------------

    def field(self, credential: str, name: str, default: Any = None) -> Any:
        value = self.credentials[credential].get(name, default)
        return default if value is None else value

    def is_qualification(self, credential: str) -> bool:
        return self.credentials[credential].get("requirements") is not None

    def credits_in(self, credential: str, unit: str) -> Fraction:
        """Credits converted to `unit`; a unit without a declared rate counts 0 in other units."""
        amount = decimal(self.field(credential, "credits", 0))
        own = self.field(credential, "credit_unit", "ECTS")
        if own == unit:
            return amount
        if own in self.units and unit in self.units:
            return amount * decimal(self.units[own]) / decimal(self.units[unit])
        return Fraction(0)

    def cost_of(self, credential: str, cost: str) -> Fraction:
        if cost == "count":
            return Fraction(1)
        if cost == "price":
            return decimal(self.credentials[credential]["price"])
        return self.credits_in(credential, "ECTS")

    # ---- rule 1, rule 7, filters -------------------------------------------------------------

    def is_valid(self, entry: Entry) -> bool:
        """Rule 1: not revoked, not dated after as_of, not expired."""
        if entry.revoked or entry.earned_on > self.as_of:
            return False
        end = entry.expires_on
        valid_years = self.field(entry.credential, "valid_years")
        if end is None and valid_years is not None:
            end = add_years(entry.earned_on, valid_years)
        return end is None or end >= self.as_of

    def reuse_allows(self, entry: Entry, qualification: str) -> bool:
        """Rule 7: fewer than K *other* qualifications in counted_toward."""
        limit = self.field(qualification, "max_reuse")
        return limit is None or len(entry.counted_toward - {qualification}) < limit

    def matches(self, where: Rule | None, entry: Entry) -> bool:
        """Filter: every key must hold; in a list any item may match."""
        where = where or {}
        cred = entry.credential
        level = self.field(cred, "level")
        result = entry.result
        planned = result is PLANNED_RESULT
        checks = {
            "credentials": lambda ids: cred in ids,
            "providers": lambda ids: self.field(cred, "provider", "") in ids,
            "subjects": lambda codes: bool(set(self.field(cred, "subjects", ())) & set(codes)),
            "types": lambda types: self.field(cred, "type", "") in types,
            "level_min": lambda low: level is not None and level >= low,
            "level_max": lambda high: level is not None and level <= high,
            "result_in": lambda values: planned or (result is not None and result in values),
            "result_min": lambda low: (
                planned
                or (
                    isinstance(result, int | float)
                    and not isinstance(result, bool)
                    and result >= low
                )
            ),
        }
        return all(checks[key](value) for key, value in where.items())

    # ---- rule trees ----------------------------------------------------------------------------

    def tree(self, owner: str, which: str = "requirements") -> tuple[Tree, list[Leaf]]:
        """The leaf tree of a credential's requirements or prerequisites, nesting expanded."""
        if (owner, which) not in self._trees:
            leaves: list[Leaf] = []
            root = self._build(self.credentials[owner][which], "", None, leaves)
            self._trees[owner, which] = (root, leaves)
        return self._trees[owner, which]

    def _build(self, rule: Rule, path: str, cutoff: date | None, leaves: list[Leaf]) -> Tree:
        if "within_years" in rule:
            since = add_years(self.as_of, -rule["within_years"])
            cutoff = since if cutoff is None else max(cutoff, since)
        kids = children(rule)
        if kids:
            built = [self._build(c, child_path(path, name), cutoff, leaves) for name, c in kids]
            if "at_least" in rule:
                return ("at_least", rule["at_least"], built)
            return ("all" if "all" in rule else "any", built)
        accepts: frozenset[str] = frozenset()
        if "credential" in rule:
            named = rule["credential"]
            accepts = frozenset({named} | {a for a, b in self.recognitions if b == named})
        leaf = Leaf(len(leaves), path, rule, cutoff, accepts)
        leaves.append(leaf)
        if "credential" in rule and self.is_qualification(rule["credential"]):
            # Rule 3: an entry of Q itself, or Q's own rule satisfied with entries then used.
            named = rule["credential"]
            inner = self.credentials[named]["requirements"]
            return ("any", [("leaf", leaf), self._build(inner, f"{path}/{named}/", cutoff, leaves)])
        return ("leaf", leaf)

    def eligible(self, leaf: Leaf, entry: Entry) -> bool:
        if leaf.cutoff is not None and entry.earned_on < leaf.cutoff:
            return False
        if leaf.kind == "credential":
            return entry.credential in leaf.accepts
        return self.matches(leaf.node.get("where"), entry)

    def leaf_holds(self, leaf: Leaf, chosen: Sequence[Entry]) -> bool:
        """Whether this set of (eligible, distinct-credential) entries satisfies the leaf."""
        node = leaf.node
        if leaf.kind == "credential":
            return len(chosen) == 1
        if leaf.kind == "credits":
            unit = node.get("unit", "ECTS")
            whole = sum((self.credits_in(e.credential, unit) for e in chosen), Fraction(0))
            if whole < decimal(node["credits"]):
                return False
        else:
            unit = "ECTS"  # a credits part under a count leaf is read in ECTS
            if len({e.credential for e in chosen}) < node["count"]:
                return False
        return all(
            self._part_holds(leaf.kind, unit, part, chosen) for part in node.get("of_which", ())
        )

    def _part_holds(self, kind: str, unit: str, part: Rule, chosen: Sequence[Entry]) -> bool:
        inside = [e for e in chosen if self.matches(part.get("where"), e)]

        def credits(entries: Iterable[Entry]) -> Fraction:
            return sum((self.credits_in(e.credential, unit) for e in entries), Fraction(0))

        if "credits" in part:
            return credits(inside) >= decimal(part["credits"])
        if "count" in part:
            return len(inside) >= part["count"]
        share = decimal(part["share"])
        if kind == "credits":
            return credits(inside) >= share * credits(chosen)
        return len(inside) >= share * len(chosen)

    # ---- rules 2 to 4: is there an assignment? ----------------------------------------------

    @staticmethod
    def tree_true(tree: Tree, satisfied: set[int]) -> bool:
        kind = tree[0]
        if kind == "leaf":
            return tree[1].key in satisfied
        if kind == "all":
            return all(Oracle.tree_true(t, satisfied) for t in tree[1])
        if kind == "any":
            return any(Oracle.tree_true(t, satisfied) for t in tree[1])
        return sum(Oracle.tree_true(t, satisfied) for t in tree[2]) >= tree[1]

    @staticmethod
    def leaf_sets(tree: Tree) -> list[frozenset[int]]:
        """Every inclusion-minimal set of leaves whose truth makes the tree true.

        The tree is monotone, so an assignment exists iff one exists for some such set.
        """
        kind = tree[0]
        if kind == "leaf":
            found = [frozenset({tree[1].key})]
        elif kind == "any":
            found = [s for t in tree[1] for s in Oracle.leaf_sets(t)]
        else:
            groups = [tree[1]] if kind == "all" else itertools.combinations(tree[2], tree[1])
            found = []
            for group in groups:
                for parts in itertools.product(*(Oracle.leaf_sets(t) for t in group)):
                    found.append(frozenset().union(*parts))
        return [s for s in set(found) if not any(o < s for o in found)]

    def leaf_options(self, leaf: Leaf, entries: Sequence[Entry]) -> list[frozenset[int]]:
        """Every inclusion-minimal set of entry positions that satisfies the leaf alone.

        Using a subset of a satisfying set never hurts the other leaves, so these suffice.
        """
        eligible = [i for i, e in enumerate(entries) if self.eligible(leaf, e)]
        biggest = 1 if leaf.kind == "credential" else len(eligible)
        found: list[frozenset[int]] = []
        for size in range(biggest + 1):
            for combo in itertools.combinations(eligible, size):
                chosen = frozenset(combo)
                credentials = {entries[i].credential for i in combo}
                if len(credentials) < size or any(f <= chosen for f in found):
                    continue
                if self.leaf_holds(leaf, [entries[i] for i in combo]):
                    found.append(chosen)
        return found

    def find_assignment(
        self, tree: Tree, leaves: Sequence[Leaf], entries: Sequence[Entry]
    ) -> dict[int, frozenset[int]] | None:
        """Leaf key -> entry positions for some valid assignment, or None."""
        options = {leaf.key: self.leaf_options(leaf, entries) for leaf in leaves}

        def place(
            todo: list[int], used: frozenset[int], creds: frozenset[str]
        ) -> dict[int, frozenset[int]] | None:
            if not todo:
                return {}
            key, rest = todo[0], todo[1:]
            for option in options[key]:
                option_creds = {entries[i].credential for i in option}
                if option & used or option_creds & creds:
                    continue
                placed = place(rest, used | option, creds | option_creds)
                if placed is not None:
                    return {key: option, **placed}
            return None

        for leaf_set in sorted(self.leaf_sets(tree), key=lambda s: (len(s), sorted(s))):
            placed = place(sorted(leaf_set), frozenset(), frozenset())
            if placed is not None:
                return placed
        return None

    def satisfies_naively(
        self, tree: Tree, leaves: Sequence[Leaf], entries: Sequence[Entry]
    ) -> bool:
        """The literal rule 2: try every map of entries to leaves (tiny inputs only)."""
        for choice in itertools.product(range(-1, len(leaves)), repeat=len(entries)):
            used = [i for i, leaf in enumerate(choice) if leaf >= 0]
            if len({entries[i].credential for i in used}) < len(used):
                continue
            if not all(self.eligible(leaves[choice[i]], entries[i]) for i in used):
                continue
            satisfied = {
                leaf.key
                for leaf in leaves
                if self.leaf_holds(leaf, [entries[i] for i in used if choice[i] == leaf.key])
            }
            if self.tree_true(tree, satisfied):
                return True
        return False

    # ---- qualifications ------------------------------------------------------------------------

    def usable(self, qualification: str, entries: Iterable[Entry]) -> list[Entry]:
        """The entries a qualification may use: valid (rule 1) and allowed by its max_reuse."""
        return [e for e in entries if self.is_valid(e) and self.reuse_allows(e, qualification)]

    def assignment(self, qualification: str, wallet: Iterable[Entry]) -> list[dict] | None:
        """Rule 5: the explanation of a completed qualification, or None when incomplete."""
        usable = self.usable(qualification, wallet)
        tree, leaves = self.tree(qualification)
        placed = self.find_assignment(tree, leaves, usable)
        if placed is None:
            return None
        return [
            {"path": leaves[key].path, "entries": sorted(usable[i].index for i in positions)}
            for key, positions in sorted(placed.items())
        ]

    def is_complete(self, qualification: str, entries: Iterable[Entry]) -> bool:
        """Whether wallet and planned entries satisfy the qualification (rules 1 to 4, 7)."""
        usable = self.usable(qualification, entries)
        tree, leaves = self.tree(qualification)
        return self.find_assignment(tree, leaves, usable) is not None

    # ---- rule 6: plans -------------------------------------------------------------------------

    def candidates(self, cost: str) -> list[str]:
        """Published credentials without requirements (with a price, for cost `price`)."""
        return sorted(
            cid
            for cid, fields in self.credentials.items()
            if fields.get("status", "published") == "published"
            and fields.get("requirements") is None
            and (cost != "price" or fields.get("price") is not None)
        )

    def planned_entries(self, credentials: Iterable[str]) -> list[Entry]:
        return [Entry(c, self.as_of, result=PLANNED_RESULT) for c in credentials]

    def prerequisites_met(self, credential: str, entries: Sequence[Entry]) -> bool:
        if self.credentials[credential].get("prerequisites") is None:
            return True
        tree, leaves = self.tree(credential, "prerequisites")
        return self.find_assignment(tree, leaves, entries) is not None

    def followed(self, plan: Iterable[str], wallet: Sequence[Entry]) -> list[str] | None:
        """An order in which a learner can take the plan, or None when there is none.

        Each credential's prerequisites are met by the valid wallet entries plus the planned
        credentials taken before it; that is closure (rule 6) and "an order a learner can
        follow" at once. Meeting prerequisites is monotone, so taking any ready credential
        (here the smallest id) never blocks the rest.
        """
        valid = [e for e in wallet if self.is_valid(e)]
        remaining, taken = set(plan), []
        while remaining:
            ready = sorted(
                c
                for c in remaining
                if self.prerequisites_met(c, valid + self.planned_entries(taken))
            )
            if not ready:
                return None
            taken.append(ready[0])
            remaining.remove(ready[0])
        return taken

    def plan(self, qualification: str, wallet: Sequence[Entry], cost: str) -> Plan | None:
        """The minimal plan by (cost, size, sorted ids), or None when there is none."""
        pool = self.candidates(cost)
        if not self._reachable(qualification, wallet, pool):
            return None
        subsets = [
            combo for size in range(len(pool) + 1) for combo in itertools.combinations(pool, size)
        ]
        price = {c: self.cost_of(c, cost) for c in pool}
        subsets.sort(key=lambda s: (sum((price[c] for c in s), Fraction(0)), len(s), s))
        for subset in subsets:
            followed = self.followed(subset, wallet)
            if followed is not None and self.is_complete(
                qualification, [*wallet, *self.planned_entries(subset)]
            ):
                order = self.order(subset) or tuple(followed)
                return Plan(order, sum((price[c] for c in subset), Fraction(0)))
        return None

    def _reachable(self, qualification: str, wallet: Sequence[Entry], pool: list[str]) -> bool:
        """A shortcut only: every plan a learner can follow lies inside the set of candidates
        reachable from the wallet, and satisfaction is monotone, so that set decides."""
        valid = [e for e in wallet if self.is_valid(e)]
        reached: list[str] = []
        while True:
            more = [
                c
                for c in pool
                if c not in reached
                and self.prerequisites_met(c, valid + self.planned_entries(reached))
            ]
            if not more:
                break
            reached += more
        return self.is_complete(qualification, [*wallet, *self.planned_entries(reached)])

    def prerequisite_ids(self, credential: str) -> set[str]:
        """The credentials whose planned entry could serve a leaf of this one's prerequisites."""
        if self.credentials[credential].get("prerequisites") is None:
            return set()
        _, leaves = self.tree(credential, "prerequisites")
        return {
            other
            for other in self.credentials
            for leaf in leaves
            if self.eligible(leaf, self.planned_entries([other])[0])
        }

    def order(self, plan: Iterable[str]) -> tuple[str, ...] | None:
        """Prerequisites first, then by id: each planned credential after every planned one that
        could serve its prerequisites, smallest id first; None if those links loop."""
        remaining = set(plan)
        before = {c: (self.prerequisite_ids(c) & remaining) - {c} for c in remaining}
        ordered: list[str] = []
        while remaining:
            ready = sorted(c for c in remaining if before[c] <= set(ordered))
            if not ready:
                return None
            ordered.append(ready[0])
            remaining.remove(ready[0])
        return tuple(ordered)

    # ---- rule 8 and the answer -----------------------------------------------------------------

    def progress(self, qualification: str, wallet: Sequence[Entry], cost: str) -> float | None:
        """1 - cost(plan for this wallet) / cost(plan for an empty wallet), with the fallbacks."""
        mine = self.plan(qualification, wallet, cost)
        empty = self.plan(qualification, [], cost)
        assert mine is not None, "progress asked for an unreachable qualification"
        if empty is None:
            return None
        if empty.cost == 0 or mine.cost == 0:
            mine = self.plan(qualification, wallet, "count")
            empty = self.plan(qualification, [], "count")
            if empty is None or mine is None:
                return None
        return float(1 - mine.cost / empty.cost)


def evaluate(
    catalogue: Mapping[str, Any], request: Mapping[str, Any], *, today: date | None = None
) -> dict[str, Any]:
    """The STACKING.md answer for a valid request, computed by brute force."""
    as_of = date.fromisoformat(request["as_of"]) if "as_of" in request else today
    assert as_of is not None, "the oracle needs as_of or today"
    oracle = Oracle(catalogue, as_of)
    wallet = parse_wallet(request.get("wallet", ()))
    cost = request.get("cost", "credits")
    if "qualifications" in request:
        wanted = list(dict.fromkeys(request["qualifications"]))
    else:
        wanted = [
            cid
            for cid, fields in catalogue["credentials"].items()
            if fields.get("requirements") is not None
            and fields.get("status", "published") == "published"
        ]
    completed, in_progress, unreachable = [], [], []
    for qualification in sorted(wanted):
        explanation = oracle.assignment(qualification, wallet)
        if explanation is not None:
            completed.append({"qualification": qualification, "assignment": explanation})
            continue
        plan = oracle.plan(qualification, wallet, cost)
        if plan is None:
            unreachable.append(qualification)
            continue
        in_progress.append(
            {
                "qualification": qualification,
                "progress": oracle.progress(qualification, wallet, cost),
                "plan": list(plan.credentials),
                "plan_cost": float(plan.cost),
            }
        )
    in_progress.sort(key=progress_order)
    if request.get("limit") is not None:
        in_progress = in_progress[: request["limit"]]
    return {
        "as_of": as_of.isoformat(),
        "completed": completed,
        "in_progress": in_progress,
        "unreachable": unreachable,
    }


def progress_order(item: Mapping[str, Any]) -> tuple:
    """Progress highest first (null after every number), then plan_cost, then id."""
    progress = item["progress"]
    return (progress is None, -(progress or 0.0), item["plan_cost"], item["qualification"])


# ---- checking someone else's assignment ----------------------------------------------------------


def _node_at(rule: Rule, node_path: str) -> Iterator[Rule]:
    """Yield the nodes from the root down to `node_path` (``all[1].any[0]``)."""
    node = rule
    yield node
    if node_path == "":
        return
    for step in node_path.split("."):
        named = dict(children(node))
        if step not in named:
            raise KeyError(step)
        node = named[step]
        yield node


def assignment_problems(
    catalogue: Mapping[str, Any],
    request: Mapping[str, Any],
    qualification: str,
    assignment: Sequence[Mapping[str, Any]],
    *,
    today: date | None = None,
) -> list[str]:
    """Why `assignment` does not show that the wallet satisfies `qualification` ([] if it does).

    Independent of the oracle's search: it walks the paths given, checks each leaf's entries
    (valid, allowed by max_reuse, within the recency limits above, each entry and each credential
    used once) and then evaluates the tree with those leaves satisfied.
    """
    as_of = date.fromisoformat(request["as_of"]) if "as_of" in request else today
    assert as_of is not None
    oracle = Oracle(catalogue, as_of)
    wallet = parse_wallet(request.get("wallet", ()))
    problems: list[str] = []
    used_entries: set[int] = set()
    used_credentials: set[str] = set()
    satisfied: set[str] = set()
    for item in assignment:
        path, indexes = item.get("path"), item.get("entries")
        if not isinstance(path, str) or not isinstance(indexes, list):
            problems.append(f"malformed item {item!r}")
            continue
        try:
            leaf = _resolve(oracle, qualification, path)
        except (KeyError, ValueError) as error:
            problems.append(f"{path!r} is not a leaf of {qualification}: {error}")
            continue
        chosen = []
        for index in indexes:
            if not isinstance(index, int) or not 0 <= index < len(wallet):
                problems.append(f"{path!r}: no wallet entry {index!r}")
                continue
            entry = wallet[index]
            if index in used_entries:
                problems.append(f"{path!r}: entry {index} serves twice")
            if entry.credential in used_credentials:
                problems.append(f"{path!r}: credential {entry.credential} serves twice")
            used_entries.add(index)
            used_credentials.add(entry.credential)
            if not oracle.is_valid(entry):
                problems.append(f"{path!r}: entry {index} is not valid on {as_of}")
            if not oracle.reuse_allows(entry, qualification):
                problems.append(f"{path!r}: entry {index} is over max_reuse")
            if not oracle.eligible(leaf, entry):
                problems.append(f"{path!r}: entry {index} does not match the leaf")
            chosen.append(entry)
        if not oracle.leaf_holds(leaf, chosen):
            problems.append(f"{path!r}: entries {indexes} do not satisfy {dict(leaf.node)}")
        if path in satisfied:
            problems.append(f"{path!r} is listed twice")
        satisfied.add(path)
    if not problems and not _true_with(oracle, qualification, satisfied):
        problems.append(f"the rule of {qualification} is not true with leaves {sorted(satisfied)}")
    return problems


def _resolve(oracle: Oracle, qualification: str, path: str) -> Leaf:
    """The leaf at `path` (``all[0]/Q/all[2]``), with the recency cutoff from every node above."""
    segments = path.split("/")
    if len(segments) % 2 == 0:
        raise ValueError("a nested path alternates node paths and qualification ids")
    rule = oracle.credentials[qualification]["requirements"]
    cutoff: date | None = None
    node: Rule = rule
    for i in range(0, len(segments), 2):
        if i:
            named = segments[i - 1]
            if node.get("credential") != named or not oracle.is_qualification(named):
                raise ValueError(f"{named} is not a nested qualification here")
            rule = oracle.credentials[named]["requirements"]
        for node in _node_at(rule, segments[i]):
            if "within_years" in node:
                since = add_years(oracle.as_of, -node["within_years"])
                cutoff = since if cutoff is None else max(cutoff, since)
    if children(node):
        raise ValueError("not a leaf")
    accepts: frozenset[str] = frozenset()
    if "credential" in node:
        named = node["credential"]
        accepts = frozenset({named} | {a for a, b in oracle.recognitions if b == named})
    return Leaf(-1, path, node, cutoff, accepts)


def _true_with(oracle: Oracle, qualification: str, satisfied: set[str]) -> bool:
    """Evaluate the rule: a listed leaf is true; an unlisted credits/count leaf holds if its empty
    set does; a credential leaf naming a qualification is also true through its expansion."""

    def value(rule: Rule, path: str) -> bool:
        kids = children(rule)
        if kids:
            values = [value(child, child_path(path, name)) for name, child in kids]
            if "all" in rule:
                return all(values)
            if "any" in rule:
                return any(values)
            return sum(values) >= rule["at_least"]
        if path in satisfied:
            return True
        if "credential" in rule:
            named = rule["credential"]
            return oracle.is_qualification(named) and value(
                oracle.credentials[named]["requirements"], f"{path}/{named}/"
            )
        leaf = Leaf(-1, path, rule, None, frozenset())
        return oracle.leaf_holds(leaf, [])

    return value(oracle.credentials[qualification]["requirements"], "")


# ---- feeding the same dict catalogue to the engine ----------------------------------------------


class EngineAdapter:
    """Calls the engine module's `evaluate` with a catalogue in this module's dict shape."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def catalogue(self, data: Mapping[str, Any]) -> Any:
        specs = {}
        for ident, fields in data["credentials"].items():
            fields = dict(fields)
            if "subjects" in fields:
                fields["subjects"] = tuple(fields["subjects"])
            specs[ident] = self.module.CredentialSpec(id=ident, **fields)
        return self.module.Catalogue(
            credentials=specs,
            credit_units=dict(data.get("credit_units") or {"ECTS": 1.0}),
            recognitions=[tuple(pair) for pair in data.get("recognitions", ())],
        )

    def evaluate(
        self, data: Mapping[str, Any], request: Mapping[str, Any], today: date | None = None
    ) -> dict[str, Any]:
        return self.module.evaluate(self.catalogue(data), request, today=today)
