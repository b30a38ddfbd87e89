"""A credential's neighbourhood in the stacking graph: what it needs and what it counts toward.

Edges run from the part to the whole: a component to the qualification whose rule it serves
("requirement"), a prerequisite to the credential it opens ("prerequisite"), and a recognised
credential to the one it stands for ("recognition"). Rule leaves that select credentials by a
filter (30 ECTS at level 6 in computing) become one "pool" node rather than every match.
Pure: reads the stacking catalogue, knows nothing of the database or the web.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from registry.stacking.engine import REQUIREMENT as REQUIREMENT_OWNER
from registry.stacking.engine import reach
from registry.stacking.model import Catalogue, CredentialSpec
from registry.stacking.rules import iter_nodes, rule_kind

REQUIREMENT = "requirement"
PREREQUISITE = "prerequisite"
RECOGNITION = "recognition"
EDGE_KINDS = (REQUIREMENT, PREREQUISITE, RECOGNITION)

# How far the neighbourhood reaches: nested qualifications below, qualifications above,
# and how many nodes are collected at most before layout caps what is drawn.
MAX_DEPTH_DOWN = 3
MAX_DEPTH_UP = 3
MAX_COLLECTED = 400


@dataclass
class Node:
    """One box of the picture: a credential, a filtered pool of credentials, or "+N more"."""

    key: str
    kind: str = "credential"  # "credential", "pool" or "more"
    ident: str | None = None  # the credential id (credential nodes)
    qualification: bool = False
    credits: float | None = None
    credit_unit: str = "ECTS"
    type: str = ""
    published: bool = True
    current: bool = False
    rule: dict | None = None  # pool: the leaf that selects
    owner: str | None = None  # pool: whose rule it belongs to
    hidden: list[str] = field(default_factory=list)  # more: the node keys it stands for
    distance: int = 0  # hops from the credential the picture is about
    group: str = ""  # the rule list it was found in ("3 of these 5"), for fair folding


@dataclass
class Neighbourhood:
    """Nodes by key and the edges (source key, target key, kind) between them."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    truncated: bool = False  # MAX_COLLECTED was reached


Visible = Callable[[CredentialSpec], bool]


def _published_only(spec: CredentialSpec) -> bool:
    return spec.is_published


