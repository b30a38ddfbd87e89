"""Evaluation at catalogue scale: only the qualifications a wallet can touch are solved.

Everything that does not depend on the learner is computed once per catalogue and cached on
it: which rules each credential can reach (leaf ids, recognitions, an inverted index over
filter fields, nesting parents, prerequisites), and every qualification's empty-wallet
answer with the cost of its relaxed plan (a lower bound used to rank wallets' answers). A
wallet then only changes the qualifications it touches; the others keep their empty-wallet
answer (progress 0).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from registry.stacking import exact
from registry.stacking.fastpath import best_plan, complete
from registry.stacking.index import CatalogueIndex, spec_matches
from registry.stacking.model import Catalogue, CredentialSpec
from registry.stacking.numbers import NUMBERS_KEY, Numbers, plan_total
from registry.stacking.rules import FILTER_LIST_KEYS, iter_nodes, rule_kind
from registry.stacking.solver import CHILD_KINDS, Node, Plan, Solver, reaches

COSTS = ("credits", "count", "price")  # what a plan may minimise (STACKING.md rule 6)
REQUIREMENT = "R"  # owner of a rule: a qualification's requirements
PREREQUISITE = "P"  # owner of a rule: a credential's prerequisites
Owner = tuple[str, str]
ANY = ""  # a filter without this key: any value passes


class Reach:
    """Which rules each credential can reach, over the whole catalogue."""

    def __init__(self, index: CatalogueIndex) -> None:
        self.index = index
        self.leaf_owners: dict[str, list[Owner]] = defaultdict(list)
        self.recognised: dict[str, list[str]] = defaultdict(list)  # from -> [to]
        for source, target in sorted(index.recognitions):
            self.recognised[source].append(target)
        # A filter is posted under every combination of the values it allows for provider,
        # type and subject (ANY where it does not say), or under the credentials it names,
        # so a credential finds the filters it passes in a handful of lookups.
        self.filters: list[tuple[dict, list[Owner]]] = []
        self._filter_at: dict[str, int] = {}
        self._levels: list[dict | None] = []  # per filter, what its postings leave unchecked
        self.postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for ident, spec in index.credentials.items():
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
        from registry.stacking.index import filter_key

        key = filter_key(where)
        at = self._filter_at.get(key)
        if at is not None:
            self.filters[at][1].append(owner)
            return
        at = len(self.filters)
        self._filter_at[key] = at
        self.filters.append((where, [owner]))
        # Posted under its providers, types and subjects, a filter is passed by the
        # credentials found there but for its level bounds (None: nothing left to check).
        levels = {name: where[name] for name in ("level_min", "level_max") if name in where}
        self._levels.append(levels or None)
        allowed: dict[str, list[str]] = {}
        for name in FILTER_LIST_KEYS:
            if name not in where:
                continue
            values = where[name]
            # A key that is not a list of strings lets nothing pass: the filter is not posted.
            allowed[name] = (
                sorted({v for v in values if isinstance(v, str)})
                if isinstance(values, list)
                else []
            )
        if "credentials" in allowed:
            for ident in allowed["credentials"]:
                self.postings[("c", ident)].append(at)
            return
        for combination in itertools.product(
            allowed.get("providers", [ANY]),
            allowed.get("types", [ANY]),
            allowed.get("subjects", [ANY]),
        ):
            self.postings[("f", *combination)].append(at)

    def matching_filters(self, spec: CredentialSpec) -> Iterable[int]:
        """Numbers of the filters whose credential fields the credential passes."""
        seen: set[int] = set()
        keys = [("c", spec.id)]
        subjects = [*dict.fromkeys(spec.subjects), ANY]
        for provider in {spec.provider, ANY}:
            for kind in {spec.type, ANY}:
                for subject in subjects:
                    keys.append(("f", provider, kind, subject))
        for key in keys:
            named = key[0] == "c"  # a filter naming credentials may have any other key
            for at in self.postings.get(key, ()):
                if at in seen:
                    continue
                seen.add(at)
                if named:
                    if spec_matches(spec, self.filters[at][0]):
                        yield at
                    continue
                levels = self._levels[at]
                if levels is None or spec_matches(spec, levels):
                    yield at

    def filter_owners(self, ident: str) -> Iterable[Owner]:
        """Owners of the filter leaves whose credential fields this credential passes."""
        spec = self.index.credentials[ident]
        for at in self.matching_filters(spec):
            yield from self.filters[at][1]

    def owners(self, ident: str, as_held: bool) -> list[Owner]:
        """Rules that name the credential, and, for an entry of it, rules it can serve."""
        found: list[Owner] = list(self.leaf_owners.get(ident, ()))
        if as_held:
            for target in self.recognised.get(ident, ()):
                found.extend(self.leaf_owners.get(target, ()))
            found.extend(self.filter_owners(ident))
        return found

    def touched(
        self, held: Iterable[str], owners: dict[str, list[Owner]] | None = None
    ) -> dict[str, set[str]]:
        """Qualifications whose answer may differ from the empty wallet's for these holdings,
        each with the held credentials that may serve its rule (nested rules included).

        A held credential reaches the rules that name it (directly or through a recognition)
        or whose filters it passes. A qualification so reached reaches the rules naming it
        (nesting); a credential whose prerequisites are reached becomes cheaper to plan, so it
        reaches whatever it could serve, as if held (but serves nothing itself). `owners`, when
        given, remembers each credential's owners for another call about the same wallet.
        """
        known = {} if owners is None else owners
        servers: dict[str, set[str]] = defaultdict(set)
        eased: set[str] = set()
        pending: list[tuple[str, str | None]] = []  # (qualification, new server or None)

        def reach_from(ident: str, server: str | None) -> None:
            found = known.get(ident)
            if found is None:
                found = known[ident] = self.owners(ident, as_held=True)
            for kind, owner in found:
                if kind == REQUIREMENT:
                    pending.append((owner, server))
                elif owner not in eased:
                    eased.add(owner)
                    reach_from(owner, None)

        for ident in set(held):
            reach_from(ident, ident)
        while pending:
            qualification, server = pending.pop()
            found = servers.get(qualification)
            if found is not None and (server is None or server in found):
                continue
            found = servers[qualification]
            if server is not None:
                found.add(server)
            # Nesting: rules naming this qualification reach it; its prerequisites' owners
            # are eased. The server serves inside the nested rule too.
            for kind, owner in self.leaf_owners.get(qualification, ()):
                if kind == REQUIREMENT:
                    pending.append((owner, server))
                elif owner not in eased:
                    eased.add(owner)
                    reach_from(owner, None)
        return servers


def reach(catalogue: Catalogue) -> Reach:
    cache = catalogue.index().cache
    found = cache.get("reach")
    if found is None:
        with long_lived(catalogue):
            found = cache["reach"] = Reach(catalogue.index())
    return found


# -- empty-wallet answers ---------------------------------------------------------------------


@dataclass(eq=False)
class EmptyAnswers:
    """Every qualification's answer for an empty wallet under one cost, and sorted views.

    `relaxed` is the cost, in quanta, of the relaxed optimum (leaves apart, prerequisites
    ignored) for an empty wallet: a lower bound on any plan's cost (None: no bound known).
    """

    cost: str
    answers: dict[str, tuple[str, Any]] = field(default_factory=dict)
    relaxed: dict[str, int | None] = field(default_factory=dict)
    units: dict[str, int | None] = field(default_factory=dict)  # empty plan cost in quanta
    completed: list[str] = field(default_factory=list)  # published, sorted
    unreachable: list[str] = field(default_factory=list)  # published, sorted
    ordered: list[str] = field(default_factory=list)  # published in_progress, by (cost, id)

    def sort_views(self, credentials: dict[str, CredentialSpec]) -> None:
        """Fill `completed`, `unreachable` and `ordered` from `answers`."""
        in_progress: list[tuple[float, str]] = []
        for qualification in sorted(self.answers):
            if not credentials[qualification].is_published:
                continue
            status, detail = self.answers[qualification]
            if status == "completed":
                self.completed.append(qualification)
            elif status == "unreachable":
                self.unreachable.append(qualification)
            else:
                in_progress.append((float(detail.cost), qualification))
        in_progress.sort()
        self.ordered = [qualification for _, qualification in in_progress]


def empty_solver(catalogue: Catalogue) -> Solver:
    cache = catalogue.index().cache
    solver = cache.get("empty-solver")
    if solver is None:
        # Planned entries are dated as_of and meet every limit, so any date gives these plans.
        solver = cache["empty-solver"] = Solver(catalogue.index(), datetime.date(2000, 1, 1), [])
    return solver


def empty_answer(catalogue: Catalogue, qualification: str, cost: str) -> tuple[str, Any]:
    """The empty wallet's answer.

    ("completed", assignment), ("in_progress", plan) or ("unreachable", None).
    """
    cache = catalogue.index().cache
    key = ("empty-answer", qualification, cost)
    found = cache.get(key)
    if found is None:
        solver = empty_solver(catalogue)
        tree = solver.tree(qualification)
        assignment = complete(solver, qualification) if met_by_nothing(tree) else None
        if assignment is not None:
            found = ("completed", assignment)
        else:
            plan = empty_plan(catalogue, qualification, cost)
            found = ("unreachable", None) if plan is None else ("in_progress", plan)
        cache[key] = found
    return found


def met_by_nothing(node: Node) -> bool:
    """False when no assignment of no entries at all can meet the tree (True: it may).

    A credential leaf needs an entry or its nested rule; a credits / count leaf or a
    credits / count part with a threshold above zero needs entries (a share of nothing is
    met); so a tree whose every way needs such a leaf needs entries.
    """
    kind = node.kind
    if kind is None:
        return False
    if kind == "credential":
        return node.expansion is not None and met_by_nothing(node.expansion)
    if kind in CHILD_KINDS:
        met = sum(1 for child in node.children if met_by_nothing(child))
        if kind == "all":
            return met == len(node.children)
        return met >= (1 if kind == "any" else node.needed)
    return reaches(0.0, node.amount) and all(
        reaches(0.0, part.amount) for part in node.parts if part.kind != "share"
    )


def empty_plan(catalogue: Catalogue, qualification: str, cost: str) -> Plan | None:
    """The plan for an empty wallet; it depends on neither the date nor the learner."""
    cache = catalogue.index().cache
    key = ("empty-plan", qualification, cost)
    if key not in cache:
        plan, relaxed = exact.plan_and_bound(empty_solver(catalogue), qualification, cost)
        if plan is exact.UNKNOWN:
            plan = best_plan(empty_solver(catalogue), qualification, cost)
        cache[key] = plan
        cache[("empty-relaxed", qualification, cost)] = relaxed
    return cache[key]


def empty_relaxed(catalogue: Catalogue, qualification: str, cost: str) -> int | None:
    """The relaxed empty-wallet plan cost in quanta, None when unknown (see EmptyAnswers)."""
    empty_plan(catalogue, qualification, cost)
    found = catalogue.index().cache[("empty-relaxed", qualification, cost)]
    return None if found is exact.UNKNOWN else found


def empty_answers(catalogue: Catalogue, cost: str) -> EmptyAnswers:
    """Every qualification's empty-wallet answer under `cost`, computed once per catalogue."""
    cache = catalogue.index().cache
    key = ("empty-answers", cost)
    found = cache.get(key)
    if found is not None:
        return found
    with long_lived(catalogue):
        found = cache[key] = _empty_answers(catalogue, cost)
    return found


