"""Catalogue files: check and import a whole catalogue document, and export it back."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import JSON, Table, case, func, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from registry.audit.services import record_event
from registry.auth.models import User
from registry.credentials.catalogue import bump_revision
from registry.credentials.fields import (
    VERSION_DEFAULTS,
    credential_document,
    credential_problems,
    new_ctid,
    provider_document,
    provider_problems,
    rule_edges,
    version_values,
)
from registry.credentials.models import (
    Credential,
    CredentialEdge,
    CredentialVersion,
    CreditUnit,
    Recognition,
    Status,
)
from registry.db import utcnow
from registry.errors import FieldError, ValidationError
from registry.providers.models import Provider
from registry.search.index import reindex_versions
from registry.stacking import CredentialSpec, CycleError, find_cycle

SECTIONS = ("credit_units", "providers", "credentials", "recognitions")
RECOGNITION_FIELDS = ("from", "to", "by")
BASE_UNIT = "ECTS"
UNIT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
# Rows per INSERT and ids per IN (...): well inside SQLite's and PostgreSQL's parameter limits.
CHUNK = 5000
# How many rows pass between two calls of the progress callback.
PROGRESS_EVERY = 1000

Progress = Callable[[int], object]


@dataclass(frozen=True)
class ImportReport:
    """How many rows of each kind an import added."""

    credit_units: int
    providers: int
    credentials: int
    edges: int
    recognitions: int

    def counts(self) -> dict[str, int]:
        return asdict(self)


def import_steps(document: Any) -> int:
    """The total that `import_catalogue` counts up to through `progress` for this document.

    Every provider, credential and recognition is one step when it is checked and one more
    when it is written.
    """
    if not isinstance(document, Mapping):
        return 0
    items = sum(
        len(document[name]) for name in SECTIONS[1:] if isinstance(document.get(name), list)
    )
    return 2 * items


def import_catalogue(
    session: Session,
    document: Any,
    *,
    actor: User | None,
    progress: Progress | None = None,
) -> ImportReport:
    """Add a whole catalogue document in the caller's transaction, or nothing at all.

    The document is checked completely first; any problem raises one ValidationError that lists
    every problem with its place in the file (`credentials[12].requirements.all[1]`). Ids that
    already exist in the registry are refused: an import only adds.
    """
    ticker = _Ticker(progress)
    checked = _check_document(session, document, ticker)
    report = _store(session, checked, actor, ticker)
    ticker.flush()
    # App servers reload the stacking catalogue when its revision moves.
    bump_revision(session)
    record_event(
        session, "catalogue.import", "catalogue", "import", actor=actor, after=report.counts()
    )
    return report


def export_catalogue(session: Session, *, with_ctids: bool = False) -> dict[str, Any]:
    """The whole catalogue as one document, each credential as its current version.

    Order: ECTS first, then the other credit units by code; providers, credentials and
    recognitions in the order they were added (an import adds them in file order).
    """
    units = session.execute(
        select(CreditUnit.code, CreditUnit.ects_rate).order_by(
            CreditUnit.code != BASE_UNIT, CreditUnit.code
        )
    ).all()
    providers = session.scalars(select(Provider).order_by(Provider.created_at, Provider.id))
    current, first = CredentialVersion, aliased(CredentialVersion)
    # One row carries both the identity and the current version's content, without ORM objects;
    # a credential's first version dates its creation.
    rows = session.execute(
        select(
            Credential.id,
            Credential.ctid,
            Credential.provider_id,
            *(getattr(current, name) for name in _DOCUMENT_COLUMNS),
        )
        .join(current, current.id == Credential.current_version_id)
        .join(first, (first.credential_id == Credential.id) & (first.number == 1))
        .order_by(first.id)
    )
    recognitions = session.execute(
        select(Recognition.from_id, Recognition.to_id, Recognition.by_id).order_by(Recognition.id)
    )
    return {
        "credit_units": {code: _plain(rate) for code, rate in units},
        "providers": [provider_document(p, with_ctid=with_ctids) for p in providers],
        "credentials": [credential_document(row, row, with_ctid=with_ctids) for row in rows],
        "recognitions": [{"from": f, "to": t, "by": b} for f, t, b in recognitions],
    }


# Version columns that `credential_document` reads.
_DOCUMENT_COLUMNS = (*VERSION_DEFAULTS, "status")


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class _Ticker:
    """Passes progress on in batches, so that a progress bar costs nothing per row."""

    def __init__(self, callback: Progress | None) -> None:
        self.callback = callback
        self.pending = 0

    def step(self, n: int = 1) -> None:
        self.pending += n
        if self.pending >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.callback is not None and self.pending:
            self.callback(self.pending)
        self.pending = 0


# --- Checking ---------------------------------------------------------------------------------


@dataclass
class _Checked:
    """A document that passed every check, with the rule edges worked out on the way."""

    new_units: dict[str, float]
    providers: list[Mapping[str, Any]]
    credentials: list[Mapping[str, Any]]
    edges: list[list[tuple[str, str]]]  # per credential: (component id, kind)
    recognitions: list[Mapping[str, Any]]


def _text(item: Any, key: str) -> str | None:
    value = item.get(key) if isinstance(item, Mapping) else None
    return value if isinstance(value, str) and value else None


def _rule(item: Any, name: str) -> dict | None:
    value = item.get(name) if isinstance(item, Mapping) else None
    return value if isinstance(value, dict) else None


def _edges(credential: Any) -> list[tuple[str, str]]:
    """The (component id, kind) edges of a credential's rules; [] without rules."""
    prerequisites, requirements = (
        _rule(credential, "prerequisites"),
        _rule(credential, "requirements"),
    )
    if prerequisites is None and requirements is None:
        return []
    return rule_edges(prerequisites, requirements)


