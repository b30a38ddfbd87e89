"""Helpers for the pages: one qualification's status, its explanation, a credential's pathway."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from registry.stacking.engine import REQUIREMENT, reach
from registry.stacking.evaluate import evaluate
from registry.stacking.model import Catalogue
from registry.stacking.solver import Node, expand


def qualification_status(
    catalogue: Catalogue,
    qualification: str,
    wallet: Sequence[dict],
    *,
    as_of: datetime.date | None = None,
    cost: str = "credits",
) -> dict[str, Any]:
    """One qualification for one wallet: {"qualification", "status", ...}.

    status "completed" adds "assignment"; "in_progress" adds "progress", "plan", "plan_cost";
    "unreachable" adds nothing. Raises BadRequest like `evaluate`.
    """
    request: dict[str, Any] = {"wallet": list(wallet), "qualifications": [qualification]}
    request["cost"] = cost
    if as_of is not None:
        request["as_of"] = as_of.isoformat()
    answer = evaluate(catalogue, request)
    for row in answer["completed"]:
        return {"status": "completed", **row}
    for row in answer["in_progress"]:
        return {"status": "in_progress", **row}
    return {"qualification": qualification, "status": "unreachable"}


def explanation(
    catalogue: Catalogue,
    qualification: str,
    wallet: Sequence[dict],
    *,
    as_of: datetime.date | None = None,
) -> list[dict] | None:
    """Which wallet entries satisfied which leaf (rule 5), or None when not completed."""
    status = qualification_status(catalogue, qualification, wallet, as_of=as_of)
    return status.get("assignment") if status["status"] == "completed" else None


def rule_tree(catalogue: Catalogue, rule: object, as_of: datetime.date | None = None) -> dict:
    """A rule as a JSON-ready tree with paths, nested qualifications expanded under them."""
    node = expand(catalogue.index(), rule, as_of or datetime.date.today())
    return _node_json(node)


def _node_json(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"path": node.path, "kind": node.kind}
    if node.kind == "credential":
        out["credential"] = node.ident
    elif node.kind == "at_least":
        out["needed"] = node.needed
    elif node.kind in ("credits", "count"):
        out["amount"] = node.amount
        if node.kind == "credits":
            out["unit"] = node.unit
        out["where"] = node.where
        out["of_which"] = [{part.kind: part.amount, "where": part.where} for part in node.parts]
    if node.cutoff is not None:
        out["earned_on_or_after"] = node.cutoff.isoformat()
    if node.children:
        out["children"] = [_node_json(child) for child in node.children]
    if node.expansion is not None:
        out["expansion"] = _node_json(node.expansion)
    return out


def counts_toward(catalogue: Catalogue, credential: str) -> list[str]:
    """Qualifications that holding `credential` can count toward, through nesting too."""
    paths = reach(catalogue)
    found: set[str] = set()
    stack = [credential]
    first = True
    while stack:
        ident = stack.pop()
        owners = list(paths.leaf_owners.get(ident, ()))
        if first:  # only the credential held: recognitions and filters match entries
            for target in paths.recognised.get(ident, ()):
                owners.extend(paths.leaf_owners.get(target, ()))
            owners.extend(paths.filter_owners(ident))
            first = False
        for kind, owner in owners:
            if kind == REQUIREMENT and owner not in found:
                found.add(owner)
                stack.append(owner)
    return sorted(found)


def pathway(catalogue: Catalogue, credential: str) -> dict[str, Any]:
    """What a credential needs (as trees) and what it counts toward, with the graph between.

    nodes: every credential named, with "qualification" true for those with requirements;
    edges: "requirement" / "prerequisite" from a credential to what its rule names, and
    "recognition" from a recognised credential to the one it stands for.
    """
    credentials = catalogue.credentials
    spec = credentials[credential]
    toward = counts_toward(catalogue, credential)
    graph_ids: set[str] = {credential, *toward}
    edges: list[dict[str, str]] = []
    from registry.stacking.rules import referenced_ids

    def link(source: str, rule: object, kind: str) -> None:
        if isinstance(rule, dict):
            for target in sorted(referenced_ids(rule)):
                edges.append({"from": source, "to": target, "kind": kind})
                graph_ids.add(target)

    for ident in sorted({credential, *toward}):
        link(ident, credentials[ident].requirements, "requirement")
    link(credential, spec.prerequisites, "prerequisite")
    for source, target in sorted(catalogue.index().recognitions):
        if target in graph_ids or source in graph_ids:
            edges.append({"from": source, "to": target, "kind": "recognition"})
            graph_ids.update((source, target))
    nodes = [
        {
            "id": ident,
            "qualification": ident in credentials and credentials[ident].is_qualification,
        }
        for ident in sorted(graph_ids)
    ]
    return {
        "credential": credential,
        "requirements": rule_tree(catalogue, spec.requirements) if spec.requirements else None,
        "prerequisites": rule_tree(catalogue, spec.prerequisites) if spec.prerequisites else None,
        "counts_toward": toward,
        "nodes": nodes,
        "edges": edges,
    }
