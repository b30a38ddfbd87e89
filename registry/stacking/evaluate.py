"""The evaluation request: parse it, judge every qualification, answer per STACKING.md."""

from __future__ import annotations

import datetime
import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from registry.stacking import exact
from registry.stacking.dates import add_years, parse_date
from registry.stacking.engine import COSTS, empty_answers, empty_plan, long_lived, reach
from registry.stacking.fastpath import best_plan, complete
from registry.stacking.index import CatalogueIndex
from registry.stacking.model import Catalogue
from registry.stacking.numbers import exact_cost
from registry.stacking.rules import CHILD_KINDS
from registry.stacking.solver import Item, Node, Plan, Solver, eligible

DEFAULT_COST = "credits"  # what a request without `cost` minimises


class BadRequest(ValueError):
    """A request the engine cannot answer; `field` names the place, e.g. "wallet[3].credential"."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Request:
    """A checked evaluation request."""

    wallet: tuple[Item | None, ...]  # None: the entry does not count (rule 1)
    as_of: datetime.date
    qualifications: tuple[str, ...]
    cost: str
    limit: int | None

    @property
    def valid_items(self) -> list[Item]:
        return [item for item in self.wallet if item is not None]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_request(
    catalogue: Catalogue, request: Mapping, today: datetime.date | None = None
) -> Request:
    """Check a request and keep the wallet entries that count; raises BadRequest."""
    if not isinstance(request, Mapping):
        raise BadRequest("", "the request must be an object")
    credentials = catalogue.credentials

    raw_as_of = request.get("as_of")
    if raw_as_of is None:
        as_of = today or datetime.date.today()
    else:
        parsed = parse_date(raw_as_of)
        if parsed is None:
            raise BadRequest("as_of", "as_of must be a date YYYY-MM-DD")
        as_of = parsed

    cost = request.get("cost")
    if cost is None:
        cost = DEFAULT_COST
    if cost not in COSTS:
        raise BadRequest("cost", "cost must be one of credits, count, price")

    limit = request.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise BadRequest("limit", "limit must be a whole number >= 0")

    raw_wallet = request.get("wallet", [])
    if raw_wallet is None:
        raw_wallet = []
    if not isinstance(raw_wallet, list):
        raise BadRequest("wallet", "wallet must be a list of entries")
    wallet = tuple(
        _parse_entry(catalogue, entry, f"wallet[{n}]", n, as_of)
        for n, entry in enumerate(raw_wallet)
    )

    raw_qualifications = request.get("qualifications")
    if raw_qualifications is None:
        chosen = published_qualifications(catalogue)
    else:
        if not isinstance(raw_qualifications, list):
            raise BadRequest("qualifications", "qualifications must be a list of ids")
        for n, ident in enumerate(raw_qualifications):
            where = f"qualifications[{n}]"
            if not isinstance(ident, str) or ident not in credentials:
                raise BadRequest(where, f"unknown qualification {ident!r}")
            if not credentials[ident].is_qualification:
                raise BadRequest(where, f"'{ident}' is not a qualification")
        chosen = tuple(sorted(set(raw_qualifications)))
    return Request(wallet, as_of, chosen, cost, limit)


def published_qualifications(catalogue: Catalogue) -> tuple[str, ...]:
    """Every published qualification's id, sorted (cached per catalogue)."""
    cache = catalogue.index().cache
    found = cache.get("published-qualifications")
    if found is None:
        found = cache["published-qualifications"] = tuple(
            sorted(
                ident
                for ident, spec in catalogue.credentials.items()
                if spec.is_qualification and spec.is_published
            )
        )
    return found


