"""Per-catalogue lookup tables, built once: unit rates, recognitions and filter matches."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
        self._by_subject: dict[str, list[str]] | None = None
        self._by_provider: dict[str, list[str]] | None = None
        self._by_type: dict[str, list[str]] | None = None
        self._by_pair: dict[tuple[str, str], list[str]] = {}
        self._filter_cache: dict[str, list[str]] = {}
        self.cache: dict[Any, Any] = {}  # results other modules memoise per catalogue

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

    def build_postings(self) -> None:
        """Build the postings `filter_candidates` searches, if they are not built yet."""
        if self._by_subject is None:
            self._postings()

    def _postings(self) -> None:
        by_subject: dict[str, list[str]] = defaultdict(list)
        by_provider: dict[str, list[str]] = defaultdict(list)
        by_type: dict[str, list[str]] = defaultdict(list)
        by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ident in sorted(self.credentials):
            spec = self.credentials[ident]
            by_provider[spec.provider].append(ident)
            by_type[spec.type].append(ident)
            for subject in dict.fromkeys(spec.subjects):
                by_subject[subject].append(ident)
                by_pair[(spec.provider, subject)].append(ident)
        self._by_subject, self._by_provider, self._by_type = by_subject, by_provider, by_type
        self._by_pair = by_pair

    def filter_candidates(self, where: dict | None, remember: bool = True) -> list[str]:
        """Sorted ids of credentials whose own fields pass `where` (result keys are ignored).

        Kept per filter unless `remember` is false (a caller that keeps its own grouping of
        them: a wide filter's list is megabytes at a million credentials)."""
        key = filter_key(where)
        found = self._filter_cache.get(key)
        if found is not None:
            return found
        where = where or {}
        if self._by_subject is None:
            self._postings()
        assert self._by_subject is not None and self._by_provider is not None
        assert self._by_type is not None
        # Each listed key narrows the search to the union of its values' postings (sorted
        # id lists); the smallest union is scanned and spec_matches checks every other key.
        unions: list[tuple[tuple[str, ...], list[list[str]]]] = []  # (keys answered, postings)

        def values(name: str) -> list[str] | None:
            listed = where.get(name)
            if not isinstance(listed, list):
                return None if listed is None else []
            return [v for v in dict.fromkeys(listed) if isinstance(v, str)]

        credentials = values("credentials")
        if credentials is not None:
            unions.append(
                (("credentials",), [sorted(i for i in credentials if i in self.credentials)])
            )
        providers, subjects = values("providers"), values("subjects")
        if providers is not None and subjects is not None:
            pairs = [self._by_pair.get((p, s), []) for p in providers for s in subjects]
            unions.append((("providers", "subjects"), pairs))
        else:
            if providers is not None:
                unions.append((("providers",), [self._by_provider.get(p, []) for p in providers]))
            if subjects is not None:
                unions.append((("subjects",), [self._by_subject.get(s, []) for s in subjects]))
        types = values("types")
        if types is not None:
            unions.append((("types",), [self._by_type.get(t, []) for t in types]))
        rest = where
        if unions:
            answered, smallest = min(unions, key=lambda union: sum(len(x) for x in union[1]))
            lists = [x for x in smallest if x]
            if len(lists) == 1:
                pool: list[str] = lists[0]
            else:
                pool = sorted({ident for x in lists for ident in x})
            # The postings answer their keys exactly: only the others are checked.
            rest = {name: value for name, value in where.items() if name not in answered}
        else:
            pool = sorted(self.credentials)
        if any(name in rest for name in (*FILTER_LIST_KEYS, "level_min", "level_max")):
            passes = matcher(rest)
            found = [i for i in pool if passes(self.credentials[i])]
        else:
            found = list(pool)
        if remember:
            self._filter_cache[key] = found
        return found


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


def matcher(where: dict) -> Callable[[CredentialSpec], bool]:
    """`spec_matches` for one filter, its keys read once: for scans over many credentials."""
    tests: list[Callable[[CredentialSpec], bool]] = []
    for name in FILTER_LIST_KEYS:
        values = where.get(name)
        if values is None:
            continue
        if not isinstance(values, list):
            return lambda spec: False
        # Only strings can equal an id, a provider, a type or a subject.
        allowed = frozenset(value for value in values if isinstance(value, str))
        if name == "credentials":
            tests.append(lambda spec, allowed=allowed: spec.id in allowed)
        elif name == "providers":
            tests.append(lambda spec, allowed=allowed: spec.provider in allowed)
        elif name == "types":
            tests.append(lambda spec, allowed=allowed: spec.type in allowed)
        else:
            tests.append(lambda spec, allowed=allowed: not allowed.isdisjoint(spec.subjects))
    if "level_min" in where:
        low = where["level_min"]
        tests.append(lambda spec: spec.level is not None and not spec.level < low)
    if "level_max" in where:
        high = where["level_max"]
        tests.append(lambda spec: spec.level is not None and not spec.level > high)
    if not tests:
        return lambda spec: True
    if len(tests) == 1:
        return tests[0]
    return lambda spec: all(test(spec) for test in tests)


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
