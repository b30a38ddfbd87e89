"""The facet values of the whole index in memory, and counts over any set of its rows.

The full-text engines find the matching rows; counting eight facets over them in SQL would
mean eight more passes over the matches. Instead each app server keeps every indexed row's
facet values as numpy arrays (a few bytes a row), reloaded when the index's revision moves
(`search_state`, changed in the transaction of every reindex), and counts with `bincount`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry.search.models import SearchState

# Facets with one value per credential, and the index column each reads.
SINGLE: dict[str, str] = {
    "provider": "provider_id",
    "type": "type",
    "level": "level",
    "credits": "credits_band",
    "participation": "participation_form",
    "price": "price_band",
}
# Facets with several values per credential, and their tables.
MULTI: dict[str, str] = {"subject": "search_subjects", "language": "search_languages"}
FACETS: tuple[str, ...] = (
    "provider",
    "type",
    "level",
    "credits",
    "subject",
    "participation",
    "language",
    "price",
)
NONE = "none"  # the value of a credential without one (no level, no form of participation)


@dataclass
class Facet:
    """One facet's values: a code per row (or per (row, value) pair) and the code's value."""

    values: list[str]
    codes: np.ndarray  # int32, one per row; for a many-valued facet one per pair
    rows: np.ndarray | None = None  # for a many-valued facet: the row of each pair
    lookup: dict[str, int] = field(default_factory=dict)

    def selecting(self, wanted: Iterable[str]) -> np.ndarray:
        """A boolean table over codes: True for the wanted values."""
        table = np.zeros(len(self.values), dtype=bool)
        for value in wanted:
            code = self.lookup.get(value)
            if code is not None:
                table[code] = True
        return table

    def mask(self, wanted: Iterable[str], size: int) -> np.ndarray:
        """Rows having at least one of the wanted values."""
        table = self.selecting(wanted)
        if self.rows is None:
            return table[self.codes]
        out = np.zeros(size, dtype=bool)
        out[self.rows[table[self.codes]]] = True
        return out

    def counts(self, rows: np.ndarray | None) -> np.ndarray:
        """How many of the given rows (a boolean mask, None for all) have each value."""
        if rows is None:
            return np.bincount(self.codes, minlength=len(self.values))
        if self.rows is None:
            return np.bincount(self.codes[rows], minlength=len(self.values))
        return np.bincount(self.codes[rows[self.rows]], minlength=len(self.values))


@dataclass
class Columns:
    """Every indexed row's facet values and sort keys, rows in version id order."""

    revision: int
    version_ids: np.ndarray  # int64, ascending
    facets: dict[str, Facet]
    credits: np.ndarray  # float64 ECTS, NaN when none
    price: np.ndarray  # float64, NaN when none
    _orders: dict[str, np.ndarray] = field(default_factory=dict)
    _all_counts: dict[str, np.ndarray] | None = None

    @property
    def size(self) -> int:
        return len(self.version_ids)

    def positions(self, version_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of these version ids, and which of them the columns hold."""
        at = np.searchsorted(self.version_ids, version_ids)
        held = at < self.size
        held[held] = self.version_ids[at[held]] == version_ids[held]
        return at, held

    def order(self, key: str) -> np.ndarray:
        """Every row position sorted by credits or price (missing last), then newest first."""
        if key not in self._orders:
            values = self.credits if key == "credits" else self.price
            newest = -self.version_ids
            self._orders[key] = np.lexsort((newest, np.nan_to_num(values, nan=np.inf)))
        return self._orders[key]

    def all_counts(self) -> dict[str, np.ndarray]:
        """Facet counts over the whole index (the page before any search), kept per revision."""
        if self._all_counts is None:
            self._all_counts = {name: facet.counts(None) for name, facet in self.facets.items()}
        return self._all_counts


def _factorise(values: Sequence[object]) -> Facet:
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(NONE if v is None else str(v), len(lookup)) for v in values),
        dtype=np.int32,
        count=len(values),
    )
    return Facet(values=list(lookup), codes=codes, lookup=lookup)


def load_columns(session: Session, revision: int) -> Columns:
    """Read the facet columns of the whole index."""
    names = list(SINGLE.values())
    # Straight from the driver's cursor: a million rows, no per-row objects on the way.
    connection = session.connection()
    rows = _rows(
        connection,
        _select(f"version_id, {', '.join(names)}, credits_ects, price", "search_entries"),
    )
    version_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    facets = {facet: _factorise([r[i] for r in rows]) for i, facet in enumerate(SINGLE, start=1)}
    width = len(names) + 1
    credits = np.array([r[width] for r in rows], dtype=np.float64)
    price = np.array([r[width + 1] for r in rows], dtype=np.float64)
    del rows
    columns = Columns(revision, version_ids, facets, credits, price)
    for facet, table in MULTI.items():
        pairs = _rows(connection, _select("version_id, code", table))
        ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        at, held = columns.positions(ids)
        multi = _factorise([p[1] for p, keep in zip(pairs, held, strict=True) if keep])
        multi.rows = at[held]
        facets[facet] = multi
    return columns


def _select(columns: str, table: str) -> str:
    """A read of whole index tables (names from this module's constants only)."""
    order = " ORDER BY version_id" if table == "search_entries" else ""
    return f"SELECT {columns} FROM {table}{order}"


def _rows(connection: Connection, statement: str) -> list[tuple]:
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(statement)
        return cursor.fetchall()
    finally:
        cursor.close()


_lock = threading.Lock()
_cache: dict[str, Columns] = {}


def current_revision(session: Session) -> int:
    return session.scalar(select(SearchState.revision)) or 0


def cached_columns(session: Session) -> Columns:
    """The facet columns for this database, reloaded only when the index has changed."""
    key = str(session.get_bind().engine.url)
    revision = current_revision(session)
    held = _cache.get(key)
    if held is not None and held.revision == revision:
        return held
    with _lock:
        held = _cache.get(key)
        if held is not None and held.revision == revision:
            return held
        columns = load_columns(session, revision)
        _cache[key] = columns
        return columns
