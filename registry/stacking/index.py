"""Per-catalogue lookup tables, built once: unit rates, recognitions and filter matches."""

from __future__ import annotations

import bisect
import json
from array import array
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from registry.stacking.rules import FILTER_LIST_KEYS

if TYPE_CHECKING:
    from registry.stacking.model import Catalogue, CredentialSpec

ECTS = "ECTS"


def filter_key(where: dict | None) -> str:
    """A canonical text for a filter, so equal filters share one cache slot."""
    return json.dumps(where or {}, sort_keys=True, default=str)


class CatalogueIndex:
    """Lookups over one catalogue; the catalogue must not change once this is built."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.credentials = catalogue.credentials
        # Rates are ECTS per unit; ECTS itself is worth one ECTS even when not declared.
        self.rates: dict[str, float] = {ECTS: 1.0, **catalogue.credit_units}
        self.recognised_as: dict[str, set[str]] = defaultdict(set)  # to -> {from}
        self.recognitions: set[tuple[str, str]] = set()
        for source, target in catalogue.recognitions:
            self.recognised_as[target].add(source)
            self.recognitions.add((source, target))
        self._columns: Columns | None = None
        self._filter_cache: dict[str, list[str]] = {}
        self._shared_filters: dict[str, dict] = {}  # canonical text -> the one dict kept
        self.cache: dict[Any, Any] = {}  # results other modules memoise per catalogue

    def servers(self, ident: str) -> set[str]:
        """The credentials whose entries serve a leaf naming `ident`: it and those recognised
        as it."""
        return {ident, *self.recognised_as.get(ident, ())}

    def value_in(self, spec: CredentialSpec, unit: str) -> float:
        """The credential's credits in `unit`; 0 when either unit has no declared rate."""
        if spec.credit_unit == unit:
            return float(spec.credits)
        source = self.rates.get(spec.credit_unit)
        target = self.rates.get(unit)
        if source is None or not target:
            return 0.0
        return spec.credits * source / target

    def plan_cost(self, spec: CredentialSpec, cost: str) -> float | None:
        """What planning this credential costs under `cost`; None when it cannot be planned."""
        if not spec.is_published or spec.is_qualification:
            return None
        if cost == "count":
            return 1.0
        if cost == "price":
            return None if spec.price is None else float(spec.price)
        return self.value_in(spec, ECTS)

    def shared_filter(self, where: dict) -> dict:
        """The one dict kept for filters equal to `where` (the first one seen)."""
        return self._shared_filters.setdefault(filter_key(where), where)

    def columns(self) -> Columns:
        """The postings and columns filters are answered from, built on first use."""
        if self._columns is None:
            self._columns = Columns(self.credentials)
        return self._columns

    def filter_candidates(self, where: dict | None, remember: bool = True) -> list[str]:
        """Sorted ids of credentials whose own fields pass `where` (result keys are ignored).

        Kept per filter unless `remember` is false (a caller that keeps its own grouping of
        them: a wide filter's list is megabytes at a million credentials)."""
        key = filter_key(where)
        found = self._filter_cache.get(key)
        if found is not None:
            return found
        columns = self.columns()
        found = columns.ids[columns.select(where or {})].tolist()
        if remember:
            self._filter_cache[key] = found
        return found

    def filter_groups(
        self, where: dict | None, parts: Sequence[dict | None], pricing: bool
    ) -> dict[tuple, list[str]]:
        """`where`'s candidates grouped by the fields a leaf's roles and costs read, ids sorted.

        Keys are ((credits, credit_unit, plannable, price or None), flags), flags telling
        which of `parts` (filters, result keys ignored) each group passes.
        """
        ids = self.columns().ids
        grouped = self.filter_group_rows(where, parts, pricing)
        return {key: ids[rows].tolist() for key, rows in grouped}

    def filter_group_rows(
        self, where: dict | None, parts: Sequence[dict | None], pricing: bool
    ) -> list[tuple[tuple, np.ndarray]]:
        """`filter_groups` with each group's rows (`Columns`) in place of its ids."""
        columns = self.columns()
        pool = columns.select(where or {})
        flags = [columns.passing(part or {}, pool) for part in parts]
        return columns.group_rows(pool, flags, pricing)


