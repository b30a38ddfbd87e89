"""A rule tree in words: nested lines whose pieces are text or credential ids to link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.stacking.rules import rule_children, rule_kind

Piece = tuple[str, str]  # ("text", words) or ("id", credential id)


@dataclass
class RuleLine:
    """One node of a rule: what it asks, in pieces, and its children."""

    pieces: list[Piece]
    children: list[RuleLine] = field(default_factory=list)


def rule_lines(rule: Any) -> RuleLine:
    """The readable tree of one rule (the shape is assumed checked; oddities are shown raw)."""
    if not isinstance(rule, dict):
        return RuleLine([("text", f"(not a rule: {rule!r})")])
    kind = rule_kind(rule)
    pieces: list[Piece]
    children: list[RuleLine] = []
    if kind == "credential":
        pieces = [("text", "Hold "), ("id", str(rule["credential"]))]
    elif kind == "all":
        pieces = [("text", "All of:")]
    elif kind == "any":
        pieces = [("text", "Any one of:")]
    elif kind == "at_least":
        pieces = [("text", f"At least {rule['at_least']} of:")]
    elif kind == "credits":
        unit = rule.get("unit") or "ECTS"
        pieces = [("text", f"{_number(rule['credits'])} {unit} from credentials"), *_filter(rule)]
        children = _parts(rule, unit)
    elif kind == "count":
        pieces = [("text", f"{rule['count']} different credentials"), *_filter(rule)]
        children = _parts(rule, None)
    else:
        return RuleLine([("text", f"(unreadable rule: {rule!r})")])
    if "within_years" in rule:
        pieces.append(("text", f" (earned within the last {rule['within_years']} years)"))
    children = [rule_lines(child) for child in rule_children(rule)] + children
    return RuleLine(pieces, children)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _filter(rule: dict[str, Any]) -> list[Piece]:
    where = rule.get("where")
    if not where:
        return [("text", " of any kind")]
    return [("text", " matching: "), *filter_pieces(where)]


def _parts(rule: dict[str, Any], unit: str | None) -> list[RuleLine]:
    lines = []
    for part in rule.get("of_which") or []:
        if not isinstance(part, dict):
            continue
        if "credits" in part:
            head = f"of which at least {_number(part['credits'])} {unit or 'ECTS'}"
        elif "count" in part:
            head = f"of which at least {part['count']} credentials"
        else:
            share = part.get("share")
            amount = "credits" if unit else "credentials"
            percent = f"{share * 100:g} %" if isinstance(share, int | float) else repr(share)
            head = f"of which at least {percent} of the {amount}"
        lines.append(RuleLine([("text", head + " matching: "), *filter_pieces(part.get("where"))]))
    return lines


def filter_pieces(where: Any) -> list[Piece]:
    """A filter in words: "credentials a or b; subjects 0613; level 6 or above"."""
    if not isinstance(where, dict) or not where:
        return [("text", "anything")]
    clauses: list[list[Piece]] = []
    ids = where.get("credentials")
    if isinstance(ids, list) and ids:
        clause: list[Piece] = [("text", "credential " if len(ids) == 1 else "one of ")]
        for i, ident in enumerate(ids):
            if i:
                clause.append(("text", " or " if i == len(ids) - 1 else ", "))
            clause.append(("id", str(ident)))
        clauses.append(clause)
    for key, label in (("providers", "provider"), ("subjects", "subject"), ("types", "type")):
        values = where.get(key)
        if isinstance(values, list) and values:
            clauses.append([("text", f"{label} " + " or ".join(map(str, values)))])
    low, high = where.get("level_min"), where.get("level_max")
    if low is not None and high is not None:
        level = f"EQF level {low}" if low == high else f"EQF level {low} to {high}"
    elif low is not None:
        level = f"EQF level {low} or above"
    elif high is not None:
        level = f"EQF level {high} or below"
    else:
        level = ""
    if level:
        clauses.append([("text", level)])
    if isinstance(where.get("result_in"), list):
        clauses.append([("text", "result " + " or ".join(map(str, where["result_in"])))])
    if "result_min" in where:
        clauses.append([("text", f"result at least {_number(where['result_min'])}")])
    pieces: list[Piece] = []
    for i, clause in enumerate(clauses):
        if i:
            pieces.append(("text", "; "))
        pieces.extend(clause)
    return pieces


def rule_ids(line: RuleLine) -> set[str]:
    """Every credential id a readable tree links to."""
    found = {value for kind, value in line.pieces if kind == "id"}
    for child in line.children:
        found |= rule_ids(child)
    return found
