"""Pure aggregation of rubric reviews and Krippendorff's alpha (no framework imports).

REVIEW.md "Aggregation and disagreement": a criterion is met when at least half of the reviews
(rounded up) score it met; the score is the share of points of met criteria; a submission
passes at the threshold with every essential criterion met; disagreement is flagged on a level
spread of 2 or more, a split on an essential criterion, or reviewers whose own outcomes differ.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import permutations
from typing import Any

# A spread of this many levels on one criterion means reviewers read it differently.
LEVEL_SPREAD_FLAG = 2


@dataclass(frozen=True)
class CriterionSpec:
    """What aggregation needs of a criterion: its code, points (1-3) and whether it is essential."""

    code: str
    points: int
    essential: bool = False


@dataclass(frozen=True)
class CriterionLevels:
    """The levels reviewers gave one criterion: what the coordinator sees (min, max, mean)."""

    min: int
    max: int
    mean: float
    met_votes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "min": self.min,
            "max": self.max,
            "mean": round(self.mean, 3),
            "met_votes": self.met_votes,
        }


@dataclass(frozen=True)
class Aggregate:
    """The computed result of one round's reviews; a recommendation, never the decision."""

    reviews: int
    met: dict[str, bool]
    awarded: int
    possible: int
    score: float
    threshold: float
    met_level: int
    passes: bool
    flags: list[str]
    reviewer_passes: list[bool]
    levels: dict[str, CriterionLevels] = field(default_factory=dict)

    @property
    def recommendation(self) -> str:
        return "approve" if self.passes else "reject"

    @property
    def unmet(self) -> list[str]:
        """Codes of the criteria not met, in rubric order."""
        return [code for code, met in self.met.items() if not met]

    @property
    def disagreement(self) -> bool:
        return bool(self.flags)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; stored with the decision so a later rubric change rewrites nothing."""
        return {
            "reviews": self.reviews,
            "met": dict(self.met),
            "unmet": self.unmet,
            "awarded": self.awarded,
            "possible": self.possible,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "met_level": self.met_level,
            "passes": self.passes,
            "recommendation": self.recommendation,
            "flags": list(self.flags),
            "reviewer_passes": list(self.reviewer_passes),
            "levels": {code: stats.as_dict() for code, stats in self.levels.items()},
        }


def aggregate(
    criteria: Sequence[CriterionSpec],
    reviews: Sequence[Mapping[str, int]],
    *,
    met_level: int,
    threshold: float,
) -> Aggregate:
    """Combine the reviews of one round (each maps every criterion code to a level).

    With no reviews nothing is met and nothing passes. A review that leaves a criterion out
    is a ValueError: every criterion must be scored before a review counts.
    """
    if not criteria:
        raise ValueError("a rubric needs at least one criterion")
    codes = [c.code for c in criteria]
    for number, review in enumerate(reviews, start=1):
        missing = [code for code in codes if review.get(code) is None]
        if missing:
            raise ValueError(f"review {number} does not score {', '.join(missing)}")

    quorum = math.ceil(len(reviews) / 2)
    met: dict[str, bool] = {}
    levels: dict[str, CriterionLevels] = {}
    for criterion in criteria:
        given = [int(review[criterion.code]) for review in reviews]
        votes = sum(level >= met_level for level in given)
        met[criterion.code] = bool(given) and votes >= quorum
        if given:
            levels[criterion.code] = CriterionLevels(
                min(given), max(given), sum(given) / len(given), votes
            )

    awarded, possible = _points(criteria, met)
    passes = _passes(criteria, met, awarded, possible, threshold)
    reviewer_passes = [
        _passes(criteria, own, *_points(criteria, own), threshold)
        for own in (
            {c.code: int(review[c.code]) >= met_level for c in criteria} for review in reviews
        )
    ]
    return Aggregate(
        reviews=len(reviews),
        met=met,
        awarded=awarded,
        possible=possible,
        score=awarded / possible,
        threshold=threshold,
        met_level=met_level,
        passes=passes,
        flags=_flags(criteria, reviews, met_level, reviewer_passes),
        reviewer_passes=reviewer_passes,
        levels=levels,
    )


def _points(criteria: Sequence[CriterionSpec], met: Mapping[str, bool]) -> tuple[int, int]:
    awarded = sum(c.points for c in criteria if met[c.code])
    return awarded, sum(c.points for c in criteria)


def _passes(
    criteria: Sequence[CriterionSpec],
    met: Mapping[str, bool],
    awarded: int,
    possible: int,
    threshold: float,
) -> bool:
    # Exact arithmetic: 17/20 must reach a threshold written as 0.85 however floats round it.
    reaches = Fraction(awarded, possible) >= Fraction(repr(threshold))
    return reaches and all(met[c.code] for c in criteria if c.essential)


def _flags(
    criteria: Sequence[CriterionSpec],
    reviews: Sequence[Mapping[str, int]],
    met_level: int,
    reviewer_passes: Sequence[bool],
) -> list[str]:
    """The reasons reviewers disagree, in rubric order, then the outcomes; empty if they agree."""
    if len(reviews) < 2:
        return []
    flags = []
    for criterion in criteria:
        given = [int(review[criterion.code]) for review in reviews]
        low, high = min(given), max(given)
        if high - low >= LEVEL_SPREAD_FLAG:
            flags.append(f"{criterion.code}: levels differ by {high - low} ({low} to {high})")
        votes = sum(level >= met_level for level in given)
        if criterion.essential and 0 < votes < len(given):
            flags.append(
                f"{criterion.code}: reviewers split on this essential criterion "
                f"({votes} of {len(given)} say met)"
            )
    passed = sum(reviewer_passes)
    if 0 < passed < len(reviewer_passes):
        flags.append(
            f"reviewers' own outcomes differ ({passed} pass, {len(reviewer_passes) - passed} fail)"
        )
    return flags


# Krippendorff's alpha -----------------------------------------------------------------------

# Fewer units than this (each with two or more ratings) say too little to report a reliability.
MIN_PAIRABLE_UNITS = 2

Metric = Callable[[int, int, Mapping[int, float]], float]


def _nominal(c: int, k: int, _n: Mapping[int, float]) -> float:
    return 0.0 if c == k else 1.0


def _interval(c: int, k: int, _n: Mapping[int, float]) -> float:
    return float((c - k) ** 2)


def _ordinal(c: int, k: int, n: Mapping[int, float]) -> float:
    """Krippendorff's ordinal distance: the squared mass of values from c to k, half the ends."""
    low, high = min(c, k), max(c, k)
    between = sum(count for value, count in n.items() if low <= value <= high)
    return (between - (n[c] + n[k]) / 2) ** 2


