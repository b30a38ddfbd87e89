"""The full-text match on each database: SQLite FTS5 with bm25, PostgreSQL tsvector with ts_rank.

A back end answers one question: which index rows match these terms, and how well. Lower
scores rank first on both (bm25 is negative for good matches; ts_rank is negated). Words
reach the database only as quoted FTS5 strings or as bound parameters of PostgreSQL's
`plainto_tsquery` / `phraseto_tsquery`, never as query syntax.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from sqlalchemy.engine import Connection

from registry.search.query import Terms

# Column weights for bm25, in the FTS5 table's column order:
# title, provider_name, subject_text, outcomes, description.
BM25 = "bm25(search_fts, 10.0, 4.0, 4.0, 2.0, 1.0)"


class Backend(Protocol):
    """Finds the rows with every phrase of `terms.find` and none of `terms.exclude`.

    `terms.find` is never empty: a query of exclusions alone is answered by the caller as
    everything except the matches of the excluded phrases.
    """

    def ids(self, connection: Connection, terms: Terms) -> np.ndarray:
        """Version ids of every matching row, unranked (the cheapest full-text question)."""

    def matches(self, connection: Connection, terms: Terms) -> tuple[np.ndarray, np.ndarray]:
        """Version ids of every matching row and their scores (lower is better)."""

    def top(self, connection: Connection, terms: Terms, limit: int) -> list[int]:
        """The best `limit` version ids by score, ties newest first: the raw full-text query."""


def _rows(connection: Connection, statement: str, params: Any) -> list[tuple]:
    """Rows straight from the driver's cursor: thousands of matches, no per-row objects."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(statement, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _ids(rows: list[tuple]) -> np.ndarray:
    return np.fromiter((r[0] for r in rows), np.int64, len(rows))


def _arrays(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    ids, scores = zip(*rows, strict=True)
    return np.fromiter(ids, np.int64, len(ids)), np.fromiter(scores, np.float64, len(scores))


class SqliteBackend:
    """FTS5 over `search_fts` (external content: the `search_entries` rows)."""

    @staticmethod
    def expression(terms: Terms) -> str:
        """The MATCH string: every phrase quoted, so no operator the learner typed survives."""

        def quoted(phrase: tuple[str, ...]) -> str:
            return '"' + " ".join(phrase).replace('"', '""') + '"'

        find = " AND ".join(quoted(p) for p in terms.find)
        exclude = " OR ".join(quoted(p) for p in terms.exclude)
        if find and exclude:
            return f"({find}) NOT ({exclude})"
        return find

    def ids(self, connection: Connection, terms: Terms) -> np.ndarray:
        # One string of every rowid: half the time of a row per match at 100k matches.
        rows = _rows(
            connection,
            "SELECT group_concat(rowid) FROM search_fts WHERE search_fts MATCH ?",
            (self.expression(terms),),
        )
        joined = rows[0][0] if rows else None
        if not joined:
            return np.empty(0, dtype=np.int64)
        return np.array(str(joined).split(","), dtype=np.int64)

    def matches(self, connection: Connection, terms: Terms) -> tuple[np.ndarray, np.ndarray]:
        rows = _rows(
            connection,
            f"SELECT rowid, {BM25} FROM search_fts WHERE search_fts MATCH ?",
            (self.expression(terms),),
        )
        return _arrays(rows)

    def top(self, connection: Connection, terms: Terms, limit: int) -> list[int]:
        rows = _rows(
            connection,
            f"SELECT rowid FROM search_fts WHERE search_fts MATCH ?"
            f" ORDER BY {BM25}, rowid DESC LIMIT ?",
            (self.expression(terms), limit),
        )
        return [r[0] for r in rows]


class PostgresBackend:
    """A weighted, generated `document` tsvector on `search_entries` with a GIN index."""

    @staticmethod
    def expression(terms: Terms) -> tuple[str, dict[str, str]]:
        """A tsquery built from bound words: plainto/phraseto_tsquery joined with && and !!."""
        params: dict[str, str] = {}

        def part(phrase: tuple[str, ...]) -> str:
            name = f"t{len(params)}"
            params[name] = " ".join(phrase)
            function = "phraseto_tsquery" if len(phrase) > 1 else "plainto_tsquery"
            return f"{function}('english', %({name})s)"

        find = " && ".join(part(p) for p in terms.find)
        exclude = " || ".join(part(p) for p in terms.exclude)
        if find and exclude:
            return f"({find}) && !!({exclude})", params
        return find, params

    def ids(self, connection: Connection, terms: Terms) -> np.ndarray:
        query, params = self.expression(terms)
        statement = (
            "SELECT e.version_id FROM search_entries AS e,"
            f" (SELECT {query} AS q) AS q WHERE e.document @@ q.q"
        )
        return _ids(_rows(connection, statement, params))

    def matches(self, connection: Connection, terms: Terms) -> tuple[np.ndarray, np.ndarray]:
        query, params = self.expression(terms)
        statement = (
            "SELECT e.version_id, -ts_rank(e.document, q.q) FROM search_entries AS e,"
            f" (SELECT {query} AS q) AS q WHERE e.document @@ q.q"
        )
        return _arrays(_rows(connection, statement, params))

    def top(self, connection: Connection, terms: Terms, limit: int) -> list[int]:
        query, params = self.expression(terms)
        statement = (
            "SELECT e.version_id FROM search_entries AS e,"
            f" (SELECT {query} AS q) AS q WHERE e.document @@ q.q"
            " ORDER BY ts_rank(e.document, q.q) DESC, e.version_id DESC LIMIT %(limit)s"
        )
        return [r[0] for r in _rows(connection, statement, {**params, "limit": limit})]


def backend_for(connection: Connection) -> Backend:
    """The back end for the database this connection talks to."""
    if connection.dialect.name == "postgresql":
        return PostgresBackend()
    return SqliteBackend()


def match_count(connection: Connection, terms: Terms) -> int:
    """How many index rows match (for tests and the benchmark's sanity checks)."""
    return len(backend_for(connection).matches(connection, terms)[0])