def _empty_answers(catalogue: Catalogue, cost: str) -> EmptyAnswers:
    credentials = catalogue.credentials
    result = EmptyAnswers(cost)
    index = catalogue.index()
    nums = exact.numbers(index)
    chosen = sorted(i for i, spec in credentials.items() if spec.is_qualification)
    for qualification in settling(catalogue, chosen):
        status, detail = empty_answer(catalogue, qualification, cost)
        result.answers[qualification] = (status, detail)
        relaxed = empty_relaxed(catalogue, qualification, cost)
        if status == "completed":
            relaxed = 0
        result.relaxed[qualification] = relaxed
        if status == "in_progress":
            result.units[qualification] = _units(nums, catalogue, detail, cost)
    result.sort_views(credentials)
    return result


def _units(nums: Numbers, catalogue: Catalogue, plan: Plan, cost: str) -> int | None:
    """A plan's cost in quanta, or None when the grid cannot hold it."""
    try:
        return sum(
            nums.cost_units(catalogue.credentials[ident], cost) or 0 for ident in plan.credentials
        )
    except exact.Unknown:
        return None


def prepare(catalogue: Catalogue, costs: Iterable[str] = ("credits",)) -> None:
    """Build every per-catalogue table and empty-wallet answer now rather than on first use."""
    warm(catalogue)
    for cost in costs:
        empty_answers(catalogue, cost)