def _sections(
    document: Any, errors: list[FieldError]
) -> tuple[Mapping[str, Any], list[Any], list[Any], list[Any]]:
    if not isinstance(document, Mapping):
        raise ValidationError(
            FieldError("", "a catalogue must be a JSON object with " + ", ".join(SECTIONS))
        )
    for key in document:
        if key not in SECTIONS:
            errors.append(
                FieldError(str(key), "is not a catalogue section (" + ", ".join(SECTIONS) + ")")
            )
    units = document.get("credit_units", {})
    if not isinstance(units, Mapping):
        errors.append(FieldError("credit_units", "must be an object of codes and ECTS rates"))
        units = {}
    lists = []
    for name in SECTIONS[1:]:
        items = document.get(name, [])
        if not isinstance(items, list):
            errors.append(FieldError(name, "must be a list"))
            items = []
        lists.append(items)
    providers, credentials, recognitions = lists
    return units, providers, credentials, recognitions


def _existing(
    session: Session, key: InstrumentedAttribute, values: Iterable[str], *more: Any
) -> list[Any]:
    """Rows (key, *more) of the registry whose key is one of `values`, asked in chunks."""
    wanted = sorted(set(values))
    if not wanted or session.scalar(select(key).limit(1)) is None:
        return []  # an empty table needs no questions
    rows: list[Any] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows.extend(session.execute(select(key, *more).where(key.in_(chunk))))
    return rows


def _first(seen: dict[Any, str], key: Any, place: str) -> str | None:
    """Remember where `key` first appeared; if it appeared before, say where."""
    if key in seen:
        return seen[key]
    seen[key] = place
    return None


@dataclass
class _Existing:
    """What the registry already holds of the ids, ctids and units that a file mentions."""

    owners: dict[str, str]  # credential id -> its provider
    providers: set[str]
    ctids: set[str]
    units: dict[str, float]
    recognitions: set[tuple[str, str]]


