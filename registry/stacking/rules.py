"""The rule language: shape checks with paths, and the ids a rule names."""

from __future__ import annotations

import math
from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import Any

KINDS: tuple[str, ...] = ("credential", "all", "any", "at_least", "credits", "count")
CHILD_KINDS: tuple[str, ...] = ("all", "any", "at_least")
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "credential": frozenset({"credential", "within_years"}),
    "all": frozenset({"all", "within_years"}),
    "any": frozenset({"any", "within_years"}),
    "at_least": frozenset({"at_least", "of", "within_years"}),
    "credits": frozenset({"credits", "where", "unit", "of_which", "within_years"}),
    "count": frozenset({"count", "where", "of_which", "within_years"}),
}
FILTER_LIST_KEYS: tuple[str, ...] = ("credentials", "providers", "subjects", "types")
FILTER_KEYS: frozenset[str] = frozenset(
    {*FILTER_LIST_KEYS, "level_min", "level_max", "result_in", "result_min"}
)
PART_KINDS: tuple[str, ...] = ("credits", "count", "share")


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong with a rule, at a path inside it (STACKING.md "Paths")."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message}"


def child_path(path: str, kind: str, position: int) -> str:
    """The path of child `position` of a node at `path` whose children sit under `kind`."""
    step = f"{kind}[{position}]"
    return f"{path}.{step}" if path else step


def key_path(path: str, key: str) -> str:
    """The path of a non-child key of the node at `path` (e.g. `all[1].where`)."""
    return f"{path}.{key}" if path else key


def nested_path(path: str, qualification: str, inner: str) -> str:
    """The path of node `inner` of qualification Q's rule, reached through a leaf at `path`."""
    return f"{path}/{qualification}/{inner}"


def rule_kind(rule: dict) -> str | None:
    """The kind of a well-formed rule node (the one key of KINDS it has), else None."""
    found = [kind for kind in KINDS if kind in rule]
    return found[0] if len(found) == 1 else None


def rule_children(rule: dict) -> list[Any]:
    """The child rules of a node ([] for leaves and malformed nodes)."""
    kind = rule_kind(rule)
    if kind in ("all", "any"):
        children = rule[kind]
    elif kind == "at_least":
        children = rule.get("of")
    else:
        return []
    return children if isinstance(children, list) else []


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def rule_problems(rule: object, known_ids: Container[str] | None = None) -> list[RuleProblem]:
    """Every shape problem of one rule; [] when it is fine. Never raises on any JSON input.

    Checks unknown keys, wrong types, N / R out of range, negative X, bad filters and parts,
    and, when `known_ids` is given, ids that do not exist. Cycles are `find_cycle`'s job.
    """
    problems: list[RuleProblem] = []
    _check_rule(rule, "", known_ids, problems)
    return problems


def _check_rule(
    rule: object, path: str, known: Container[str] | None, out: list[RuleProblem]
) -> None:
    if not isinstance(rule, dict):
        out.append(RuleProblem(path, f"a rule must be an object, not {_describe(rule)}"))
        return
    kinds = [kind for kind in KINDS if kind in rule]
    if not kinds:
        out.append(RuleProblem(path, "a rule needs one of " + ", ".join(f"'{k}'" for k in KINDS)))
        for key in sorted((k for k in rule if k not in ALLOWED_KEYS["all"]), key=str):
            out.append(RuleProblem(key_path(path, str(key)), f"unknown key '{key}'"))
        return
    if len(kinds) > 1:
        out.append(
            RuleProblem(
                path,
                "a rule has exactly one of "
                + ", ".join(f"'{k}'" for k in KINDS)
                + "; found "
                + " and ".join(f"'{k}'" for k in kinds),
            )
        )
        return
    kind = kinds[0]
    for key in sorted((k for k in rule if k not in ALLOWED_KEYS[kind]), key=str):
        out.append(RuleProblem(key_path(path, str(key)), f"unknown key '{key}'"))
    if "within_years" in rule:
        years = rule["within_years"]
        if not _is_int(years) or years < 0:
            out.append(
                RuleProblem(
                    key_path(path, "within_years"),
                    "within_years must be a whole number of years >= 0",
                )
            )

    if kind == "credential":
        ident = rule["credential"]
        if not isinstance(ident, str) or not ident:
            out.append(
                RuleProblem(key_path(path, "credential"), "credential must be a credential id")
            )
        elif known is not None and ident not in known:
            out.append(RuleProblem(key_path(path, "credential"), f"unknown credential '{ident}'"))
    elif kind in ("all", "any"):
        children = rule[kind]
        if not isinstance(children, list) or not children:
            out.append(
                RuleProblem(key_path(path, kind), f"{kind} must be a non-empty list of rules")
            )
            return
        for position, child in enumerate(children):
            _check_rule(child, child_path(path, kind, position), known, out)
    elif kind == "at_least":
        children = rule.get("of")
        if not isinstance(children, list) or not children:
            out.append(RuleProblem(key_path(path, "of"), "of must be a non-empty list of rules"))
            children = None
        needed = rule["at_least"]
        if not _is_int(needed):
            out.append(RuleProblem(key_path(path, "at_least"), "at_least must be a whole number"))
        elif children is not None and not 1 <= needed <= len(children):
            out.append(
                RuleProblem(
                    key_path(path, "at_least"),
                    f"at_least must be between 1 and {len(children)}",
                )
            )
        elif children is None and needed < 1:
            out.append(RuleProblem(key_path(path, "at_least"), "at_least must be at least 1"))
        for position, child in enumerate(children or ()):
            _check_rule(child, child_path(path, "at_least", position), known, out)
    else:  # credits or count
        amount = rule[kind]
        if kind == "credits":
            if not _is_number(amount) or amount < 0:
                out.append(RuleProblem(key_path(path, "credits"), "credits must be a number >= 0"))
            if "unit" in rule and (not isinstance(rule["unit"], str) or not rule["unit"]):
                out.append(RuleProblem(key_path(path, "unit"), "unit must be a credit unit name"))
        elif not _is_int(amount) or amount < 0:
            out.append(RuleProblem(key_path(path, "count"), "count must be a whole number >= 0"))
        if "where" in rule:
            _check_filter(rule["where"], key_path(path, "where"), known, out)
        if "of_which" in rule:
            parts = rule["of_which"]
            if not isinstance(parts, list):
                out.append(RuleProblem(key_path(path, "of_which"), "of_which must be a list"))
            else:
                for position, part in enumerate(parts):
                    _check_part(part, child_path(path, "of_which", position), known, out)