METRICS: dict[str, Metric] = {"nominal": _nominal, "ordinal": _ordinal, "interval": _interval}


def krippendorff_alpha(
    units: Sequence[Sequence[int | None]], *, level: str = "ordinal"
) -> float | None:
    """Krippendorff's alpha over units (each the ratings one thing got; None where missing).

    The coincidence-matrix form (Krippendorff 2011, "Computing Krippendorff's Alpha-
    Reliability"): alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck). Units with
    fewer than two ratings are not pairable and are left out. None when there are fewer than
    MIN_PAIRABLE_UNITS pairable units, or when every rating is the same value (no variation,
    so agreement beyond chance cannot be told).
    """
    distance = METRICS[level]
    pairable = [
        [int(v) for v in unit if v is not None]
        for unit in units
        if sum(v is not None for v in unit) >= 2
    ]
    if len(pairable) < MIN_PAIRABLE_UNITS:
        return None

    # o_ck: each ordered pair of ratings within a unit, weighted 1 / (m_u - 1).
    coincidences: defaultdict[tuple[int, int], float] = defaultdict(float)
    for values in pairable:
        weight = 1 / (len(values) - 1)
        for c, k in permutations(values, 2):
            coincidences[(c, k)] += weight
    totals: defaultdict[int, float] = defaultdict(float)
    for (c, _k), count in coincidences.items():
        totals[c] += count
    n = sum(totals.values())
    if len(totals) < 2:
        return None

    observed = sum(count * distance(c, k, totals) for (c, k), count in coincidences.items())
    expected = sum(
        totals[c] * totals[k] * distance(c, k, totals) for c in totals for k in totals if c != k
    )
    return 1 - (n - 1) * observed / expected


def krippendorff_alpha_ordinal(units: Sequence[Sequence[int | None]]) -> float | None:
    """Krippendorff's alpha with the ordinal metric (rubric levels are ordered, not spaced)."""
    return krippendorff_alpha(units, level="ordinal")