def warm(catalogue: Catalogue) -> None:
    """Build the lookups every evaluation reads (which rules each credential reaches, the
    postings that find a filter's candidates, the cost grids), so that the first request a
    server answers does not pay for them (seconds at a million credentials)."""
    with long_lived(catalogue):
        reach(catalogue)
        index = catalogue.index()
        index.columns()
        nums = exact.numbers(index)
        for cost in COSTS:
            nums.cost_scale(cost)


# -- prepared answers kept outside the process --------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """One qualification's empty-wallet answer under one cost, in plain values.

    What `empty_answers` computes for a catalogue can be kept (the registry keeps it in its
    database per catalogue revision) and handed to another process's copy of the same
    catalogue with `install_prepared`, which then answers exactly as if it had computed it.
    `units` and `relaxed` are quanta of `exact.numbers(...).cost_scale(cost)`; None where the
    answer has no such figure (a conservative value for every use of them).
    """

    qualification: str
    status: str  # "completed" | "in_progress" | "unreachable"
    plan: tuple[str, ...] | None = None
    plan_cost: float | None = None
    assignment: list[dict] | None = None
    units: int | None = None
    relaxed: int | None = None


def prepared_answers(catalogue: Catalogue, cost: str) -> Iterator[Prepared]:
    """Every qualification's empty-wallet answer under `cost`, computed here if need be."""
    empty = empty_answers(catalogue, cost)
    for qualification, (status, detail) in empty.answers.items():
        yield Prepared(
            qualification,
            status,
            plan=tuple(detail.credentials) if status == "in_progress" else None,
            plan_cost=float(detail.cost) if status == "in_progress" else None,
            assignment=detail if status == "completed" else None,
            units=empty.units.get(qualification),
            relaxed=empty.relaxed.get(qualification),
        )