def _lookup(
    session: Session,
    providers: Sequence[Any],
    credentials: Sequence[Any],
    recognitions: Sequence[Any],
    mentioned: set[str],
) -> _Existing:
    """Ask the registry only about the ids and ctids the file mentions (credit units: all)."""
    provider_ids = {pid for p in providers if (pid := _text(p, "id"))}
    provider_ids |= {pid for c in credentials if (pid := _text(c, "provider"))}
    provider_ids |= {pid for r in recognitions if (pid := _text(r, "by"))}
    ctids = {ctid for item in (*providers, *credentials) if (ctid := _text(item, "ctid"))}
    sources = {cid for r in recognitions if (cid := _text(r, "from"))}
    return _Existing(
        owners=dict(_existing(session, Credential.id, mentioned, Credential.provider_id)),
        providers={row[0] for row in _existing(session, Provider.id, provider_ids)},
        ctids={
            row[0]
            for key in (Provider.ctid, Credential.ctid)
            for row in _existing(session, key, ctids)
        },
        units=dict(session.execute(select(CreditUnit.code, CreditUnit.ects_rate)).all()),
        recognitions={
            (f, t) for f, t in _existing(session, Recognition.from_id, sources, Recognition.to_id)
        },
    )


def _check_document(session: Session, document: Any, ticker: _Ticker) -> _Checked:
    errors: list[FieldError] = []
    units, providers, credentials, recognitions = _sections(document, errors)
    provider_ids = {pid for p in providers if (pid := _text(p, "id"))}
    ids = [_text(c, "id") for c in credentials]
    edges = [_edges(c) for c in credentials]
    mentioned = {cid for cid in ids if cid is not None}
    mentioned |= {component for found in edges for component, _ in found}
    mentioned |= {cid for r in recognitions for k in ("from", "to") if (cid := _text(r, k))}
    existing = _lookup(session, providers, credentials, recognitions, mentioned)

    new_units = _check_units(units, existing.units, errors)
    seen_ctids: dict[str, str] = {}
    seen_providers: dict[str, str] = {}
    for i, provider in enumerate(providers):
        place = f"providers[{i}]"
        errors.extend(provider_problems(provider, place))
        if (pid := _text(provider, "id")) is not None:
            if first := _first(seen_providers, pid, place):
                errors.append(FieldError(f"{place}.id", f"duplicate id {pid!r} (first at {first})"))
            elif pid in existing.providers:
                errors.append(FieldError(f"{place}.id", f"provider {pid!r} already exists"))
        _check_ctid(provider, place, seen_ctids, existing.ctids, errors)
        ticker.step()

    known_ids = {cid for cid in ids if cid is not None} | set(existing.owners)
    known_providers = provider_ids | existing.providers
    # A unit declared with a bad rate is still known: its one error is at the declaration.
    known_units = set(existing.units) | {code for code in units if isinstance(code, str)}
    seen_credentials: dict[str, str] = {}
    owners = dict(existing.owners)
    for i, credential in enumerate(credentials):
        place = f"credentials[{i}]"
        errors.extend(
            credential_problems(
                credential,
                place,
                known_ids=known_ids,
                known_providers=known_providers,
                known_units=known_units,
            )
        )
        if (cid := ids[i]) is not None:
            if first := _first(seen_credentials, cid, place):
                errors.append(FieldError(f"{place}.id", f"duplicate id {cid!r} (first at {first})"))
            elif cid in existing.owners:
                errors.append(FieldError(f"{place}.id", f"credential {cid!r} already exists"))
            else:
                owners[cid] = credential.get("provider")
        _check_ctid(credential, place, seen_ctids, existing.ctids, errors)
        ticker.step()

    errors.extend(_cycle_problems(ids, edges, seen_credentials))
    errors.extend(
        _recognition_problems(
            recognitions, known_ids, known_providers, owners, existing.recognitions, ticker
        )
    )
    if errors:
        raise ValidationError(errors, f"the catalogue has {len(errors)} problem(s)")
    return _Checked(new_units, providers, credentials, edges, recognitions)