def _parse_entry(
    catalogue: Catalogue, entry: object, where: str, number: int, as_of: datetime.date
) -> Item | None:
    if not isinstance(entry, Mapping):
        raise BadRequest(where, "a wallet entry must be an object")
    ident = entry.get("credential")
    if not isinstance(ident, str) or ident not in catalogue.credentials:
        raise BadRequest(f"{where}.credential", f"unknown credential {ident!r}")
    spec = catalogue.credentials[ident]
    earned_on = parse_date(entry.get("earned_on"))
    if earned_on is None:
        raise BadRequest(f"{where}.earned_on", "earned_on must be a date YYYY-MM-DD")
    expires_on = None
    if entry.get("expires_on") is not None:
        expires_on = parse_date(entry["expires_on"])
        if expires_on is None:
            raise BadRequest(f"{where}.expires_on", "expires_on must be a date YYYY-MM-DD")
    revoked = entry.get("revoked", False)
    if revoked is None:
        revoked = False
    if not isinstance(revoked, bool):
        raise BadRequest(f"{where}.revoked", "revoked must be true or false")
    result = entry.get("result")
    if result is not None and not (isinstance(result, str) or _is_number(result)):
        raise BadRequest(f"{where}.result", "result must be a string or a number")
    counted = entry.get("counted_toward", [])
    if counted is None:
        counted = []
    if not isinstance(counted, list):
        raise BadRequest(f"{where}.counted_toward", "counted_toward must be a list of ids")
    for n, other in enumerate(counted):
        if not isinstance(other, str) or other not in catalogue.credentials:
            raise BadRequest(f"{where}.counted_toward[{n}]", f"unknown qualification {other!r}")

    # Rule 1: revoked, future and expired entries do not count.
    if revoked or earned_on > as_of:
        return None
    if expires_on is None and spec.valid_years is not None:
        expires_on = add_years(earned_on, spec.valid_years)
    if expires_on is not None and expires_on < as_of:
        return None
    return Item(number, spec, earned_on, result, frozenset(counted))


def judge(catalogue: Catalogue, solver: Solver, qualification: str, cost: str) -> tuple[str, Any]:
    """("completed", assignment) | ("in_progress", (progress, plan)) | ("unreachable", None)."""
    assignment = complete(solver, qualification)
    if assignment is not None:
        return "completed", assignment
    plan = best_plan(solver, qualification, cost)
    if plan is None:
        return "unreachable", None
    return "in_progress", (progress(catalogue, solver, qualification, cost, plan), plan)


def progress(
    catalogue: Catalogue, solver: Solver, qualification: str, cost: str, plan: Plan
) -> float | None:
    """Rule 8 for an incomplete, reachable qualification."""
    baseline = empty_plan(catalogue, qualification, cost)
    if baseline is None:
        return None  # only credentials no longer published make it reachable
    index = catalogue.index()
    if baseline.cost > 0 and plan.cost > 0:
        return _share_done(index, plan, baseline, cost)
    # The requested cost cannot tell: count the credentials instead.
    counted = plan if cost == "count" else best_plan(solver, qualification, "count")
    counted_baseline = empty_plan(catalogue, qualification, "count")
    if counted is None or counted_baseline is None or counted_baseline.cost <= 0:
        return 0.0
    return _share_done(index, counted, counted_baseline, "count")


def _share_done(index: CatalogueIndex, plan: Plan, baseline: Plan, cost: str) -> float:
    """1 - plan / baseline on the exact decimal costs, so equal shares are equal floats (two
    float totals with the same decimal sum may differ in their last bit)."""
    try:
        remaining = exact_cost(index, plan.credentials, cost)
        total = exact_cost(index, baseline.credentials, cost)
    except exact.Unknown:
        return min(1.0, max(0.0, 1.0 - plan.cost / baseline.cost))
    return min(1.0, max(0.0, float(1 - remaining / total)))


def evaluate(catalogue: Catalogue, request: Mapping, *, today: datetime.date | None = None) -> dict:
    """The STACKING.md answer for `request`; raises BadRequest on a bad request."""
    parsed = parse_request(catalogue, request, today)
    # The leaf tables and lines a request builds are kept with the catalogue: long-lived,
    # frozen by `settle_tables` once the request's own objects are gone.
    with long_lived(catalogue, settle=False):
        return _evaluate(catalogue, request, parsed)


