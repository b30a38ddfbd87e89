"""The pure aggregation of reviews and Krippendorff's alpha, by tables and published examples."""

# ruff: noqa: E501 -- the aggregation and disagreement tables keep one aligned line per row
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.review.aggregate import (
    CriterionSpec,
    aggregate,
    krippendorff_alpha,
    krippendorff_alpha_ordinal,
)

# A small rubric: an essential 3-point criterion, a 2-point and a 1-point one (6 points).
CRITERIA = [CriterionSpec("E", 3, True), CriterionSpec("T", 2), CriterionSpec("O", 1)]


def reviews(*rows: str) -> list[dict[str, int]]:
    """Reviews written as digit strings in rubric order: "321" scores E=3, T=2, O=1."""
    return [{c.code: int(d) for c, d in zip(CRITERIA, row, strict=True)} for row in rows]


def kinds(flags: list[str]) -> set[str]:
    """Which kinds of disagreement the flags name."""
    found = set()
    for flag in flags:
        if "levels differ" in flag:
            found.add("spread:" + flag.split(":")[0])
        elif "split" in flag:
            found.add("split:" + flag.split(":")[0])
        elif "outcomes differ" in flag:
            found.add("outcomes")
    return found


# fmt: off
#  name                        reviews                           threshold  met     awarded passes reviewer_passes
AGGREGATION = [
    ("one review, all met",     ("222",),                          0.85,  "ETO", 6, True,  [True]),
    ("one review, essential 1", ("122",),                          0.50,  "TO",  3, False, [False]),
    ("exemplary counts as met", ("333",),                          0.85,  "ETO", 6, True,  [True]),
    ("1 of 2 is half: met",     ("222", "122"),                    0.85,  "ETO", 6, True,  [True, False]),
    ("1 of 3 is not half",      ("222", "122", "122"),             0.50,  "TO",  3, False, [True, False, False]),
    ("2 of 3 is met",           ("222", "222", "122"),             0.85,  "ETO", 6, True,  [True, True, False]),
    ("2 of 4 is half: met",     ("221", "221", "222", "222"),      0.85,  "ETO", 6, True,  [False, False, True, True]),
    ("1 of 4 is not",           ("221", "221", "221", "222"),      0.85,  "ET",  5, False, [False, False, False, True]),
    ("3 of 5 is met",           ("212", "212", "222", "222", "222"), 0.85, "ETO", 6, True, [False, False, True, True, True]),
    ("2 of 5 is not",           ("212", "212", "212", "222", "222"), 0.85, "EO", 4, False, [False, False, False, True, True]),
    ("5/6 under 0.85",          ("221", "221", "221"),             0.85,  "ET",  5, False, [False, False, False]),
    ("5/6 over 0.8",            ("221", "221", "221"),             0.80,  "ET",  5, True,  [True, True, True]),
    ("essential fails a high score", ("022", "122", "033"),        0.50,  "TO",  3, False, [False, False, False]),
    ("nothing met",             ("000", "111"),                    0.10,  "",    0, False, [False, False]),
    ("threshold 1 needs all",   ("222", "221"),                    1.00,  "ETO", 6, True,  [True, False]),
    ("threshold 1, one short",  ("221", "221"),                    1.00,  "ET",  5, False, [False, False]),
]
# fmt: on


@pytest.mark.parametrize(
    ("name", "given_reviews", "threshold", "met", "awarded", "passes", "reviewer_passes"),
    AGGREGATION,
    ids=[row[0] for row in AGGREGATION],
)
def test_aggregation_table(
    name, given_reviews, threshold, met, awarded, passes, reviewer_passes
) -> None:
    result = aggregate(CRITERIA, reviews(*given_reviews), met_level=2, threshold=threshold)

    assert {code for code, ok in result.met.items() if ok} == set(met)
    assert result.unmet == [c.code for c in CRITERIA if c.code not in met]
    assert (result.awarded, result.possible) == (awarded, 6)
    assert result.score == pytest.approx(awarded / 6)
    assert result.passes is passes
    assert result.recommendation == ("approve" if passes else "reject")
    assert result.reviewer_passes == reviewer_passes
    assert result.reviews == len(given_reviews)