def _check_units(
    units: Mapping[str, Any], in_db: Mapping[str, float], errors: list[FieldError]
) -> dict[str, float]:
    """The units to add; a unit the registry has must come with the rate it has."""
    new: dict[str, float] = {}
    for code, rate in units.items():
        place = f"credit_units.{code}"
        if not isinstance(code, str) or not UNIT_PATTERN.match(code):
            errors.append(FieldError(place, "a unit code is 1-40 letters, digits, '.', '_' or '-'"))
        elif isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
            errors.append(FieldError(place, "must be a number: how many ECTS one unit is worth"))
        elif rate < 0:
            errors.append(FieldError(place, "must be at least 0"))
        elif code == BASE_UNIT and rate != 1:
            errors.append(FieldError(place, "ECTS is the base unit; its rate is 1"))
        elif code in in_db and in_db[code] != rate:
            errors.append(
                FieldError(
                    place,
                    f"the registry counts {code} as {_plain(in_db[code])} ECTS; "
                    "a catalogue file cannot change a rate",
                )
            )
        elif code not in in_db:
            new[code] = float(rate)
    return new


def _check_ctid(
    item: Any, place: str, seen: dict[str, str], in_db: set[str], errors: list[FieldError]
) -> None:
    if (ctid := _text(item, "ctid")) is None:
        return
    if first := _first(seen, ctid, place):
        errors.append(FieldError(f"{place}.ctid", f"duplicate ctid {ctid!r} (first at {first})"))
    elif ctid in in_db:
        errors.append(FieldError(f"{place}.ctid", f"ctid {ctid!r} is already in use"))


def _cycle_problems(
    ids: Sequence[str | None], edges: Sequence[list[tuple[str, str]]], places: Mapping[str, str]
) -> list[FieldError]:
    """A requirement cycle and a prerequisite cycle, if any, each placed on one member.

    Only credentials with rules can be on a cycle (a credential already in the registry cannot
    name one that does not exist yet), so the graph handed to `find_cycle` keeps just those and
    the edges between them, written as all-of rules: the same cycles at a fraction of the size.
    """
    ruled = {cid for cid, found in zip(ids, edges, strict=True) if cid is not None and found}
    specs: dict[str, CredentialSpec] = {}
    for cid, found in zip(ids, edges, strict=True):
        if cid not in ruled or cid in specs:
            continue
        rules = {}
        for name, kind in (("requirements", "requirement"), ("prerequisites", "prerequisite")):
            targets = [target for target, of in found if of == kind and target in ruled]
            if targets:
                rules[name] = {"all": [{"credential": target} for target in targets]}
        specs[cid] = CredentialSpec(cid, **rules)
    cycle = find_cycle(specs)
    if cycle is None:
        return []
    problems = [_cycle_problem(cycle, places)]
    if cycle.kind == "requirements":
        # find_cycle stops at the first cycle; the prerequisites may have one of their own.
        alone = {
            cid: CredentialSpec(cid, prerequisites=spec.prerequisites)
            for cid, spec in specs.items()
            if spec.prerequisites is not None
        }
        if (second := find_cycle(alone)) is not None:
            problems.append(_cycle_problem(second, places))
    return problems


def _cycle_problem(cycle: CycleError, places: Mapping[str, str]) -> FieldError:
    place = f"{places[cycle.cycle[0]]}.{cycle.kind}"
    return FieldError(place, f"{cycle.kind} form a cycle: {' -> '.join(cycle.cycle)}")