def _evaluate(catalogue: Catalogue, request: Mapping, parsed: Request) -> dict:
    empty = empty_answers(catalogue, parsed.cost)
    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)
    owners: dict[str, list] = {}  # what each credential reaches, for both walks below
    servers = reach(catalogue).touched((item.spec.id for item in parsed.valid_items), owners)
    opened = _opened(catalogue, parsed, owners)
    everything = request.get("qualifications") is None
    wanted = None if everything else set(parsed.qualifications)
    completed: list[dict] = []
    rows: list[tuple[tuple, dict]] = []  # exact in_progress rows with their sort keys
    # optimistic key, id, bound, the serving entries while its tree bound is not taken, and
    # its exact search once started
    pending: list[tuple[tuple, str, int | None, list[Item] | None, exact.Search | None]] = []
    settled: set[str] = set()  # touched, answered here rather than by the empty wallet
    unreachable: list[str] = []
    bounds = Bounds(catalogue, empty, parsed.cost)
    held_by_id: dict[str, list[Item]] = {}
    for item in parsed.valid_items:
        held_by_id.setdefault(item.spec.id, []).append(item)
    for qualification in sorted(servers):
        if wanted is not None and qualification not in wanted:
            continue
        if wanted is None and not catalogue.credentials[qualification].is_published:
            continue
        settled.add(qualification)
        status = empty.answers[qualification][0]
        # Only the entries that may serve the rule (nested rules included) and that its
        # max_reuse accepts (rule 7) can lower it.
        serving = accepted(catalogue, qualification, servers[qualification], held_by_id)
        bound = bounds.plan_bound(qualification, {item.spec.id for item in serving})
        # The tree bound waits until the qualification could enter the top (most never do)
        # unless it may prove now that the wallet does not complete the rule.
        deferred = status == "in_progress" and bound is not None and bound > 0
        if status == "in_progress" and not deferred:
            least = bounds.tree_bound(solver, qualification, serving)
            bound = least if bound is None else max(bound, least)
        # A wallet that cannot bring the plan's cost down to 0 cannot complete the rule.
        if status == "completed" or bound is None or bound <= 0:
            assignment = complete(solver, qualification, servers[qualification])
            if assignment is not None:
                completed.append({"qualification": qualification, "assignment": assignment})
                continue
        if status == "unreachable":
            if qualification not in opened:
                unreachable.append(qualification)
                continue
            row = _judge_plan(catalogue, solver, qualification, parsed.cost)
            if row is None:
                unreachable.append(qualification)
            else:
                rows.append((in_progress_key(row), row))
            continue
        key = bounds.optimistic_key(qualification, bound, solver, serving)
        pending.append((key, qualification, bound, serving if deferred else None, None))

    # Qualifications the wallet does not touch keep their empty-wallet answers.
    if everything:
        completed.extend(
            {"qualification": q, "assignment": empty.answers[q][1]}
            for q in empty.completed
            if q not in settled
        )
        unreachable.extend(q for q in empty.unreachable if q not in settled)
        untouched = (q for q in empty.ordered if q not in settled)
    else:
        untouched_all = []
        for qualification in parsed.qualifications:
            if qualification in settled:
                continue
            status, detail = empty.answers[qualification]
            if status == "completed":
                completed.append({"qualification": qualification, "assignment": detail})
            elif status == "unreachable":
                unreachable.append(qualification)
            else:
                untouched_all.append((float(detail.cost), qualification))
        untouched_all.sort()
        untouched = (q for _, q in untouched_all)
    limit = parsed.limit
    for qualification in untouched if limit is None else itertools.islice(untouched, limit):
        plan = empty.answers[qualification][1]
        row = in_progress_row(qualification, 0.0, plan)
        rows.append((in_progress_key(row), row))

    # The wallet's own rows, the most promising first, until none left could enter the top.
    heapq.heapify(pending)
    best: list[tuple] = []  # the `limit` smallest keys so far, as a max-heap of negations
    for key, _ in rows:
        _keep(best, key, limit)
    while pending:
        optimistic, qualification, bound, serving, search = heapq.heappop(pending)
        if limit is not None and len(best) >= limit and (not limit or optimistic > _worst(best)):
            break
        if serving is not None:
            least = bounds.tree_bound(solver, qualification, serving)
            if bound is not None and least > bound:
                # A tighter key, still no greater than the row's: back in line with it.
                key = bounds.optimistic_key(qualification, least)
                heapq.heappush(pending, (key, qualification, least, None, None))
                continue
        if search is None and limit is not None:
            # The exact search's first step, its relaxed optimum, bounds the plan more tightly
            # still: back in line when it is dearer, keeping the search for the plan.
            search = exact.Search(solver, parsed.cost)
            try:
                root = search.start(qualification)
            except exact.Unknown:
                search, root = None, None  # the plan takes its other paths
            if root is not None and root > 0 and (bound is None or root > bound):
                key = bounds.optimistic_key(qualification, root)
                heapq.heappush(pending, (key, qualification, root, None, search))
                continue
        row = _judge_plan(catalogue, solver, qualification, parsed.cost, search)
        if row is None:  # cannot happen: a plan for an empty wallet serves every wallet
            unreachable.append(qualification)
            continue
        key = in_progress_key(row)
        rows.append((key, row))
        _keep(best, key, limit)
    rows.sort(key=lambda pair: pair[0])
    return build_answer(parsed, completed, [row for _, row in rows], unreachable)