# fmt: off
#  name                                   reviews               threshold  met_level  expected kinds
DISAGREEMENT = [
    ("all the same",                      ("222", "222", "222"),  0.85, 2, set()),
    ("one review never disagrees",        ("032",),               0.85, 2, set()),
    ("a spread of 1 is fine",             ("212", "222"),         0.50, 2, set()),
    ("both fail alike",                   ("122", "122"),         0.50, 2, set()),
    ("spread 2 on a minor criterion",     ("220", "222"),         0.50, 2, {"spread:O"}),
    ("spread 3",                          ("223", "220"),         0.50, 2, {"spread:O"}),
    ("essential split",                   ("222", "122"),         0.50, 2, {"split:E", "outcomes"}),
    ("essential split and spread",        ("322", "122"),         0.50, 2, {"spread:E", "split:E", "outcomes"}),
    ("only the outcomes differ",          ("221", "222"),         0.85, 2, {"outcomes"}),
    ("minor split, same outcome",         ("212", "222"),         0.50, 2, set()),
    ("spread on every criterion",         ("300", "122"),         0.10, 2, {"spread:E", "spread:T", "spread:O", "split:E", "outcomes"}),
    ("spread with no split (0-4 scale)",  ("244", "422"),         0.85, 2, {"spread:E", "spread:T", "spread:O"}),
    ("three reviewers, one far off",      ("333", "333", "133"),  0.85, 2, {"spread:E", "split:E", "outcomes"}),
    ("three reviewers, outcomes 2-1",     ("222", "222", "211"),  0.85, 2, {"outcomes"}),
    ("met at 3: 2 and 3 split",           ("322", "222"),         0.10, 3, {"split:E", "outcomes"}),
]
# fmt: on


@pytest.mark.parametrize(
    ("name", "given_reviews", "threshold", "met_level", "expected"),
    DISAGREEMENT,
    ids=[row[0] for row in DISAGREEMENT],
)
def test_disagreement_table(name, given_reviews, threshold, met_level, expected) -> None:
    result = aggregate(CRITERIA, reviews(*given_reviews), met_level=met_level, threshold=threshold)

    assert kinds(result.flags) == expected
    assert result.disagreement is bool(expected)


def test_flags_say_which_criterion_and_how() -> None:
    result = aggregate(CRITERIA, reviews("322", "122", "222"), met_level=2, threshold=0.85)

    assert result.flags == [
        "E: levels differ by 2 (1 to 3)",
        "E: reviewers split on this essential criterion (2 of 3 say met)",
        "reviewers' own outcomes differ (2 pass, 1 fail)",
    ]


def test_a_score_exactly_at_the_threshold_passes() -> None:
    # 17 of 20 points is 0.85 exactly; float division must not make it fall short.
    criteria = [CriterionSpec(f"C{i}", 1) for i in range(20)]
    scores = {c.code: 2 for c in criteria} | {"C0": 0, "C1": 0, "C2": 0}

    result = aggregate(criteria, [scores], met_level=2, threshold=0.85)
    at_0_1 = aggregate(criteria[:10], [{f"C{i}": int(i == 0) * 2 for i in range(10)}],
                       met_level=2, threshold=0.1)  # fmt: skip

    assert (result.awarded, result.possible, result.passes) == (17, 20, True)
    assert (at_0_1.awarded, at_0_1.possible, at_0_1.passes) == (1, 10, True)


def test_no_reviews_meets_nothing() -> None:
    result = aggregate(CRITERIA, [], met_level=2, threshold=0.5)

    assert result.met == {"E": False, "T": False, "O": False}
    assert (result.awarded, result.passes, result.flags, result.reviewer_passes) == (
        0,
        False,
        [],
        [],
    )


def test_a_review_missing_a_criterion_is_refused() -> None:
    with pytest.raises(ValueError, match="review 2 does not score T"):
        aggregate(CRITERIA, [{"E": 2, "T": 2, "O": 2}, {"E": 2, "O": 2}], met_level=2, threshold=1)


def test_a_rubric_without_criteria_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one criterion"):
        aggregate([], [{}], met_level=2, threshold=0.85)


