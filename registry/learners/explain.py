"""Progress in words: assignment paths as rule parts, and why a qualification is out of reach."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from registry.credentials.rules_text import Piece, rule_lines
from registry.stacking.model import Catalogue
from registry.stacking.rules import rule_children, rule_kind

_STEP = re.compile(r"(all|any|at_least)\[(\d+)\]")


@dataclass
class Part:
    """One satisfied leaf: where it sits (qualifications passed through) and what it asks."""

    path: str
    through: list[str]  # nested qualifications expanded on the way, outermost first
    pieces: list[Piece]
    entries: list[int]


@dataclass
class Reason:
    """One part of a rule that neither the wallet nor any published credential can satisfy."""

    through: list[str]
    pieces: list[Piece]
    why: str
    ids: set[str] = field(default_factory=set)


def node_at(rule: Any, path: str) -> Any:
    """The node of `rule` at a dotted path inside one rule (`all[1].at_least[2]`), or None."""
    node = rule
    for step in path.split(".") if path else []:
        match = _STEP.fullmatch(step)
        if match is None or not isinstance(node, dict) or match.group(1) not in node:
            return None
        children = rule_children(node)
        index = int(match.group(2))
        if index >= len(children):
            return None
        node = children[index]
    return node


def leaf_of(catalogue: Catalogue, qualification: str, path: str) -> tuple[list[str], Any]:
    """Follow a STACKING.md path (`all[0]/Q/all[2]`) to its node: (qualifications passed, node)."""
    segments = path.split("/")
    rule: Any = _requirements(catalogue, qualification)
    through: list[str] = []
    node = node_at(rule, segments[0])
    # After the first segment, segments come in pairs: a nested qualification, then a path in it.
    for n in range(1, len(segments) - 1, 2):
        nested = segments[n]
        through.append(nested)
        node = node_at(_requirements(catalogue, nested), segments[n + 1])
    return through, node


def explain_assignment(
    catalogue: Catalogue, qualification: str, assignment: list[dict[str, Any]]
) -> list[Part]:
    """Each assignment row as a readable part: the leaf's words and the entries that served it."""
    parts = []
    for row in assignment:
        through, node = leaf_of(catalogue, qualification, row["path"])
        pieces = _head(node) if node is not None else [("text", f"part {row['path']}")]
        parts.append(Part(row["path"], through, pieces, list(row["entries"])))
    return parts


def unreachable_reasons(catalogue: Catalogue, qualification: str, held: set[str]) -> list[Reason]:
    """The parts of a rule that no published credential (nor anything held) can satisfy.

    A quick, generous check: it ignores dates, results, reuse limits and prerequisites, so an
    empty list means the obstacle is one of those (the page then says so in general words).
    """
    reasons: list[Reason] = []
    _feasible(catalogue, _requirements(catalogue, qualification), held, [], reasons, set())
    return reasons


def _requirements(catalogue: Catalogue, ident: str) -> Any:
    spec = catalogue.credentials.get(ident)
    return spec.requirements if spec is not None else None


def _head(node: Any) -> list[Piece]:
    """The words of one rule node without its children."""
    pieces = rule_lines(node).pieces
    if pieces and pieces[0] == ("text", "Hold "):
        return pieces[1:]
    return pieces


def _available(catalogue: Catalogue, ident: str, held: set[str]) -> bool:
    spec = catalogue.credentials.get(ident)
    if spec is None:
        return False
    return ident in held or (spec.is_published and not spec.is_qualification)


def _feasible(
    catalogue: Catalogue,
    rule: Any,
    held: set[str],
    through: list[str],
    reasons: list[Reason],
    visiting: set[str],
) -> bool:
    if not isinstance(rule, dict):
        return False
    kind = rule_kind(rule)
    index = catalogue.index()
    if kind == "credential":
        ident = rule["credential"]
        candidates = index.servers(ident)
        if any(_available(catalogue, c, held) for c in candidates):
            return True
        spec = catalogue.credentials.get(ident)
        if spec is not None and spec.is_qualification and ident not in visiting:
            inner: list[Reason] = []
            if _feasible(
                catalogue, spec.requirements, held, [*through, ident], inner, visiting | {ident}
            ):
                return True
            reasons.extend(inner)
            return False
        reasons.append(Reason(through, _head(rule), "no published credential gives it", {ident}))
        return False
    if kind in ("all", "any", "at_least"):
        children = rule_children(rule)
        found: list[Reason] = []
        passing = sum(
            _feasible(catalogue, child, held, through, found, visiting) for child in children
        )
        needed = {"all": len(children), "any": 1}.get(kind) or int(rule.get("at_least", 0))
        if passing >= needed:
            return True
        reasons.extend(found)
        return False
    if kind in ("credits", "count"):
        pool = [
            index.credentials[i]
            for i in index.filter_candidates(rule.get("where"))
            if _available(catalogue, i, held)
        ]
        enough = _enough(index, rule, kind, pool)
        for part in rule.get("of_which") or []:
            if isinstance(part, dict) and "share" not in part:
                matching = [s for s in pool if s.id in set(index.filter_candidates(part["where"]))]
                enough = enough and _enough(
                    index, {**part, "unit": rule.get("unit")}, None, matching
                )
        if not enough:
            unit = rule.get("unit") or "ECTS"
            what = "credits" if kind == "credits" else "different credentials"
            reasons.append(
                Reason(
                    through,
                    rule_lines(rule).pieces,
                    f"the published credentials that match do not add up to enough {what}"
                    + (f" ({unit})" if kind == "credits" else ""),
                )
            )
        return enough
    return False


def _enough(index: Any, rule: dict[str, Any], kind: str | None, pool: list[Any]) -> bool:
    if "count" in rule:
        return len({spec.id for spec in pool}) >= rule["count"]
    unit = rule.get("unit") or "ECTS"
    return sum(index.value_in(spec, unit) for spec in pool) >= rule["credits"] - 1e-9