def accepted(
    catalogue: Catalogue, qualification: str, servers: set[str], held: Mapping[str, list[Item]]
) -> list[Item]:
    """The held entries of `servers` that the qualification accepts under its `max_reuse`
    (rule 7: the limit applies to every entry it uses, nested rules included)."""
    limit = catalogue.credentials[qualification].max_reuse
    if limit is None:
        return [item for ident in servers for item in held[ident]]
    return [
        item
        for ident in servers
        for item in held[ident]
        if item.reused_elsewhere(qualification) < limit
    ]


def _opened(catalogue: Catalogue, parsed: Request, owners: dict[str, list]) -> set[str]:
    """The qualifications where the wallet may open a way an empty wallet does not have.

    Only an entry that a plan could not add in its place can: one of a credential that cannot
    be planned under the cost (unpublished, a qualification, no price) or that has
    prerequisites (the wallet holds it whether or not they can be met). Given any plan for the
    wallet, planning every other entry it uses instead is a plan for an empty wallet: planned
    entries are new, meet every result filter and need nothing before them. So a qualification
    that an empty wallet cannot reach stays unreachable unless such an entry reaches it
    (through its rule, nesting, or the prerequisites of a credential that serves it).
    """
    nums = exact.numbers(catalogue.index())
    openers = set()
    for item in parsed.valid_items:
        spec = item.spec
        try:
            plannable = nums.cost(spec, parsed.cost) is not None
        except exact.Unknown:
            plannable = False
        if not plannable or spec.prerequisites is not None:
            openers.add(spec.id)
    return set(reach(catalogue).touched(openers, owners)) if openers else set()