def test_as_dict_is_what_the_decision_stores() -> None:
    result = aggregate(CRITERIA, reviews("322", "122", "221"), met_level=2, threshold=0.85)

    stored = result.as_dict()

    assert stored == {
        "reviews": 3,
        "met": {"E": True, "T": True, "O": True},
        "unmet": [],
        "awarded": 6,
        "possible": 6,
        "score": 1.0,
        "threshold": 0.85,
        "met_level": 2,
        "passes": True,
        "recommendation": "approve",
        "flags": result.flags,
        "reviewer_passes": [True, False, False],
        "levels": {
            "E": {"min": 1, "max": 3, "mean": 2.0, "met_votes": 2},
            "T": {"min": 2, "max": 2, "mean": 2.0, "met_votes": 3},
            "O": {"min": 1, "max": 2, "mean": 1.667, "met_votes": 2},
        },
    }


# Krippendorff's alpha ------------------------------------------------------------------------

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, missing values. Published: nominal .743, ordinal .815, interval .849.
KRIPPENDORFF_2011 = list(
    zip(
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
        strict=True,
    )
)
# The three-coder, fifteen-unit example of the alpha article in Wikipedia: nominal .691,
# interval .811.
THREE_CODERS = list(
    zip(
        [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
        [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
        [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
        strict=True,
    )
)


@pytest.mark.parametrize(
    ("units", "level", "published"),
    [
        (KRIPPENDORFF_2011, "ordinal", 0.815),
        (KRIPPENDORFF_2011, "nominal", 0.743),
        (KRIPPENDORFF_2011, "interval", 0.849),
        (THREE_CODERS, "nominal", 0.691),
        (THREE_CODERS, "interval", 0.811),
    ],
)
def test_alpha_matches_the_published_examples(units, level, published) -> None:
    assert round(krippendorff_alpha(units, level=level), 3) == published


def test_the_ordinal_alpha_of_the_2011_example() -> None:
    assert krippendorff_alpha_ordinal(KRIPPENDORFF_2011) == pytest.approx(0.8153875, abs=1e-7)


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ([(1, 1), (2, 2), (3, 3)], 1.0),  # perfect agreement
        ([(1, 2), (2, 1)], -0.5),  # systematic disagreement: worse than chance
        # o11 = 2, o12 = o21 = 1; n1 = 3, n2 = 1, n = 4; d12 = (4 - 4/2)^2 = 4;
        # alpha = 1 - 3 * (2 * 4) / (2 * 3 * 1 * 4) = 0: agreement no better than chance.
        ([(1, 1), (1, 2)], 0.0),
    ],
)
def test_alpha_by_hand(units, expected) -> None:
    assert krippendorff_alpha_ordinal(units) == pytest.approx(expected)


@pytest.mark.parametrize(
    "units",
    [
        [],
        [(2, 3)],  # one pairable unit is not enough
        [(2, 3), (1,), (None, 2)],  # the others have one rating each
        [(2, 2), (2, 2, 2)],  # no variation: agreement beyond chance cannot be told
        [(None, None), (1, None)],
    ],
)
def test_alpha_is_none_without_enough_data(units) -> None:
    assert krippendorff_alpha_ordinal(units) is None


ratings = st.lists(
    st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=2, max_size=4),
    min_size=2,
    max_size=12,
)


@given(ratings)
def test_ordinal_alpha_depends_only_on_the_order_of_levels(units) -> None:
    """Relabelling levels by any increasing map leaves ordinal alpha as it was."""
    relabel = {0: 10, 1: 11, 2: 50, 3: 97}
    moved = [[None if v is None else relabel[v] for v in unit] for unit in units]

    alpha, alpha_moved = krippendorff_alpha_ordinal(units), krippendorff_alpha_ordinal(moved)

    if alpha is None:
        assert alpha_moved is None
    else:
        assert alpha_moved == pytest.approx(alpha)
        assert alpha <= 1 + 1e-9


@given(ratings)
def test_the_order_of_units_and_of_ratings_does_not_matter(units) -> None:
    shuffled = [list(reversed(unit)) for unit in reversed(units)]

    alpha = krippendorff_alpha_ordinal(units)

    assert krippendorff_alpha_ordinal(shuffled) == (None if alpha is None else pytest.approx(alpha))


def test_importing_aggregate_loads_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys, registry.review.aggregate;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