def _check_part(
    part: object, path: str, known: Container[str] | None, out: list[RuleProblem]
) -> None:
    if not isinstance(part, dict):
        out.append(RuleProblem(path, f"a part must be an object, not {_describe(part)}"))
        return
    kinds = [kind for kind in PART_KINDS if kind in part]
    if len(kinds) != 1:
        out.append(RuleProblem(path, "a part has exactly one of 'credits', 'count', 'share'"))
    for key in sorted((k for k in part if k not in (*PART_KINDS, "where")), key=str):
        out.append(RuleProblem(key_path(path, str(key)), f"unknown key '{key}'"))
    for kind in kinds:
        value = part[kind]
        where = key_path(path, kind)
        if kind == "credits" and (not _is_number(value) or value < 0):
            out.append(RuleProblem(where, "credits must be a number >= 0"))
        elif kind == "count" and (not _is_int(value) or value < 0):
            out.append(RuleProblem(where, "count must be a whole number >= 0"))
        elif kind == "share" and (not _is_number(value) or not 0 < value <= 1):
            out.append(RuleProblem(where, "share must be greater than 0 and at most 1"))
    if "where" not in part:
        out.append(RuleProblem(key_path(path, "where"), "a part needs a 'where' filter"))
    else:
        _check_filter(part["where"], key_path(path, "where"), known, out)


def _check_filter(
    where: object, path: str, known: Container[str] | None, out: list[RuleProblem]
) -> None:
    if not isinstance(where, dict):
        out.append(RuleProblem(path, f"a filter must be an object, not {_describe(where)}"))
        return
    for key in sorted((k for k in where if k not in FILTER_KEYS), key=str):
        out.append(RuleProblem(key_path(path, str(key)), f"unknown key '{key}'"))
    for key in FILTER_LIST_KEYS:
        if key not in where:
            continue
        items = where[key]
        if not isinstance(items, list):
            out.append(RuleProblem(key_path(path, key), f"{key} must be a list of strings"))
            continue
        for position, item in enumerate(items):
            item_path = f"{key_path(path, key)}[{position}]"
            if not isinstance(item, str) or not item:
                out.append(RuleProblem(item_path, f"{key} must hold non-empty strings"))
            elif key == "credentials" and known is not None and item not in known:
                out.append(RuleProblem(item_path, f"unknown credential '{item}'"))
    for key in ("level_min", "level_max"):
        if key in where and not _is_int(where[key]):
            out.append(RuleProblem(key_path(path, key), f"{key} must be a whole number"))
    if "result_in" in where:
        values = where["result_in"]
        if not isinstance(values, list):
            out.append(RuleProblem(key_path(path, "result_in"), "result_in must be a list"))
        else:
            for position, value in enumerate(values):
                if not (isinstance(value, str) or _is_number(value)):
                    out.append(
                        RuleProblem(
                            f"{key_path(path, 'result_in')}[{position}]",
                            "result_in must hold strings or numbers",
                        )
                    )
    if "result_min" in where and not _is_number(where["result_min"]):
        out.append(RuleProblem(key_path(path, "result_min"), "result_min must be a number"))


def iter_nodes(rule: object, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every node of a rule with its path, parents before children; skips malformed parts."""
    if not isinstance(rule, dict):
        return
    yield path, rule
    kind = rule_kind(rule)
    if kind in CHILD_KINDS:
        for position, child in enumerate(rule_children(rule)):
            yield from iter_nodes(child, child_path(path, kind, position))


def leaf_ids(rule: dict) -> set[str]:
    """Ids of the rule's `{"credential": ID}` leaves."""
    found: set[str] = set()
    for _, node in iter_nodes(rule):
        if rule_kind(node) == "credential" and isinstance(node["credential"], str):
            found.add(node["credential"])
    return found


def referenced_ids(rule: dict) -> set[str]:
    """Ids a rule names: credential leaves and the `credentials` lists of its filters."""
    found = leaf_ids(rule)
    for _, node in iter_nodes(rule):
        if rule_kind(node) not in ("credits", "count"):
            continue
        filters = [node.get("where")]
        parts = node.get("of_which")
        if isinstance(parts, list):
            filters.extend(part.get("where") for part in parts if isinstance(part, dict))
        for where in filters:
            if isinstance(where, dict) and isinstance(where.get("credentials"), list):
                found.update(item for item in where["credentials"] if isinstance(item, str))
    return found
