"""Keeping the search index in step: bulk reindexing in SQL, and a flush hook that calls it.

Every change to what learners may see goes through one of two doors. ORM changes (publishing,
suspending, retiring, reinstating, editing, renaming a provider, changing a credit unit's
rate) are caught by `after_flush`, which reindexes the credentials they touch in the same
transaction. The catalogue import writes with bulk statements the ORM does not see, so it
calls `reindex_versions` itself, once, for the range of versions it added.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Iterator

from sqlalchemy import bindparam, event, inspect, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

from registry.credentials.models import Credential, CredentialVersion, CreditUnit
from registry.db import rows_changed
from registry.providers.models import Provider
from registry.search.models import SearchState

# Credit bands are in ECTS (credits times the unit's rate); both lists are (code, low, high)
# with `high` excluded. "none" is a credential without credits or without a price.
CREDIT_BANDS: tuple[tuple[str, float, float | None], ...] = (
    ("0-5", 0, 5),
    ("5-10", 5, 10),
    ("10-30", 10, 30),
    ("30-60", 30, 60),
    ("60+", 60, None),
)
PRICE_BANDS: tuple[tuple[str, float, float | None], ...] = (
    ("free", 0, 0),
    ("0-100", 0, 100),
    ("100-500", 100, 500),
    ("500-1000", 500, 1000),
    ("1000+", 1000, None),
)
NO_VALUE = "none"

_CHUNK = 500  # ids per statement, well under every database's limit on bound parameters


def _band_case(value: str, bands: tuple[tuple[str, float, float | None], ...]) -> str:
    """A SQL CASE giving the band code of `value` (a trusted SQL expression)."""
    arms = []
    for code, low, high in bands:
        if high is None:
            arms.append(f"ELSE '{code}'")
        elif low == high:
            arms.append(f"WHEN {value} = {low} THEN '{code}'")
        else:
            arms.append(f"WHEN {value} < {high} THEN '{code}'")
    return f"CASE WHEN {value} IS NULL THEN '{NO_VALUE}' {' '.join(arms)} END"


def _statements(dialect: str, scope: str) -> list[str]:
    """The SQL that (re)builds the index rows of every published credential in `scope`.

    `scope` is a condition on `c` (credentials) and `v` (their published versions).
    """
    if dialect == "postgresql":

        def elements(column: str, alias: str) -> str:
            return f"json_array_elements_text({column}) AS {alias}(value)"

        def joined(expression: str) -> str:
            return f"string_agg({expression}, ' ')"
    else:

        def elements(column: str, alias: str) -> str:
            return f"json_each({column}) AS {alias}"

        def joined(expression: str) -> str:
            return f"group_concat({expression}, ' ')"

    outcomes = f"(SELECT {joined('o.value')} FROM {elements('v.learning_outcomes', 'o')})"
    words = "s.value || coalesce(' ' || f.name, '')"
    subjects = (
        f"(SELECT {joined(words)}"
        f" FROM {elements('v.subjects', 's')} LEFT JOIN isced_fields AS f ON f.code = s.value)"
    )
    entries = f"""
        INSERT INTO search_entries (version_id, credential_id, provider_id, provider_name,
            title, description, outcomes, subject_text, type, level, credits, credit_unit,
            credits_ects, credits_band, price, price_band, participation_form)
        SELECT v.id, c.id, c.provider_id, p.name, v.title, v.description,
            coalesce({outcomes}, ''), coalesce({subjects}, ''), v.type, v.level, v.credits,
            v.credit_unit, v.credits * u.ects_rate,
            {_band_case("v.credits * u.ects_rate", CREDIT_BANDS)},
            v.price, {_band_case("v.price", PRICE_BANDS)}, v.participation_form
        FROM credentials AS c
        JOIN credential_versions AS v ON v.id = c.published_version_id
        JOIN providers AS p ON p.id = c.provider_id
        JOIN credit_units AS u ON u.code = v.credit_unit
        WHERE {scope}"""
    many = [
        f"""
        INSERT INTO {table} (version_id, code)
        SELECT DISTINCT v.id, x.value
        FROM credentials AS c
        JOIN credential_versions AS v ON v.id = c.published_version_id
        CROSS JOIN {elements("v." + column, "x")}
        WHERE {scope}"""
        for table, column in (("search_subjects", "subjects"), ("search_languages", "languages"))
    ]
    return [entries, *many]


def _run(connection: Connection, delete: str, scope: str, **params: object) -> None:
    expanding = [
        bindparam(name, expanding=True) for name, value in params.items() if _is_list(value)
    ]
    changed = rows_changed(connection.execute(text(delete).bindparams(*expanding), params))
    for statement in _statements(connection.dialect.name, scope):
        result = connection.execute(text(statement).bindparams(*expanding), params)
        changed += max(rows_changed(result), 0)
    # A draft saved or a provider without published credentials renamed changes no row:
    # the revision stays, and no server has to reread the index's facet columns.
    if changed:
        _bump(connection)


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _bump(connection: Connection) -> None:
    """Give the index a new revision; random, so a rolled-back one is never reused."""
    connection.execute(update(SearchState).values(revision=secrets.randbits(31)))


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def reindex_credentials(connection: Connection, ids: Iterable[str]) -> None:
    """Rebuild the index rows of these credentials (dropping those no longer published)."""
    for chunk in _chunks(ids):
        _run(
            connection,
            "DELETE FROM search_entries WHERE credential_id IN :ids",
            "c.id IN :ids",
            ids=chunk,
        )


def reindex_providers(connection: Connection, ids: Iterable[str]) -> None:
    """Rebuild the index rows of every credential of these providers (a renamed provider)."""
    for chunk in _chunks(ids):
        _run(
            connection,
            "DELETE FROM search_entries WHERE provider_id IN :ids",
            "c.provider_id IN :ids",
            ids=chunk,
        )


def reindex_units(connection: Connection, codes: Iterable[str]) -> None:
    """Rebuild the index rows of credentials counted in these credit units (a new rate)."""
    for chunk in _chunks(codes):
        _run(
            connection,
            "DELETE FROM search_entries WHERE credit_unit IN :ids",
            "v.credit_unit IN :ids",
            ids=chunk,
        )


def reindex_versions(connection: Connection, low: int, high: int) -> None:
    """Index the credentials whose published version id is in [low, high], in one go.

    For the catalogue import, whose new versions take one range of ids: a few statements,
    however many credentials came in.
    """
    _run(
        connection,
        "DELETE FROM search_entries WHERE version_id BETWEEN :low AND :high",
        "c.published_version_id BETWEEN :low AND :high",
        low=low,
        high=high,
    )


def reindex_all(connection: Connection) -> None:
    """Rebuild the whole index from the credentials published now."""
    _run(connection, "DELETE FROM search_entries", "1 = 1")


def _changed(obj: object, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Reindex what this flush changed, in the flush's own transaction."""
    credentials: set[str] = set()
    providers: set[str] = set()
    units: set[str] = set()
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        old = obj not in session.new
        if isinstance(obj, Credential):
            credentials.add(obj.id)
        elif isinstance(obj, CredentialVersion) and old and obj.credential_id is not None:
            credentials.add(obj.credential_id)
        elif isinstance(obj, Provider) and old and _changed(obj, "name"):
            providers.add(obj.id)
        elif isinstance(obj, CreditUnit) and old and _changed(obj, "ects_rate"):
            units.add(obj.code)
    if not (credentials or providers or units):
        return
    connection = session.connection()
    if providers:
        reindex_providers(connection, providers)
    if units:
        reindex_units(connection, units)
    if credentials:
        reindex_credentials(connection, credentials)


def listen() -> None:
    """Reindex on every ORM flush (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