class Bounds:
    """Cheap lower bounds on a wallet's plan for a qualification, from its empty answers.

    Planning afresh every credential held that could serve the rule turns any plan for the
    wallet into a relaxed plan for an empty wallet (planned entries are new and meet every
    filter and recency limit; a held qualification that only serves where it is named is
    replaced by its own relaxed plan). So cost(plan) >= relaxed(empty) - sum(cost of those
    held credentials). Where a held credential has no such replacement (it is withdrawn, or
    a qualification whose credits a filter counts), `tree_bound` still bounds the plan.
    """

    def __init__(self, catalogue: Catalogue, empty: Any, cost: str) -> None:
        self.catalogue = catalogue
        self.empty = empty
        self.cost = cost
        self.nums = exact.numbers(catalogue.index())
        self.scale = self.nums.cost_scale(cost)
        self._units: dict[str, int | None] = {}

    def replacement(self, ident: str) -> int | None:
        """What planning afresh in place of a held credential costs, in quanta (None: no
        such replacement is known)."""
        found = self._units.get(ident, -1)
        if found != -1:
            return found
        spec = self.catalogue.credentials[ident]
        if spec.is_qualification:
            # Its own relaxed plan stands in for it where a rule names it, unless it also
            # serves by recognition or passes some credits / count filter: there its entry
            # adds its own credits (or one entry), which no plan of its parts replaces.
            reaching = reach(self.catalogue)
            serves_filters = any(True for _ in reaching.matching_filters(spec))
            found = (
                None
                if reaching.recognised.get(ident) or serves_filters
                else self.empty.relaxed.get(ident)
            )
        else:
            try:
                found = self.nums.cost_units(spec, self.cost)
            except exact.Unknown:
                found = None
        self._units[ident] = found
        return found

    def plan_bound(self, qualification: str, servers: set[str]) -> int | None:
        """A lower bound on the wallet's plan cost in quanta, or None when none is known."""
        relaxed = self.empty.relaxed.get(qualification)
        if relaxed is None:
            return None
        total = relaxed
        for ident in servers:
            units = self.replacement(ident)
            if units is None:
                return None
            total -= units
        return total

    def tree_bound(self, solver: Solver, qualification: str, held: Sequence[Item]) -> int:
        """A lower bound on the wallet's plan cost in quanta from the rule's own numbers.

        Each `credits` / `count` leaf still needs its threshold, and each of its `credits` /
        `count` parts its amount, minus everything held that may serve it (its filter,
        results and recency; `held` should leave out what `max_reuse` refuses, see
        `accepted`; reuse limits are otherwise ignored, which only lowers the bound), and no
        candidate supplies one of them more cheaply than the cheapest class per quantum; a
        credential leaf costs nothing when a held entry may serve it, else its cheapest
        plannable server or its own rule; `all` adds its children (a plan's credentials
        serve one leaf each within a rule), `any` and `at_least` take the cheapest. Unlike
        `plan_bound` it holds when a held credential cannot be planned again (withdrawn).

        A leaf's share of a plan is a whole number of quanta (its credentials' costs), so
        each leaf's bound is rounded up before the tree combines them: whole numbers
        throughout, and never below the bound of the sum rounded once.
        """
        try:
            return self._node_bound(solver, solver.tree(qualification), held, self.cost)
        except exact.Unknown:
            return 0

    def count_bound(self, solver: Solver, qualification: str, held: Sequence[Item]) -> int:
        """`tree_bound` under cost `count`: at least how many credentials any plan for this
        wallet adds. It reads the tables an assignment reads (`exact.assignment_cost`),
        whose classes are every credential a `count` plan may take, so an evaluation under
        `credits` builds no table for it."""
        try:
            return self._node_bound(solver, solver.tree(qualification), held, "count")
        except exact.Unknown:
            return 0

    def _node_bound(self, solver: Solver, node: Node, held: Sequence[Item], cost: str) -> int:
        kind = node.kind
        if kind in CHILD_KINDS:
            found = [self._node_bound(solver, child, held, cost) for child in node.children]
            if kind == "all":
                return sum(found)
            found.sort()
            needed = 1 if kind == "any" else node.needed
            return sum(found[:needed]) if len(found) >= needed else 0
        if kind == "credential":
            index = self.catalogue.index()
            if any(eligible(index, node, item) for item in held):
                return 0
            own = self._server_cost(node, cost)
            if node.expansion is not None:
                inner = self._node_bound(solver, node.expansion, held, cost)
                return inner if own is None else min(own, inner)
            return 0 if own is None else own
        if kind not in ("credits", "count"):
            return 0
        try:
            counting = cost == "count" and self.cost != "count"
            table_cost = exact.assignment_cost(node) if counting else cost
            table = exact.leaf_table(solver, node, table_cost)
            index = self.catalogue.index()
            supplied = [0] * len(table.thresholds)
            for item in held:
                if eligible(index, node, item):
                    _, roles = exact.item_roles(self.nums, table, node, item)
                    for dimension, role in enumerate(roles):
                        if dimension not in table.shares:
                            supplied[dimension] += role
                        elif role > 0:  # a share counts the measure held inside its filter
                            supplied[dimension] += roles[0]
        except exact.Unknown:
            return 0
        # Each "at least" dimension (the leaf's own threshold, a credits or count part) still
        # misses its threshold minus what is held; the plan's credentials must supply it, at
        # no less than the cheapest rate any candidate supplies that dimension at. A share R
        # needs at least R of the total inside its filter, and the total reaches the leaf's
        # threshold T: at least R * T inside, less what is held inside, at the cheapest rate
        # per quantum inside. One credential may feed several dimensions, so the largest of
        # these bounds, not their sum, bounds the leaf.
        least = 0
        rates = self._cheapest_rates(table, cost)
        for dimension, threshold in enumerate(table.thresholds):
            rate = rates[dimension]
            if rate is None:
                continue
            if dimension in table.shares:
                share = table.share_rates[table.shares.index(dimension)]
                # (R * T - held) * rate, over R's denominator to stay whole.
                missing = (
                    share.numerator * table.thresholds[0] - share.denominator * supplied[dimension]
                )
                over = share.denominator * rate.denominator
            else:
                missing = threshold - supplied[dimension]
                over = rate.denominator
                counted = node.kind if dimension == 0 else node.parts[dimension - 1].kind
                if counted == "count" and missing > 0:
                    # Whole entries: at least the `missing` cheapest candidates, where the
                    # rate alone says nothing when some candidates are free.
                    least = max(least, self._cheapest_entries(table, cost, dimension, missing))
            if missing > 0:
                least = max(least, -(-missing * rate.numerator // over))
        return least

    def _cheapest_entries(
        self, table: exact.LeafTable, cost: str, dimension: int, wanted: int
    ) -> int:
        """What the `wanted` cheapest candidates that add to a count dimension cost together,
        in quanta (all of them when there are fewer). The prices and sizes of those classes,
        cheapest first, are kept on the table per cost and dimension."""
        ladder = table.ladders.get((cost, dimension))
        if ladder is None:
            steps = []
            for roles, _, members in table.classes:
                if roles[dimension] > 0:
                    price = self._class_price(members, cost)
                    if price is not None:
                        steps.append((price, len(members)))
            ladder = table.ladders[(cost, dimension)] = sorted(steps)
        total = 0
        for price, size in ladder:
            if size >= wanted:
                return total + price * wanted
            total += price * size
            wanted -= size
        return total

    def _class_price(self, members: exact.Ids, cost: str) -> int | None:
        """A leaf table class's cost in quanta (its members all cost the same)."""
        return self.nums.cost_units(self.catalogue.credentials[members.first()], cost)

    def _server_cost(self, node: Node, cost: str) -> int | None:
        """The cheapest plannable server of a credential leaf in quanta (None: none), kept on
        the node (it reads only the catalogue)."""
        if node.memo is None:
            node.memo = {}
        key = ("bound-server", cost)
        if key not in node.memo:
            servers = self.catalogue.index().servers(node.ident)
            specs = [self.catalogue.credentials.get(ident) for ident in servers]
            costs = [self.nums.cost_units(spec, cost) for spec in specs if spec is not None]
            node.memo[key] = min((c for c in costs if c is not None), default=None)
        return node.memo[key]

    def _cheapest_rates(self, table: exact.LeafTable, cost: str) -> list[Fraction | None]:
        """Per dimension of a leaf table, the least `cost` in quanta per quantum any
        candidate class supplies it at (None: no candidate adds to it), kept on the table."""
        found = table.rates.get(cost)
        if found is None:
            rates: list[Fraction | None] = [None] * len(table.thresholds)
            for roles, _, members in table.classes:
                price = self._class_price(members, cost)
                if price is None:
                    continue
                for dimension, role in enumerate(roles):
                    # A share's rate is per quantum of the leaf's measure inside its filter.
                    supply = roles[0] if dimension in table.shares else role
                    if role > 0 and supply > 0:
                        rate = Fraction(price, supply)
                        known = rates[dimension]
                        rates[dimension] = rate if known is None else min(known, rate)
            found = table.rates[cost] = rates
        return found

    def optimistic_key(
        self,
        qualification: str,
        bound: int | None,
        solver: Solver | None = None,
        held: Sequence[Item] = (),
    ) -> tuple:
        """A sort key no greater than the qualification's in_progress row can have.

        `bound` is a lower bound on the plan's cost in quanta. When it is not positive, the
        plan may cost nothing and rule 8 then counts credentials: given the wallet's solver
        and the entries that may serve (`accepted`), `most_progress` still bounds it.

        The key is rounded as the row is: the row's progress is the float nearest the exact
        1 - plan / baseline and its cost the float nearest the exact decimal sum, and rounding
        to the nearest float never reverses an order. So a bound that the plan meets exactly
        gives the row's own progress and cost, and the ids decide between equal rows.
        """
        baseline = self.empty.units.get(qualification)
        if bound is not None and bound > 0 and baseline:
            progress = _done(baseline - bound, baseline)
            return (False, -progress, bound / self.scale, qualification)
        most = None
        if bound is not None and solver is not None:
            most = self.most_progress(solver, qualification, held)
        if most is None:
            return (False, -1.0, -1.0, qualification)  # anything goes
        return (False, -most, 0.0, qualification)

    def most_progress(
        self, solver: Solver, qualification: str, held: Sequence[Item]
    ) -> float | None:
        """The most progress (rule 8) an incomplete qualification can show for this wallet,
        whatever its plan costs (None: no bound known).

        If the plan costs more than nothing, it costs at least the cheapest credential that
        costs anything (`Numbers.least_positive_units`): progress is at most 1 - that /
        baseline (the empty wallet's plan in quanta). Otherwise rule 8 counts
        credentials: 1 - count(plan) / count(empty plan), where count(plan) is at least
        `count_bound` and count(empty plan) at most the number of credentials in the empty
        wallet's plan under this cost (that plan is one the empty wallet could follow).
        """
        baseline = self.empty.units.get(qualification)
        status, plan = self.empty.answers[qualification]
        if self.cost == "count" or baseline is None or status != "in_progress":
            return None
        least = self.nums.least_positive_units(self.cost)
        most = _done(baseline - least, baseline) if baseline > 0 and least else 0.0
        ceiling = len(plan.credentials)
        if ceiling:
            needed = self.count_bound(solver, qualification, held)
            most = max(most, _done(ceiling - needed, ceiling))
        return most


def _done(part: int, whole: int) -> float:
    """part / whole as rule 8 reports it: the nearest float of the exact fraction, in [0, 1].
    (Dividing two ints rounds the exact quotient once, as `float(Fraction(part, whole))`.)"""
    return min(1.0, max(0.0, part / whole))


def _keep(best: list[tuple], key: tuple, limit: int | None) -> None:
    if limit is None:
        return
    item = _Reversed(key)
    if len(best) < limit:
        heapq.heappush(best, item)
    elif key < best[0].key:
        heapq.heapreplace(best, item)


def _worst(best: list) -> tuple:
    return best[0].key


class _Reversed:
    """A key ordered backwards, so a min-heap of them keeps the largest key on top."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return other.key < self.key


def _judge_plan(
    catalogue: Catalogue,
    solver: Solver,
    qualification: str,
    cost: str,
    started: exact.Search | None = None,
) -> dict | None:
    """The in_progress row of an incomplete qualification, None when unreachable.
    `started`: its exact search, already started (`exact.Search.start`)."""
    plan = best_plan(solver, qualification, cost, started)
    if plan is None:
        return None
    share = progress(catalogue, solver, qualification, cost, plan)
    return in_progress_row(qualification, share, plan)


def in_progress_row(qualification: str, share: float | None, plan: Plan) -> dict:
    return {
        "qualification": qualification,
        "progress": share,
        "plan": list(plan.credentials),
        "plan_cost": float(plan.cost),
    }


def in_progress_key(row: dict) -> tuple:
    """Highest progress first (null after every number), then cheapest plan, then id."""
    share = row["progress"]
    return (share is None, -(share or 0.0), row["plan_cost"], row["qualification"])


def build_answer(
    parsed: Request, completed: list[dict], in_progress: list[dict], unreachable: list[str]
) -> dict:
    in_progress.sort(key=in_progress_key)
    if parsed.limit is not None:
        del in_progress[parsed.limit :]
    return {
        "as_of": parsed.as_of.isoformat(),
        "completed": sorted(completed, key=lambda row: row["qualification"]),
        "in_progress": in_progress,
        "unreachable": sorted(unreachable),
    }
