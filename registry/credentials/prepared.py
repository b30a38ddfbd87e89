"""Empty-wallet answers kept in the database per catalogue revision.

Every evaluation starts from every qualification's answer for an empty wallet (STACKING.md:
what a wallet does not touch keeps it). Computing them takes seconds for thousands of
qualifications and minutes, and more memory than a serving worker should hold, for a
national catalogue. `prepare` computes them once per catalogue revision (`flask stacking
prepare`, after an import or a round of publications) and keeps them; every app server that
loads that revision of the catalogue installs them instead of computing them
(`cached_catalogue` calls `install`). A revision without prepared answers is still answered
exactly: the worker computes what it needs, as before.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from registry.credentials.catalogue import current_revision, load_catalogue
from registry.credentials.models import STACKING_COSTS, PreparedAnswer, PreparedSet
from registry.errors import FieldError, ValidationError
from registry.stacking import Catalogue
from registry.stacking.engine import (
    Prepared,
    empty_answer,
    has_prepared,
    install_prepared,
    long_lived,
    prepared_answers,
    settling,
)

LOAD_BATCH = 5_000  # answer rows fetched at a time when installing
BIGINT = 2**63 - 1


def check_costs(costs: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(costs))
    unknown = [cost for cost in chosen if cost not in STACKING_COSTS]
    if unknown or not chosen:
        raise ValidationError(FieldError("cost", f"cost must be among {', '.join(STACKING_COSTS)}"))
    return chosen


def prepare(
    session: Session,
    costs: Iterable[str] = STACKING_COSTS,
    *,
    force: bool = False,
    progress: Callable[[list[str], str], contextlib.AbstractContextManager[Iterable[str]]]
    | None = None,
) -> list[PreparedSet]:
    """Compute and keep the empty-wallet answers of the current catalogue revision.

    Costs already prepared for this revision are left alone unless `force`; sets of older
    revisions are deleted. `progress(qualifications, cost)` may give a context that wraps
    the loop over qualifications (a click progress bar). The caller commits.
    """
    chosen = check_costs(costs)
    revision = current_revision(session)
    done = set(session.scalars(select(PreparedSet.cost).where(PreparedSet.revision == revision)))
    todo = [cost for cost in chosen if force or cost not in done]
    written: list[PreparedSet] = []
    if todo:
        catalogue = load_catalogue(session)
        qualifications = sorted(i for i, s in catalogue.credentials.items() if s.is_qualification)
        for cost in todo:
            started = time.perf_counter()
            with long_lived(catalogue):
                wrapped = progress or (lambda items, _: contextlib.nullcontext(items))
                with wrapped(qualifications, cost) as loop:
                    for qualification in settling(catalogue, loop):
                        empty_answer(catalogue, qualification, cost)
                rows = list(prepared_answers(catalogue, cost))
            seconds = time.perf_counter() - started
            if cost in done:
                session.execute(
                    delete(PreparedSet).where(
                        PreparedSet.revision == revision, PreparedSet.cost == cost
                    )
                )
            written.append(_store(session, revision, cost, rows, seconds))
    session.execute(delete(PreparedSet).where(PreparedSet.revision < revision))
    return written


def _store(
    session: Session, revision: int, cost: str, rows: list[Prepared], seconds: float
) -> PreparedSet:
    prepared_set = PreparedSet(
        revision=revision, cost=cost, qualifications=len(rows), seconds=round(seconds, 3)
    )
    session.add(prepared_set)
    session.flush()
    # Plain rows in one executemany (SQLAlchemy batches it): tens of thousands per cost.
    session.execute(
        insert(PreparedAnswer),
        [
            {
                "revision": revision,
                "cost": cost,
                "qualification_id": row.qualification,
                "status": row.status,
                "plan": list(row.plan) if row.plan is not None else None,
                "plan_cost": row.plan_cost,
                "assignment": row.assignment,
                "units": _fits(row.units),
                "relaxed": _fits(row.relaxed),
            }
            for row in rows
        ],
    )
    return prepared_set


def _fits(value: int | None) -> int | None:
    """A figure the column can hold; None (no figure, which only loosens bounds) otherwise."""
    return value if value is not None and -BIGINT <= value <= BIGINT else None


def install(session: Session, catalogue: Catalogue, revision: int) -> list[str]:
    """Give `catalogue` (this database at `revision`) the answers prepared for it.

    Returns the costs installed. A set that does not fit the catalogue (it cannot, unless the
    table was edited by hand) is skipped, and those answers are computed when needed.
    """
    installed = []
    costs = session.scalars(
        select(PreparedSet.cost).where(PreparedSet.revision == revision).order_by(PreparedSet.cost)
    ).all()
    for cost in costs:
        if has_prepared(catalogue, cost):
            continue
        rows = session.execute(
            select(
                PreparedAnswer.qualification_id,
                PreparedAnswer.status,
                PreparedAnswer.plan,
                PreparedAnswer.plan_cost,
                PreparedAnswer.assignment,
                PreparedAnswer.units,
                PreparedAnswer.relaxed,
            ).where(PreparedAnswer.revision == revision, PreparedAnswer.cost == cost),
            execution_options={"yield_per": LOAD_BATCH},
        )
        try:
            install_prepared(
                catalogue,
                cost,
                (
                    Prepared(
                        q,
                        status,
                        None if plan is None else tuple(plan),
                        plan_cost,
                        assignment,
                        units,
                        relaxed,
                    )
                    for q, status, plan, plan_cost, assignment, units, relaxed in rows
                ),
            )
        except ValueError:
            continue
        installed.append(cost)
    return installed