def _recognition_problems(
    recognitions: Sequence[Any],
    known_ids: set[str],
    known_providers: set[str],
    owners: Mapping[str, Any],
    in_db: set[tuple[str, str]],
    ticker: _Ticker,
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: dict[tuple[str, str], str] = {}
    for i, recognition in enumerate(recognitions):
        place = f"recognitions[{i}]"
        ticker.step()
        if not isinstance(recognition, Mapping):
            errors.append(FieldError(place, "must be an object with from, to and by"))
            continue
        for key in recognition:
            if key not in RECOGNITION_FIELDS:
                errors.append(FieldError(f"{place}.{key}", "is not a known field"))
        for key in RECOGNITION_FIELDS:
            value = recognition.get(key)
            if value is None:
                errors.append(FieldError(f"{place}.{key}", "is required"))
            elif not isinstance(value, str) or not value:
                what = "a provider id" if key == "by" else "a credential id"
                errors.append(FieldError(f"{place}.{key}", f"must be {what}"))
            elif key == "by" and value not in known_providers:
                errors.append(FieldError(f"{place}.by", f"unknown provider {value!r}"))
            elif key != "by" and value not in known_ids:
                errors.append(FieldError(f"{place}.{key}", f"unknown credential {value!r}"))
        source, target, by = (_text(recognition, k) for k in RECOGNITION_FIELDS)
        if source is None or target is None:
            continue
        if source == target:
            errors.append(FieldError(f"{place}.to", "a credential is not recognised as itself"))
            continue
        owner = owners.get(target)
        if by in known_providers and isinstance(owner, str) and owner != by:
            errors.append(
                FieldError(
                    f"{place}.by",
                    f"{target!r} belongs to {owner!r}; "
                    "only its own provider recognises other credentials as it",
                )
            )
        if first := _first(seen, (source, target), place):
            errors.append(
                FieldError(
                    place,
                    f"duplicate recognition of {source!r} as {target!r} (first at {first})",
                )
            )
        elif (source, target) in in_db:
            errors.append(FieldError(place, f"{source!r} is already recognised as {target!r}"))
    return errors


# --- Storing ----------------------------------------------------------------------------------


class _Inserter:
    """executemany of plain tuples into one table, in the driver's own terms.

    The values are made ready once here (constants, such as the import's timestamp) or by the
    caller (JSON text), so no per-row type processing stands between the rows and the driver.
    """

    def __init__(self, session: Session, table: Table, columns: Sequence[str]) -> None:
        self.connection = session.connection()
        self.table = table
        dialect = self.connection.dialect
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
        )

    def bound(self, column: str, value: Any) -> Any:
        """`value` as the driver takes it for `column` (for values shared by many rows)."""
        dialect = self.connection.dialect
        process = self.table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return process(value) if process is not None else value

    def __call__(self, rows: list[tuple]) -> None:
        if rows:
            self.connection.exec_driver_sql(self.sql, rows)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _reserve_version_ids(session: Session, count: int) -> list[int]:
    """Primary keys for `count` new versions, so that edges can name them without a query."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('credential_versions', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    # SQLite hands out max(rowid) + 1; the import holds the write lock from its first insert.
    start = (session.scalar(select(func.max(CredentialVersion.id))) or 0) + 1
    return list(range(start, start + count))


_PROVIDER_COLUMNS = (
    "id",
    "ce_ctid",
    "name",
    "country",
    "url",
    "email_domains",
    "description",
    "created_at",
    "updated_at",
)
_CREDENTIAL_COLUMNS = ("id", "ce_ctid", "provider_id", "created_at", "updated_at")
_VERSION_COLUMNS = (
    "id",
    "credential_id",
    "number",
    "status",
    *VERSION_DEFAULTS,
    "created_by_id",
    "created_at",
    "updated_at",
)
_JSON_VERSION_COLUMNS = frozenset(
    name for name in VERSION_DEFAULTS if isinstance(CredentialVersion.__table__.c[name].type, JSON)
)


def _store(
    session: Session, checked: _Checked, actor: User | None, ticker: _Ticker
) -> ImportReport:
    now = utcnow()
    actor_id = actor.id if actor is not None else None

    if checked.new_units:
        insert_units = _Inserter(session, CreditUnit.__table__, ("code", "ects_rate"))
        insert_units(list(checked.new_units.items()))

    insert_provider = _Inserter(session, Provider.__table__, _PROVIDER_COLUMNS)
    updated_at = insert_provider.bound("updated_at", now)
    for start, chunk in _chunks(checked.providers):
        rows = [
            (
                p["id"],
                p.get("ctid") or new_ctid(),
                p["name"],
                p["country"],
                p.get("url"),
                json.dumps(list(p.get("email_domains") or [])),
                p.get("description") or "",
                # A microsecond apart in file order: exports list providers by creation time.
                insert_provider.bound("created_at", now + dt.timedelta(microseconds=i)),
                updated_at,
            )
            for i, p in enumerate(chunk, start)
        ]
        insert_provider(rows)
        ticker.step(len(rows))

    insert_credential = _Inserter(session, Credential.__table__, _CREDENTIAL_COLUMNS)
    insert_version = _Inserter(session, CredentialVersion.__table__, _VERSION_COLUMNS)
    insert_edge = _Inserter(
        session, CredentialEdge.__table__, ("version_id", "component_id", "kind")
    )
    stamp = insert_version.bound("created_at", now)
    json_at = [i for i, name in enumerate(VERSION_DEFAULTS) if name in _JSON_VERSION_COLUMNS]
    version_ids = _reserve_version_ids(session, len(checked.credentials))
    edge_count = 0
    for start, chunk in _chunks(checked.credentials):
        identities, versions, edges = [], [], []
        for i, c in enumerate(chunk, start):
            version_id = version_ids[i]
            identities.append((c["id"], c.get("ctid") or new_ctid(), c["provider"], stamp, stamp))
            content = list(version_values(c).values())
            for at in json_at:
                content[at] = _json(content[at])
            status = c.get("status") or Status.PUBLISHED.value
            versions.append((version_id, c["id"], 1, status, *content, actor_id, stamp, stamp))
            edges.extend((version_id, component, kind) for component, kind in checked.edges[i])
        insert_credential(identities)
        insert_version(versions)
        insert_edge(edges)
        edge_count += len(edges)
        ticker.step(len(chunk))
    if version_ids:
        _point_at_first_versions(session, min(version_ids), max(version_ids))
        # Bulk statements pass the ORM's flush hook by: index the new versions in one go.
        reindex_versions(session.connection(), min(version_ids), max(version_ids))

    insert_recognition = _Inserter(
        session, Recognition.__table__, ("from_id", "to_id", "by_id", "created_at")
    )
    for _, chunk in _chunks(checked.recognitions):
        insert_recognition([(r["from"], r["to"], r["by"], stamp) for r in chunk])
        ticker.step(len(chunk))

    return ImportReport(
        credit_units=len(checked.new_units),
        providers=len(checked.providers),
        credentials=len(checked.credentials),
        edges=edge_count,
        recognitions=len(checked.recognitions),
    )


def _chunks(rows: Sequence[Any]) -> Iterator[tuple[int, Sequence[Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield start, rows[start : start + CHUNK]


def _point_at_first_versions(session: Session, low: int, high: int) -> None:
    """Set the new credentials' version pointers in one statement.

    Credentials and versions refer to each other, so the identities go in first without
    pointers; the new versions are the only first versions in [low, high] whose credential has
    no current version yet.
    """
    version = CredentialVersion
    session.execute(
        update(Credential)
        .where(
            Credential.id == version.credential_id,
            Credential.current_version_id.is_(None),
            version.number == 1,
            version.id.between(low, high),
        )
        .values(
            current_version_id=version.id,
            published_version_id=case(
                (version.status == Status.PUBLISHED.value, version.id), else_=None
            ),
        )
        .execution_options(synchronize_session=False)
    )