# Position arrays: credential positions in id order fit 32 bits.
POSITION = np.int32


class Columns:
    """A catalogue's filter fields as arrays, one row per credential in id order.

    A filter is answered by vector operations over its candidates' rows: the postings (the
    rows of each subject, provider and type) give the candidates of its narrowest list key
    and the columns check the other keys, so that a wide filter (a
    subject with a quarter of a million credentials) costs milliseconds rather than a Python
    call per credential. Values that repeat (types, providers, subject lists, credits and
    unit, price) are stored as codes into small tables.
    """

    def __init__(self, credentials: dict[str, CredentialSpec]) -> None:
        ordered = sorted(credentials)
        self.ids = np.array(ordered, dtype=object)
        # Filled row by row into C arrays (a Python list would hold an object per cell).
        names = ("type", "provider", "subjects", "value", "price")
        codes: dict[str, dict] = {name: {} for name in names}
        types, providers, subject_lists, values, prices = (codes[name] for name in names)
        cells = {name: array("i") for name in names}
        type_cells, provider_cells, subject_cells, value_cells, price_cells = cells.values()
        levels, has_level, plannable = array("q"), bytearray(len(ordered)), bytearray(len(ordered))
        subjects: dict[str, int] = {}
        subject_of, subject_row = array("i"), array("i")  # one pair per (subject, credential)
        for row, ident in enumerate(ordered):
            spec = credentials[ident]
            type_cells.append(types.setdefault(spec.type, len(types)))
            provider_cells.append(providers.setdefault(spec.provider, len(providers)))
            subject_cells.append(subject_lists.setdefault(spec.subjects, len(subject_lists)))
            value = (spec.credits, spec.credit_unit)
            value_cells.append(values.setdefault(value, len(values)))
            price_cells.append(prices.setdefault(spec.price, len(prices)))
            if spec.level is None:
                levels.append(0)
            else:
                levels.append(spec.level)
                has_level[row] = 1
            if spec.is_published and not spec.is_qualification:
                plannable[row] = 1
            for subject in dict.fromkeys(spec.subjects):
                subject_of.append(subjects.setdefault(subject, len(subjects)))
                subject_row.append(row)
        self.codes = codes
        self._values: list[tuple[float, str]] = list(values)
        self._prices: list[float | None] = list(prices)
        self.subject_lists: list[tuple[str, ...]] = list(subject_lists)
        self.column = {
            name: _narrow(np.frombuffer(cells[name], dtype=np.intc), len(codes[name]))
            for name in names
        }
        self.level = np.frombuffer(levels, dtype=np.int64)
        if self.level.size and self.level.min() >= -(2**15) and self.level.max() < 2**15:
            self.level = self.level.astype(np.int16)
        self.has_level = np.frombuffer(has_level, dtype=bool)
        self.plannable = np.frombuffer(plannable, dtype=bool)
        # Postings: each value's rows, in id order, as slices of one array per key.
        self._postings = {
            "providers": (providers, *_grouped(self.column["provider"], None, len(providers))),
            "types": (types, *_grouped(self.column["type"], None, len(types))),
            "subjects": (subjects, *_grouped(
                np.frombuffer(subject_of, dtype=np.intc),
                np.frombuffer(subject_row, dtype=np.intc),
                len(subjects),
            )),
        }  # fmt: skip
        self._subject_tests: dict[frozenset, np.ndarray] = {}

    def posting(self, key: str, value: str) -> np.ndarray:
        """The rows whose `key` ("providers", "types" or "subjects") holds `value`."""
        table, rows, offsets = self._postings[key]
        code = table.get(value)
        if code is None:
            return _NONE
        return rows[offsets[code] : offsets[code + 1]]

    def position(self, ident: str) -> int | None:
        at = bisect.bisect_left(self.ids, ident)
        return at if at < len(self.ids) and self.ids[at] == ident else None

    def select(self, where: dict) -> np.ndarray:
        """Sorted positions of the credentials whose own fields pass `where`."""
        # Each listed key narrows the search to the union of its values' postings; the
        # smallest union is taken and the columns check every other key.
        unions: list[tuple[tuple[str, ...], list[np.ndarray]]] = []  # (keys answered, postings)
        credentials = _listed(where, "credentials")
        if credentials is not None:
            found = {self.position(ident) for ident in credentials}
            unions.append((("credentials",), [np.array(sorted(found - {None}), dtype=POSITION)]))
        for name in ("providers", "subjects", "types"):
            listed = _listed(where, name)
            if listed is not None:
                unions.append(((name,), [self.posting(name, value) for value in listed]))
        rest = where
        if unions:
            answered, smallest = min(unions, key=lambda union: sum(len(x) for x in union[1]))
            lists = [x for x in smallest if len(x)]
            if not lists:
                return _NONE
            pool = lists[0] if len(lists) == 1 else np.unique(np.concatenate(lists))
            # The postings answer their keys exactly: only the others are checked.
            rest = {name: value for name, value in where.items() if name not in answered}
        else:
            pool = np.arange(len(self.ids), dtype=POSITION)
        passing = self.passing(rest, pool)
        return pool if passing is None else pool[passing]

    def passing(self, where: dict, pool: np.ndarray) -> np.ndarray | None:
        """Which of the rows `pool` pass `where` (`spec_matches`), as a boolean array; None
        when every row passes (no key checks the credential's own fields)."""
        mask: np.ndarray | None = None

        def narrow(test: np.ndarray) -> None:
            nonlocal mask
            mask = test if mask is None else mask & test

        for name in FILTER_LIST_KEYS:
            values = where.get(name)
            if values is None:
                continue
            if not isinstance(values, list):
                return np.zeros(len(pool), dtype=bool)
            # Only strings can equal an id, a provider, a type or a subject.
            allowed = {value for value in values if isinstance(value, str)}
            if name == "credentials":
                rows = np.array(sorted({self.position(i) for i in allowed} - {None}))
                narrow(np.isin(pool, rows))
            elif name == "subjects":
                narrow(self._subject_test(frozenset(allowed))[self.column["subjects"][pool]])
            else:
                table = self.codes[name[:-1]]  # providers -> provider, types -> type
                known = np.zeros(len(table) + 1, dtype=bool)
                known[[table[value] for value in allowed if value in table]] = True
                narrow(known[self.column[name[:-1]][pool]])
        for name, keep in (("level_min", np.greater_equal), ("level_max", np.less_equal)):
            if name in where:
                bound = where[name]
                if not isinstance(bound, int | float) or isinstance(bound, bool):
                    raise TypeError(f"{name} must be a number")
                narrow(self.has_level[pool] & keep(self.level[pool], bound))
        return mask

    def _subject_test(self, allowed: frozenset) -> np.ndarray:
        """For each subject list of the catalogue, whether it names one of `allowed`."""
        found = self._subject_tests.get(allowed)
        if found is None:
            found = np.array([not allowed.isdisjoint(s) for s in self.subject_lists], dtype=bool)
            if len(self._subject_tests) < 256:
                self._subject_tests[allowed] = found
        return found

    def group_rows(
        self, pool: np.ndarray, flags: list[np.ndarray | None], pricing: bool
    ) -> list[tuple[tuple, np.ndarray]]:
        """The rows `pool` grouped as `CatalogueIndex.filter_groups` describes, each group's
        rows sorted."""
        if not len(pool):
            return []
        # One whole-number key per row: its value code, plannable, price code, part flags.
        key = self.column["value"][pool].astype(np.int64)
        key = key * 2 + self.plannable[pool]
        if pricing:
            key = key * (len(self.codes["price"]) + 1) + self.column["price"][pool]
        for passed in flags:
            key = key * 2 + (1 if passed is None else passed)
        # Codes are below a million and parts a handful: far from overflowing 64 bits. Keys
        # that fit 16 bits are sorted as such: numpy's stable sort is then a radix sort, five
        # times faster on the quarter of a million candidates of a wide subject at 1M.
        if int(key.max()) < 2**16:
            key = key.astype(np.uint16)
        order = np.argsort(key, kind="stable")  # stable: each group's rows stay in id order
        ordered = key[order]
        starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        # One gather, then each group is a slice of it (a view) and its fields are read for
        # all groups at once: a wide filter at 1M has hundreds of groups, and `np.split` and
        # a row's fields one by one cost microseconds each.
        rows = pool[order]
        bounds = [0, *starts.tolist(), len(rows)]
        heads = order[bounds[:-1]]
        head_rows = rows[bounds[:-1]]
        values = [self._values[code] for code in self.column["value"][head_rows].tolist()]
        plannable = self.plannable[head_rows].tolist()
        prices = (
            [self._prices[code] for code in self.column["price"][head_rows].tolist()]
            if pricing
            else [None] * len(head_rows)
        )
        tested = [
            (n, passed[heads].tolist()) for n, passed in enumerate(flags) if passed is not None
        ]
        found: list[tuple[tuple, np.ndarray]] = []
        for group, (credits, unit) in enumerate(values):
            passes = [True] * len(flags)
            for n, passed in tested:
                passes[n] = passed[group]
            fields = (credits, unit, bool(plannable[group]), prices[group])
            found.append(((fields, tuple(passes)), rows[bounds[group] : bounds[group + 1]]))
        return found

    def fields(self, row: int, pricing: bool) -> tuple:
        """The group fields of a row: (credits, unit, plannable, price or None)."""
        credits, unit = self._values[self.column["value"][row]]
        price = self._prices[self.column["price"][row]] if pricing else None
        return (credits, unit, bool(self.plannable[row]), price)


