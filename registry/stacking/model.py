"""Catalogue data the stacking engine reads: credentials, credit units and recognitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.stacking.index import CatalogueIndex


@dataclass(frozen=True)
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
