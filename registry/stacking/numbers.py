"""Exact decimal credits and costs: a registrar reads 0.1 as one tenth, so the engine does.

Floats are where a catalogue's numbers arrive; every comparison that decides an answer (a
threshold met, a cheaper plan, a tie) is made on the decimals they spell, as fractions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from registry.stacking.index import ECTS, CatalogueIndex
from registry.stacking.model import CredentialSpec

# Costs on a finer grid than this go to the program.
MAX_COST_SCALE = 10**6
# Where a catalogue keeps its `Numbers` (`CatalogueIndex.cache`).
NUMBERS_KEY = "exact-numbers"


class Unknown(Exception):
    """Raised when the search cannot decide exactly (the caller then asks the program)."""


def decimal(value: float | int) -> Fraction:
    """The decimal a registrar reads in a float (0.1 is one tenth), exactly."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unknown
        return Fraction(repr(value))
    return Fraction(value)


class Numbers:
    """Decimal-exact credits and costs for one catalogue, memoised by the fields they read."""

    def __init__(self, index: CatalogueIndex) -> None:
        self.index = index
        self._values: dict[tuple[Any, str, str], Fraction] = {}
        self._rates = {unit: decimal(rate) for unit, rate in index.rates.items()}
        self._scales: dict[str, int] = {}
        self._least: dict[str, int | None] = {}
        self._units: dict[tuple, int | None] = {}
        self._quanta: dict[tuple, int] = {}
        self._prices: dict[Any, Fraction] = {}

    def value(self, spec: CredentialSpec, unit: str) -> Fraction:
        """`index.value_in` as an exact decimal."""
        return self.value_of(spec.credits, spec.credit_unit, unit)

    def value_of(self, credits: Any, credit_unit: str, unit: str) -> Fraction:
        """`value` from the two fields it reads."""
        key = (credits, credit_unit, unit)
        found = self._values.get(key)
        if found is None:
            if credit_unit == unit:
                found = decimal(credits)
            else:
                source = self._rates.get(credit_unit)
                target = self._rates.get(unit)
                if source is None or not target:
                    found = Fraction(0)
                else:
                    found = decimal(credits) * source / target
            self._values[key] = found
        return found

    def quanta(self, spec: CredentialSpec, unit: str, scale: int) -> int:
        """The credential's credits in `unit` as whole quanta of 1/scale; raises Unknown
        when they fall between quanta."""
        return self.quanta_of(spec.credits, spec.credit_unit, unit, scale)

    def quanta_of(self, credits: Any, credit_unit: str, unit: str, scale: int) -> int:
        """`quanta` from the two fields it reads."""
        key = (credits, credit_unit, unit, scale)
        found = self._quanta.get(key)
        if found is None:
            scaled = self.value_of(credits, credit_unit, unit) * scale
            if scaled.denominator != 1:
                raise Unknown
            found = self._quanta[key] = int(scaled)
        return found

    def cost(self, spec: CredentialSpec, cost: str) -> Fraction | None:
        """`index.plan_cost` as an exact decimal; None when the credential cannot be planned."""
        plannable = spec.is_published and not spec.is_qualification
        return self.cost_of(spec.credits, spec.credit_unit, plannable, spec.price, cost)

    def cost_of(
        self, credits: Any, credit_unit: str, plannable: bool, price: Any, cost: str
    ) -> Fraction | None:
        """`cost` from the fields it reads (a candidate group's, `Columns.group_rows`)."""
        if not plannable:
            return None
        if cost == "count":
            return Fraction(1)
        if cost == "price":
            if price is None:
                return None
            found = self._prices.get(price)
            if found is None:
                found = self._prices[price] = decimal(price)
            return found
        return self.value_of(credits, credit_unit, ECTS)

    def cost_scale(self, cost: str) -> int:
        """Cost quanta per unit of cost: one grid for every credential of the catalogue.

        Costs depend on a few fields with few distinct values, so the grid is found once.
        """
        found = self._scales.get(cost)
        if found is None:
            keys = {self._cost_key(spec, cost): spec for spec in self.index.credentials.values()}
            exact = [self.cost(spec, cost) for spec in keys.values()]
            found = lcm_of_denominators(sorted({c for c in exact if c is not None}))
            self._scales[cost] = found
            positive = [c for c in exact if c is not None and c > 0]
            self._least[cost] = int(min(positive) * found) if positive else None
        return found

    def least_positive_units(self, cost: str) -> int | None:
        """The least cost above nothing of any credential that can be planned, in quanta of
        `cost_scale` (None: every such credential is free). A plan that costs anything
        costs at least this much."""
        self.cost_scale(cost)
        return self._least[cost]

    def cost_units(self, spec: CredentialSpec, cost: str) -> int | None:
        """The cost of planning the credential in whole quanta of `cost_scale`; None if it
        cannot be planned. Raises Unknown for a negative cost or an unusable grid."""
        key = (cost, self._cost_key(spec, cost))
        found = self._units.get(key, self)
        if found is self:
            scale = self.cost_scale(cost)
            if scale > MAX_COST_SCALE:
                raise Unknown
            exact = self.cost(spec, cost)
            if exact is not None and exact < 0:
                raise Unknown
            found = None if exact is None else int(exact * scale)
            self._units[key] = found
        return found  # type: ignore[return-value]

    @staticmethod
    def _cost_key(spec: CredentialSpec, cost: str) -> tuple:
        plannable = spec.is_published and not spec.is_qualification
        if cost == "count":
            return (plannable,)
        if cost == "price":
            return (plannable, spec.price)
        return (plannable, spec.credits, spec.credit_unit)


def numbers(index: CatalogueIndex) -> Numbers:
    found = index.cache.get(NUMBERS_KEY)
    if found is None:
        found = index.cache[NUMBERS_KEY] = Numbers(index)
    return found


def lcm_of_denominators(values: Iterable[Fraction]) -> int:
    scale = 1
    for value in values:
        scale = math.lcm(scale, value.denominator)
    return scale


def exact_cost(
    index: CatalogueIndex, credentials: Iterable[str], cost: str, nums: Numbers | None = None
) -> Fraction:
    """What planning `credentials` costs, as the exact sum of their decimal costs."""
    nums = nums or numbers(index)
    return sum(
        (nums.cost(index.credentials[ident], cost) or Fraction(0) for ident in credentials),
        Fraction(0),
    )


def plan_total(
    index: CatalogueIndex, credentials: Iterable[str], cost: str, nums: Numbers | None = None
) -> float:
    """A plan's cost as a registrar adds it up: the decimals summed exactly, then the nearest
    float (1.4 + 2.8 is 4.2, where adding the floats gives 4.199999999999999)."""
    credentials = list(credentials)
    try:
        return float(exact_cost(index, credentials, cost, nums))
    except Unknown:  # a number that is no decimal (infinite): the floats are all there is
        return float(
            sum(index.plan_cost(index.credentials[ident], cost) or 0.0 for ident in credentials)
        )