def install_prepared(catalogue: Catalogue, cost: str, prepared: Iterable[Prepared]) -> None:
    """Take empty-wallet answers computed elsewhere for this same catalogue.

    Refuses (ValueError) a set that does not cover every qualification exactly, so a partial
    or foreign set cannot stand in for the real answers.
    """
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r}")
    credentials = catalogue.credentials
    index = catalogue.index()
    nums = Numbers(index)  # the catalogue keeps it only once the set is taken
    result = EmptyAnswers(cost)
    entries: dict[Any, Any] = {}
    for row in prepared:
        qualification = row.qualification
        spec = credentials.get(qualification)
        if spec is None or not spec.is_qualification or qualification in result.answers:
            raise ValueError(f"prepared answers do not fit this catalogue: {qualification!r}")
        if row.status == "completed":
            detail: Any = list(row.assignment or [])
        elif row.status == "in_progress":
            if row.plan is None or row.plan_cost is None:
                raise ValueError(f"prepared answer for {qualification!r} has no plan")
            # The total is added up again from the plan: sets prepared before totals were
            # exact decimals hold float sums (4.199999999999999 for 1.4 + 2.8).
            detail = Plan(tuple(row.plan), plan_total(index, row.plan, cost, nums))
            entries[("empty-plan", qualification, cost)] = detail
            entries[("empty-relaxed", qualification, cost)] = row.relaxed
            result.units[qualification] = row.units
        elif row.status == "unreachable":
            detail = None
            entries[("empty-plan", qualification, cost)] = None
            entries[("empty-relaxed", qualification, cost)] = row.relaxed
        else:
            raise ValueError(f"prepared answer for {qualification!r}: status {row.status!r}")
        result.answers[qualification] = (row.status, detail)
        entries[("empty-answer", qualification, cost)] = (row.status, detail)
        result.relaxed[qualification] = row.relaxed
    expected = sum(1 for spec in credentials.values() if spec.is_qualification)
    if len(result.answers) != expected:
        raise ValueError(
            f"prepared answers cover {len(result.answers)} of {expected} qualifications"
        )
    result.sort_views(credentials)
    cache = index.cache
    cache.update(entries)
    cache.setdefault(NUMBERS_KEY, nums)
    cache[("empty-answers", cost)] = result


