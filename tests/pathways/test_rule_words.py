"""The readable rule: every construct of the rule language in learner language."""

from __future__ import annotations

import pytest

from registry.credentials.rules_text import (
    MAX_EXPANSION,
    RuleLine,
    filter_pieces,
    leaf_summary,
    rule_ids,
    rule_lines,
    subject_name,
)


def text(line: RuleLine) -> str:
    return "".join(value for _, value in line.pieces)


def tree(line: RuleLine) -> list:
    """The whole tree as nested [text, [children...]] for one-look comparisons."""
    return [text(line), [tree(child) for child in line.children]] if line.children else text(line)


def leaves(*ids: str) -> list[dict]:
    return [{"credential": ident} for ident in ids]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"credential": "a"}, "Hold a"),
        ({"all": leaves("a", "b")}, ["Both of these:", ["a", "b"]]),
        ({"all": leaves("a", "b", "c")}, ["All 3 of these:", ["a", "b", "c"]]),
        ({"any": leaves("a", "b")}, ["Either of these:", ["a", "b"]]),
        ({"any": leaves("a", "b", "c")}, ["One of these 3:", ["a", "b", "c"]]),
        ({"at_least": 3, "of": leaves(*"abcde")}, ["3 of these 5:", list("abcde")]),
        ({"at_least": 2, "of": leaves("a", "b")}, ["Both of these:", ["a", "b"]]),
        ({"at_least": 1, "of": leaves("a", "b", "c")}, ["One of these 3:", ["a", "b", "c"]]),
        ({"credits": 30}, "30 ECTS from any credentials"),
        (
            {"credits": 30, "where": {"level_min": 6, "subjects": ["0613"]}},
            "30 ECTS at EQF level 6 or above in Software and applications development and analysis",
        ),
        (
            {"credits": 7.5, "unit": "SCQF", "where": {"level_max": 5, "subjects": ["0611", "06"]}},
            "7.5 SCQF at EQF level 5 or below in Computer use or Information and communication "
            "technologies",
        ),
        (
            {
                "credits": 9,
                "unit": "US-semester-hour",
                "where": {"credentials": ["x", "y", "z"], "result_in": ["A", "B"]},
            },
            ["9 US-semester-hour from these 3 with result A or B:", ["x", "y", "z"]],
        ),
        ({"credits": 5, "where": {"credentials": ["x"]}}, "5 ECTS from x"),
        (
            {
                "credits": 10,
                "where": {
                    "level_min": 5,
                    "level_max": 6,
                    "types": ["course", "badge"],
                    "providers": ["uni-a"],
                    "result_min": 60,
                },
            },
            "10 ECTS at EQF level 5 to 6 of type course or badge from provider uni-a "
            "with result at least 60",
        ),
        ({"count": 3}, "Any 3 different credentials"),
        ({"count": 1}, "Any 1 credential"),
        (
            {"count": 2, "where": {"level_min": 7, "level_max": 7}},
            "2 different credentials at EQF level 7",
        ),
        (
            {"count": 2, "where": {"credentials": ["x", "y", "z"]}},
            ["2 of these 3:", ["x", "y", "z"]],
        ),
        ({"count": 1, "where": {"subjects": ["9999"]}}, "1 credential in subject 9999"),
        (
            {"credits": 10, "where": {"subjects": ["0613"]}, "within_years": 5},
            "10 ECTS in Software and applications development and analysis "
            "(earned within the last 5 years)",
        ),
        (
            {"at_least": 1, "of": leaves("a", "b"), "within_years": 1},
            ["Either of these (earned within the last 1 year):", ["a", "b"]],
        ),
    ],
)
def test_each_construct_reads_as_learner_language(rule, expected):
    assert tree(rule_lines(rule)) == expected


def test_of_which_parts_read_under_their_amount():
    rule = {
        "credits": 30,
        "unit": "HKU",
        "where": {"providers": ["hks"]},
        "of_which": [
            {"credits": 24, "where": {"subjects": ["0413"]}},
            {"share": 0.75, "where": {"level_min": 5, "level_max": 5}},
            {"count": 2, "where": {"credentials": ["x", "y"]}},
        ],
    }
    assert tree(rule_lines(rule)) == [
        "30 HKU from provider hks",
        [
            "of which at least 24 HKU in Management and administration",
            "of which at least 75 % of the credits at EQF level 5",
            "of which at least 2 from one of x or y",
        ],
    ]
    count = {"count": 8, "of_which": [{"share": 0.25, "where": {"subjects": ["0612"]}}]}
    assert tree(rule_lines(count)) == [
        "Any 8 different credentials",
        [
            "of which at least 25 % of the credentials in "
            "Database and network design and administration"
        ],
    ]
    # The ids of an of-which filter are links.
    assert rule_ids(rule_lines(rule)) == {"x", "y"}


def test_nested_qualifications_are_expanded_below_their_leaf():
    rules = {
        "mm": {"all": leaves("c1", "c2")},
        "master": {"all": [{"credential": "mm"}, {"credential": "t"}]},
    }
    line = rule_lines(rules["master"], expand=rules.get)
    assert tree(line) == [
        "Both of these:",
        [["mm", [["which needs: Both of these:", ["c1", "c2"]]]], "t"],
    ]
    assert rule_ids(line) == {"mm", "c1", "c2", "t"}


def test_expansion_stops_a_few_levels_down():
    # A (wrongly) self-nesting lookup must not recurse forever.
    line = rule_lines({"credential": "q"}, expand=lambda ident: {"credential": "q"})
    depth = 0
    while line.children:
        line = line.children[0]
        depth += 1
    assert depth == MAX_EXPANSION


def test_filters_and_leaves_in_one_line():
    assert "".join(
        v for _, v in filter_pieces({"credentials": ["a", "b", "c"], "level_min": 6})
    ) == ("at EQF level 6 or above from one of a, b or c")
    assert "".join(v for _, v in filter_pieces({})) == "of any kind"
    assert leaf_summary({"count": 2, "where": {"credentials": ["x", "y", "z"]}}) == "2 of these 3"
    assert subject_name("0542") == "Statistics" and subject_name("x1") == "subject x1"


def test_oddities_are_shown_raw():
    assert text(rule_lines("nonsense")) == "(not a rule: 'nonsense')"
    assert text(rule_lines({"all": [], "any": []})).startswith("(unreadable rule:")
