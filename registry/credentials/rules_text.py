"""A rule tree in words: nested lines whose pieces are text or credential ids to link.

Learner language: "3 of these 5", "30 ECTS at EQF level 6 or above in Software and
applications development and analysis", "of which at least 24 ECTS ...". Subject codes are
named by ISCED-F 2013 where the code is one of its fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.credentials.isced import subject_name
from registry.stacking.rules import rule_children, rule_kind

Piece = tuple[str, str]  # ("text", words) or ("id", credential id)


@dataclass
class RuleLine:
    """One node of a rule: what it asks, in pieces, and its children."""

    pieces: list[Piece]
    children: list[RuleLine] = field(default_factory=list)


# Given a credential id, the rule of the qualification it names (None: not one, or not shown).
Expand = Callable[[str], Any]
MAX_EXPANSION = 3


def rule_lines(rule: Any, *, expand: Expand | None = None, _top: bool = True) -> RuleLine:
    """The readable tree of one rule (the shape is assumed checked; oddities are shown raw).

    With `expand`, a leaf naming a qualification gets that qualification's own rule below it
    ("which needs: ..."), a few levels deep.
    """
    return _lines(rule, expand, _top, 0)


def _lines(rule: Any, expand: Expand | None, top: bool, depth: int) -> RuleLine:
    if not isinstance(rule, dict):
        return RuleLine([("text", f"(not a rule: {rule!r})")])
    kind = rule_kind(rule)
    pieces: list[Piece]
    extra: list[RuleLine] = []
    children = rule_children(rule)
    if kind == "credential":
        ident = str(rule["credential"])
        pieces = [("text", "Hold "), ("id", ident)] if top else [("id", ident)]
        nested = expand(ident) if expand is not None and depth < MAX_EXPANSION else None
        if isinstance(nested, dict):
            inner = _lines(nested, expand, False, depth + 1)
            extra = [RuleLine([("text", "which needs: "), *inner.pieces], inner.children)]
    elif kind in ("all", "any", "at_least"):
        pieces = [("text", _choice(kind, rule, len(children)))]
    elif kind in ("credits", "count"):
        pieces, extra = _amount(rule, kind)
    else:
        return RuleLine([("text", f"(unreadable rule: {rule!r})")])
    if "within_years" in rule:
        years = rule["within_years"]
        recent = f" (earned within the last {years} year{'' if years == 1 else 's'})"
        last_kind, last = pieces[-1]
        if last_kind == "text" and last.endswith(":"):
            pieces[-1] = ("text", last[:-1] + recent + ":")
        else:
            pieces.append(("text", recent))
    lines = [_lines(child, expand, False, depth) for child in children]
    return RuleLine(pieces, lines + extra)


def _choice(kind: str, rule: dict[str, Any], total: int) -> str:
    """ "All 4 of these:", "Both of these:", "One of these 3:", "3 of these 5:"."""
    needed = {"all": total, "any": 1}.get(kind, rule.get("at_least"))
    if needed == total:
        return "Both of these:" if total == 2 else f"All {total} of these:"
    if needed == 1:
        return "Either of these:" if total == 2 else f"One of these {total}:"
    return f"{needed} of these {total}:"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _amount(rule: dict[str, Any], kind: str) -> tuple[list[Piece], list[RuleLine]]:
    """A credits or count leaf: the head line, then its named credentials and of-which parts."""
    where = rule.get("where") if isinstance(rule.get("where"), dict) else {}
    unit = str(rule.get("unit") or "ECTS") if kind == "credits" else None
    named = where.get("credentials")
    named = [str(i) for i in named] if isinstance(named, list) and named else []
    amount = _number(rule[kind])
    if kind == "credits":
        head = f"{amount} {unit}"
        if named:
            head += f" from these {len(named)}" if len(named) > 1 else " from"
        elif not where:
            head += " from any credentials"
    elif named:
        head = f"{amount} of these {len(named)}" if len(named) > 1 else f"{amount} of"
    else:
        head = "1 credential" if rule[kind] == 1 else f"{amount} different credentials"
        if not where:
            head = "Any " + head
    qualifiers = _qualifiers({k: v for k, v in where.items() if k != "credentials"})
    pieces: list[Piece] = [("text", head + qualifiers)]
    children: list[RuleLine] = []
    if len(named) == 1:
        pieces.append(("text", " "))
        pieces.append(("id", named[0]))
    elif named:
        pieces[0] = ("text", pieces[0][1] + ":")
        children = [RuleLine([("id", ident)]) for ident in named]
    return pieces, children + _parts(rule, unit)


def _parts(rule: dict[str, Any], unit: str | None) -> list[RuleLine]:
    lines = []
    for part in rule.get("of_which") or []:
        if not isinstance(part, dict):
            continue
        if "credits" in part:
            head = f"of which at least {_number(part['credits'])} {unit or 'ECTS'}"
        elif "count" in part:
            head = f"of which at least {part['count']}"
        else:
            share = part.get("share")
            amount = "credits" if unit else "credentials"
            percent = f"{share * 100:g} %" if isinstance(share, int | float) else repr(share)
            head = f"of which at least {percent} of the {amount}"
        lines.append(RuleLine([("text", head), *_described(part.get("where"))]))
    return lines


def _described(where: Any) -> list[Piece]:
    """A filter as qualifiers after an amount: " at EQF level 5 from one of a or b"."""
    if not isinstance(where, dict) or not where:
        return [("text", " of any kind")]
    pieces: list[Piece] = [("text", _qualifiers(where))]
    ids = where.get("credentials")
    if isinstance(ids, list) and ids:
        pieces.append(("text", " from credential " if len(ids) == 1 else " from one of "))
        for i, ident in enumerate(ids):
            if i:
                pieces.append(("text", " or " if i == len(ids) - 1 else ", "))
            pieces.append(("id", str(ident)))
    return [piece for piece in pieces if piece[1]]


def _either(values: list[Any]) -> str:
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _qualifiers(where: dict[str, Any]) -> str:
    """Every key of a filter but `credentials`, as words: " at EQF level 6 or above in ..."."""
    words = ""
    low, high = where.get("level_min"), where.get("level_max")
    if low is not None and high is not None:
        words += f" at EQF level {low}" if low == high else f" at EQF level {low} to {high}"
    elif low is not None:
        words += f" at EQF level {low} or above"
    elif high is not None:
        words += f" at EQF level {high} or below"
    subjects = where.get("subjects")
    if isinstance(subjects, list) and subjects:
        words += " in " + _either([subject_name(str(code)) for code in subjects])
    types = where.get("types")
    if isinstance(types, list) and types:
        words += " of type " + _either(types)
    providers = where.get("providers")
    if isinstance(providers, list) and providers:
        words += " from provider " + _either(providers)
    if isinstance(where.get("result_in"), list) and where["result_in"]:
        words += " with result " + _either(where["result_in"])
    if "result_min" in where:
        words += f" with result at least {_number(where['result_min'])}"
    return words


def filter_pieces(where: Any) -> list[Piece]:
    """A filter in words: "at EQF level 6 or above in Software ... from one of a or b"."""
    pieces = _described(where)
    if pieces and pieces[0][0] == "text":
        pieces[0] = ("text", pieces[0][1].lstrip())
    return pieces


def leaf_summary(rule: Any) -> str:
    """One line of plain text for a credits or count leaf (ids shown as ids)."""
    line = rule_lines(rule, _top=False)
    return "".join(value for _, value in line.pieces).rstrip(":")


def rule_ids(line: RuleLine) -> set[str]:
    """Every credential id a readable tree links to."""
    found = {value for kind, value in line.pieces if kind == "id"}
    for child in line.children:
        found |= rule_ids(child)
    return found