_NONE = np.zeros(0, dtype=POSITION)


def _narrow(codes: np.ndarray, count: int) -> np.ndarray:
    return codes.astype(np.int16) if count < 2**15 else codes.astype(np.int32)


def _grouped(
    keys: np.ndarray, rows: np.ndarray | None, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (`rows`, or the key positions themselves) sorted by key, keeping their order
    within a key, and where each key's run starts."""
    order = np.argsort(keys, kind="stable")
    found = (order if rows is None else rows[order]).astype(POSITION)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=count), out=offsets[1:])
    return found, offsets


def _listed(where: dict, name: str) -> list[str] | None:
    """A list key's string values, duplicates dropped; None when the key is absent, [] when
    it is not a list (nothing passes)."""
    listed = where.get(name)
    if not isinstance(listed, list):
        return None if listed is None else []
    return [v for v in dict.fromkeys(listed) if isinstance(v, str)]


def spec_matches(spec: CredentialSpec, where: dict) -> bool:
    """Whether the credential's own fields pass the filter (result keys are checked per entry)."""
    for name in FILTER_LIST_KEYS:
        values = where.get(name)
        if values is None:
            continue
        if not isinstance(values, list):
            return False
        if name == "credentials":
            if spec.id not in values:
                return False
        elif name == "providers":
            if spec.provider not in values:
                return False
        elif name == "types":
            if spec.type not in values:
                return False
        elif not any(subject in values for subject in spec.subjects):
            return False
    if "level_min" in where and (spec.level is None or spec.level < where["level_min"]):
        return False
    return not ("level_max" in where and (spec.level is None or spec.level > where["level_max"]))


def result_matches(result: object, where: dict) -> bool:
    """Whether an entry's result passes the filter's result keys (no result fails them)."""
    if "result_in" in where:
        values = where["result_in"]
        if result is None or not isinstance(values, list):
            return False
        if not any(_same_result(result, value) for value in values):
            return False
    if "result_min" in where:
        if not _is_number(result) or not _is_number(where["result_min"]):
            return False
        return result >= where["result_min"]  # type: ignore[operator]
    return True


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_result(result: object, value: object) -> bool:
    # A grade "5" is not the number 5, and True is not 1.
    if _is_number(result) and _is_number(value):
        return result == value
    return type(result) is type(value) and result == value