def has_prepared(catalogue: Catalogue, cost: str) -> bool:
    """Whether this catalogue already holds every empty-wallet answer under `cost`."""
    return ("empty-answers", cost) in catalogue.index().cache


@contextlib.contextmanager
def long_lived(catalogue: Catalogue, *, settle: bool = True) -> Iterator[None]:
    """Build per-catalogue tables of a large catalogue, which live as long as it does,
    without the cyclic collector, and freeze them out of its reach afterwards
    (`gc.freeze`, through `settle_tables`): collections during the build would scan the
    growing tables over and over, and later full collections would scan millions of
    long-lived objects in the middle of a request (0.5-1 s pauses at a million credentials,
    every few requests, when the tables requests build were left to the collector).

    Inside a request (`settle=False`) the freezing waits for `settle_tables` after the
    response, when the request's own objects are gone: frozen, a dropped object that is
    part of a reference cycle (a database session, say) would never be freed. Whoever drops
    such a catalogue calls `gc.unfreeze()` so it can be collected; small catalogues (tests,
    pages) are left to the collector as usual."""
    if len(catalogue.credentials) < FREEZE_FROM:
        yield
        return
    global _unsettled
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _unsettled = True
        if settle:
            settle_tables()
        if enabled:
            gc.enable()


_unsettled = False  # tables built under long_lived wait to be frozen


def settle_build(catalogue: Catalogue) -> None:
    """Inside a long build under `long_lived` (every qualification's empty-wallet answer):
    free the garbage cycles made so far and freeze what survives, so that they do not pile
    up while the collector is off for the whole build. Each collection here reaches only
    what came since the last one. (`flask stacking prepare` at 1M peaks at about 1.2 GB with
    or without it; the 4.6 GB once blamed on those cycles was the benchmark runner's own
    memory.) Small catalogues: nothing to do."""
    if len(catalogue.credentials) >= FREEZE_FROM:
        _freeze_survivors()


FREEZE_EVERY = 1000  # qualifications planned between two `settle_build` calls


def settling(catalogue: Catalogue, qualifications: Iterable[str]) -> Iterator[str]:
    """The qualifications of a long build, calling `settle_build` every `FREEZE_EVERY`."""
    for number, qualification in enumerate(qualifications, start=1):
        if number % FREEZE_EVERY == 0:
            settle_build(catalogue)
        yield qualification


def settle_tables() -> None:
    """Freeze the tables built since the last call, after collecting what is garbage.

    Call it where nothing short-lived is alive (after a response, between requests). The
    collection reaches only objects not frozen yet, so it costs what was built since, not the
    catalogue; it does nothing when no large catalogue's tables were built.
    """
    global _unsettled
    if _unsettled:
        _unsettled = False
        _freeze_survivors()


def _freeze_survivors() -> None:
    """Collect what is garbage (only objects not frozen yet are reached), freeze the rest."""
    gc.collect()
    gc.freeze()


FREEZE_FROM = 20_000  # credentials
