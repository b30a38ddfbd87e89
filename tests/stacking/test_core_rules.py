"""Shape checks of rules: every kind of problem, with its path."""

from __future__ import annotations

import pytest

from registry.stacking import leaf_ids, referenced_ids, rule_problems

KNOWN = {"a", "b", "c", "q"}


def problems(rule: object, known: set[str] | None = KNOWN) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in rule_problems(rule, known)]


@pytest.mark.parametrize(
    "rule",
    [
        {"credential": "a"},
        {"all": [{"credential": "a"}, {"any": [{"credential": "b"}, {"credential": "c"}]}]},
        {"at_least": 2, "of": [{"credential": "a"}, {"credential": "b"}]},
        {"credits": 0, "unit": "SCQF", "within_years": 0},
        {
            "credits": 30,
            "where": {"subjects": ["0613"], "level_min": 5, "level_max": 6},
            "of_which": [
                {"credits": 24, "where": {"subjects": ["pp"]}},
                {"count": 1, "where": {"types": ["badge"]}},
                {"share": 1, "where": {"result_in": ["A", 1], "result_min": 2.5}},
            ],
        },
        {"count": 3, "where": {"credentials": ["a", "b"], "providers": ["p"]}},
    ],
)
def test_good_rules_have_no_problems(rule: dict) -> None:
    assert rule_problems(rule, KNOWN) == []


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (None, [("", "a rule must be an object, not null")]),
        ([], [("", "a rule must be an object, not a list")]),
        ({"credential": "a", "foo": 1}, [("foo", "unknown key 'foo'")]),
        ({"all": [{"credential": "x"}]}, [("all[0].credential", "unknown credential 'x'")]),
        ({"credential": 3}, [("credential", "credential must be a credential id")]),
        ({"all": []}, [("all", "all must be a non-empty list of rules")]),
        ({"any": "a"}, [("any", "any must be a non-empty list of rules")]),
        (
            {"at_least": 3, "of": [{"credential": "a"}, {"credential": "b"}]},
            [("at_least", "at_least must be between 1 and 2")],
        ),
        (
            {"all": [{"credential": "a"}, {"at_least": 0, "of": [{"credential": "b"}]}]},
            [("all[1].at_least", "at_least must be between 1 and 1")],
        ),
        (
            {"at_least": 1.5, "of": [{"credential": "a"}]},
            [("at_least", "at_least must be a whole number")],
        ),
        ({"at_least": 1}, [("of", "of must be a non-empty list of rules")]),
        ({"credits": -1}, [("credits", "credits must be a number >= 0")]),
        ({"credits": "5"}, [("credits", "credits must be a number >= 0")]),
        ({"credits": 5, "unit": 3}, [("unit", "unit must be a credit unit name")]),
        ({"count": -1}, [("count", "count must be a whole number >= 0")]),
        ({"count": True}, [("count", "count must be a whole number >= 0")]),
        (
            {"any": [{"credential": "a"}, {"credits": 1, "within_years": -2}]},
            [("any[1].within_years", "within_years must be a whole number of years >= 0")],
        ),
        (
            {"count": 1, "where": {"credentials": ["a", "zz"], "colour": "red"}},
            [
                ("where.colour", "unknown key 'colour'"),
                ("where.credentials[1]", "unknown credential 'zz'"),
            ],
        ),
        ({"count": 1, "where": []}, [("where", "a filter must be an object, not a list")]),
        (
            {"count": 1, "where": {"subjects": "0613"}},
            [("where.subjects", "subjects must be a list of strings")],
        ),
        (
            {"count": 1, "where": {"level_min": "5"}},
            [("where.level_min", "level_min must be a whole number")],
        ),
        (
            {"count": 1, "where": {"result_in": [None]}},
            [("where.result_in[0]", "result_in must hold strings or numbers")],
        ),
        (
            {"count": 1, "where": {"result_min": "A"}},
            [("where.result_min", "result_min must be a number")],
        ),
        ({"count": 1, "of_which": {}}, [("of_which", "of_which must be a list")]),
        (
            {"credits": 5, "of_which": [{"share": 0, "where": {}}]},
            [("of_which[0].share", "share must be greater than 0 and at most 1")],
        ),
        (
            {"credits": 5, "of_which": [{"share": 1.5, "where": {}}]},
            [("of_which[0].share", "share must be greater than 0 and at most 1")],
        ),
        (
            {"credits": 5, "of_which": [{"credits": -3, "where": {}}]},
            [("of_which[0].credits", "credits must be a number >= 0")],
        ),
        (
            {"credits": 5, "of_which": [{"count": 1}]},
            [("of_which[0].where", "a part needs a 'where' filter")],
        ),
        (
            {"credits": 5, "of_which": [{"where": {}, "x": 1}]},
            [
                ("of_which[0]", "a part has exactly one of 'credits', 'count', 'share'"),
                ("of_which[0].x", "unknown key 'x'"),
            ],
        ),
        (
            {"all": [{"credential": "a", "all": []}]},
            [
                (
                    "all[0]",
                    "a rule has exactly one of 'credential', 'all', 'any', 'at_least', 'credits', "
                    "'count'; found 'credential' and 'all'",
                )
            ],
        ),
        (
            {"of": []},
            [
                (
                    "",
                    "a rule needs one of 'credential', 'all', 'any', 'at_least', 'credits', "
                    "'count'",
                ),
                ("of", "unknown key 'of'"),
            ],
        ),
    ],
)
def test_problems_name_their_path(rule: object, expected: list[tuple[str, str]]) -> None:
    assert problems(rule) == expected


def test_unknown_ids_are_only_checked_when_known_ids_are_given() -> None:
    assert problems({"credential": "nowhere"}, known=None) == []


@pytest.mark.parametrize(
    "rule",
    [
        1,
        "x",
        [{"a": 1}],
        {"all": [None, 3, {"at_least": None, "of": None}]},
        {1: 2},
        {"count": float("nan")},
    ],
)
def test_never_raises(rule: object) -> None:
    assert rule_problems(rule, KNOWN)


def test_referenced_and_leaf_ids() -> None:
    rule = {
        "all": [
            {"credential": "a"},
            {
                "at_least": 1,
                "of": [{"credential": "b"}, {"count": 1, "where": {"credentials": ["c"]}}],
            },
            {"credits": 5, "of_which": [{"count": 1, "where": {"credentials": ["d"]}}]},
        ]
    }
    assert leaf_ids(rule) == {"a", "b"}
    assert referenced_ids(rule) == {"a", "b", "c", "d"}
