"""The evaluation request: parse it, judge every qualification, answer per STACKING.md."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.stacking.dates import add_years, parse_date
from registry.stacking.fastpath import best_plan, complete
from registry.stacking.model import Catalogue
from registry.stacking.solver import Item, Plan, Solver

COSTS = ("credits", "count", "price")


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

    cost = request.get("cost", "credits")
    if cost is None:
        cost = "credits"
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
        chosen = tuple(
            sorted(
                i for i, spec in credentials.items() if spec.is_qualification and spec.is_published
            )
        )
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
    from registry.stacking.engine import empty_plan

    baseline = empty_plan(catalogue, qualification, cost)
    if baseline is None:
        return None  # only credentials no longer published make it reachable
    if baseline.cost > 0 and plan.cost > 0:
        return _share_done(plan.cost, baseline.cost)
    # The requested cost cannot tell: count the credentials instead.
    counted = plan if cost == "count" else best_plan(solver, qualification, "count")
    counted_baseline = empty_plan(catalogue, qualification, "count")
    if counted is None or counted_baseline is None or counted_baseline.cost <= 0:
        return 0.0
    return _share_done(counted.cost, counted_baseline.cost)


def _share_done(remaining: float, total: float) -> float:
    return min(1.0, max(0.0, 1.0 - remaining / total))


def evaluate(catalogue: Catalogue, request: Mapping, *, today: datetime.date | None = None) -> dict:
    """The STACKING.md answer for `request`; raises BadRequest on a bad request."""
    parsed = parse_request(catalogue, request, today)
    from registry.stacking.engine import empty_answer, reach

    solver = Solver(catalogue.index(), parsed.as_of, parsed.valid_items)
    touched = reach(catalogue).touched(item.spec.id for item in parsed.valid_items)
    completed, in_progress, unreachable = [], [], []
    for qualification in parsed.qualifications:
        if qualification in touched:
            status, detail = judge(catalogue, solver, qualification, parsed.cost)
        else:  # the wallet changes nothing here: the empty wallet's answer stands
            status, detail = empty_answer(catalogue, qualification, parsed.cost)
            if status == "in_progress":
                detail = (0.0, detail)
        if status == "completed":
            completed.append({"qualification": qualification, "assignment": detail})
        elif status == "unreachable":
            unreachable.append(qualification)
        else:
            share, plan = detail
            in_progress.append(in_progress_row(qualification, share, plan))
    return build_answer(parsed, completed, in_progress, unreachable)


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
