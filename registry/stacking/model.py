"""Catalogue data the stacking engine reads: credentials, credit units and recognitions."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.stacking.index import CatalogueIndex


# Values that repeat across a large catalogue (providers, units, subject lists, credits,
# rule keys) are shared: a million credentials then cost a few hundred bytes each.
_SHARED: dict[Any, Any] = {}


def _share(value: Any) -> Any:
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, float | tuple) and len(_SHARED) < SHARED_LIMIT:
        return _SHARED.setdefault(value, value)
    return value


def _compact(rule: Any) -> Any:
    """A rule with shared keys and strings (same value, less memory)."""
    if isinstance(rule, dict):
        return {_share(key): _compact(value) for key, value in rule.items()}
    if isinstance(rule, list):
        return [_compact(value) for value in rule]
    if isinstance(rule, str):
        return sys.intern(rule)
    return rule


SHARED_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class CredentialSpec:
    """The fields of one credential that stacking reads (STACKING.md "Words")."""

    id: str
    provider: str = ""
    credits: float = 0.0
    credit_unit: str = "ECTS"
    level: int | None = None
    subjects: tuple[str, ...] = ()
    type: str = ""
    valid_years: int | None = None
    price: float | None = None
    status: str = "published"
    prerequisites: dict | None = None  # Rule JSON
    requirements: dict | None = None  # Rule JSON; present exactly when a qualification
    max_reuse: int | None = None

    def __post_init__(self) -> None:
        for name in ("provider", "credit_unit", "type", "status"):
            object.__setattr__(self, name, _share(getattr(self, name)))
        subjects = tuple(_share(subject) for subject in self.subjects)
        object.__setattr__(self, "subjects", _share(subjects))
        for name in ("credits", "price"):
            object.__setattr__(self, name, _share(getattr(self, name)))
        for name in ("prerequisites", "requirements"):
            rule = getattr(self, name)
            if rule is not None:
                object.__setattr__(self, name, _compact(rule))

    @property
    def is_qualification(self) -> bool:
        return self.requirements is not None

    @property
    def is_published(self) -> bool:
        return self.status == "published"


@dataclass(eq=False)
class Catalogue:
    """Every credential, the unit rates (ECTS per unit) and the recognitions of one registry.

    Treated as immutable once evaluated: indexes are built on first use and cached here.
    """

    credentials: dict[str, CredentialSpec]
    credit_units: dict[str, float] = field(default_factory=lambda: {"ECTS": 1.0})
    recognitions: list[tuple[str, str]] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def index(self) -> CatalogueIndex:
        """The catalogue's lookup tables, built once and cached."""
        cached = self._cache.get("index")
        if cached is None:
            from registry.stacking.index import CatalogueIndex

            cached = CatalogueIndex(self)
            self._cache["index"] = cached
        return cached