class _Builder:
    def __init__(self, catalogue: Catalogue, visible: Visible | None) -> None:
        self.catalogue = catalogue
        self.credentials = catalogue.credentials
        self.index = catalogue.index()
        self.visible = visible or _published_only
        self.hood = Neighbourhood()
        self.edge_set: set[tuple[str, str, str]] = set()
        self.expanded: set[str] = set()

    def full(self) -> bool:
        if len(self.hood.nodes) >= MAX_COLLECTED:
            self.hood.truncated = True
            return True
        return False

    def credential(self, ident: str, distance: int, *, force: bool = False) -> str | None:
        """The node of a credential, added if it may be shown; None if it may not."""
        node = self.hood.nodes.get(ident)
        if node is not None:
            node.distance = min(node.distance, distance)
            return ident
        spec = self.credentials.get(ident)
        if spec is None or not (force or self.visible(spec)) or self.full():
            return None
        self.hood.nodes[ident] = Node(
            key=ident,
            ident=ident,
            qualification=spec.is_qualification,
            credits=spec.credits,
            credit_unit=spec.credit_unit,
            type=spec.type,
            published=spec.is_published,
            distance=distance,
        )
        return ident

    def edge(self, source: str | None, target: str | None, kind: str) -> None:
        if source is None or target is None or source == target:
            return
        if (source, target, kind) in self.edge_set:
            return
        self.edge_set.add((source, target, kind))
        self.hood.edges.append((source, target, kind))

    # -- below: what a rule needs --------------------------------------------------------

    def needs(self, owner: str, rule: Any, kind: str, depth: int, distance: int) -> None:
        """Add what `rule` (owned by `owner`) names, nested qualifications expanded."""
        self.expanded.add(owner)
        for path, node in iter_nodes(rule):
            leaf = rule_kind(node)
            if leaf == "credential" and isinstance(node["credential"], str):
                group = f"{owner}:{path.rpartition('.')[0]}"
                self.part(owner, node["credential"], kind, depth, distance, group)
            elif leaf in ("credits", "count"):
                where = node.get("where") if isinstance(node.get("where"), dict) else {}
                named = where.get("credentials")
                if isinstance(named, list) and named:
                    for ident in named:
                        if isinstance(ident, str):
                            self.part(owner, ident, kind, depth, distance, f"{owner}:{path}")
                elif not self.full():
                    key = f"pool:{owner}:{kind}:{path}"
                    self.hood.nodes[key] = Node(
                        key=key, kind="pool", rule=node, owner=owner, distance=distance + 1
                    )
                    self.edge(key, owner, kind)

    def part(
        self, owner: str, ident: str, kind: str, depth: int, distance: int, group: str
    ) -> None:
        key = self.credential(ident, distance + 1)
        if key is None:
            return
        node = self.hood.nodes[key]
        node.group = node.group or group
        self.edge(key, owner, kind)
        for source in sorted(self.index.recognised_as.get(ident, ())):
            self.edge(self.credential(source, distance + 2), key, RECOGNITION)
        spec = self.credentials[ident]
        if spec.is_qualification and depth < MAX_DEPTH_DOWN and ident not in self.expanded:
            self.needs(ident, spec.requirements, REQUIREMENT, depth + 1, distance + 1)

    # -- above: what a credential counts toward ---------------------------------------------

    def toward(self, start: str, *, as_held: bool) -> None:
        """Qualifications `start` counts toward (transitively) and credentials it opens."""
        paths = reach(self.catalogue)
        frontier: list[tuple[str, int]] = [(start, 0)]
        seen = {start}
        while frontier:
            ident, depth = frontier.pop(0)
            if depth >= MAX_DEPTH_UP:
                continue
            sources: list[tuple[str, Iterable[tuple[str, str]]]] = [
                (ident, paths.leaf_owners.get(ident, ()))
            ]
            if as_held and ident == start:
                sources.append((ident, paths.filter_owners(ident)))
                for target in paths.recognised.get(ident, ()):
                    stand_in = self.credential(target, depth + 1)
                    self.edge(ident, stand_in, RECOGNITION)
                    if stand_in is not None:
                        sources.append((target, paths.leaf_owners.get(target, ())))
            for source, owners in sources:
                for owner_kind, owner in sorted(set(owners)):
                    kind = REQUIREMENT if owner_kind == REQUIREMENT_OWNER else PREREQUISITE
                    key = self.credential(owner, depth + 1)
                    if key is None:
                        continue
                    self.edge(source, key, kind)
                    # Only qualifications carry the stack further up; a credential that a
                    # prerequisite opens is shown, not followed.
                    if owner_kind == REQUIREMENT_OWNER and owner not in seen:
                        seen.add(owner)
                        frontier.append((owner, depth + 1))


def credential_neighbourhood(
    catalogue: Catalogue,
    ident: str,
    *,
    requirements: Any = None,
    prerequisites: Any = None,
    own_rules: bool = False,
    visible: Visible | None = None,
) -> Neighbourhood:
    """What `ident` needs (its requirements and prerequisites) and what it counts toward.

    With `own_rules`, the given rules are drawn instead of the catalogue's (a draft version
    seen against the published catalogue). `visible` says which other credentials may be
    drawn (default: published ones); the credential itself always is.
    """
    builder = _Builder(catalogue, visible)
    root = builder.credential(ident, 0, force=True)
    if root is None:
        return builder.hood
    node = builder.hood.nodes[root]
    node.current = True
    spec = catalogue.credentials[ident]
    if not own_rules:
        requirements, prerequisites = spec.requirements, spec.prerequisites
    node.qualification = requirements is not None
    if requirements is not None:
        builder.needs(root, requirements, REQUIREMENT, 1, 0)
    if prerequisites is not None:
        builder.needs(root, prerequisites, PREREQUISITE, MAX_DEPTH_DOWN, 0)
    builder.toward(root, as_held=True)
    return builder.hood


def provider_neighbourhood(
    catalogue: Catalogue, qualifications: Iterable[str], *, visible: Visible | None = None
) -> Neighbourhood:
    """A provider's stacks: each qualification, its parts, and what it counts toward."""
    builder = _Builder(catalogue, visible)
    for ident in qualifications:
        key = builder.credential(ident, 0)
        spec = catalogue.credentials.get(ident)
        if key is None or spec is None or spec.requirements is None:
            continue
        builder.hood.nodes[key].current = False
        if ident not in builder.expanded:
            builder.needs(key, spec.requirements, REQUIREMENT, 1, 0)
        builder.toward(key, as_held=True)
    return builder.hood
