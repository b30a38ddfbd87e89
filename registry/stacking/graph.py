"""The requirement and prerequisite graphs: cycle checks and pathway views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from registry.stacking.model import CredentialSpec
from registry.stacking.rules import referenced_ids

if TYPE_CHECKING:
    import networkx as nx

REQUIREMENT = "requirement"
PREREQUISITE = "prerequisite"


class CycleError(ValueError):
    """A rule makes the requirement or prerequisite graph cyclic."""

    def __init__(self, kind: str, cycle: list[str]) -> None:
        self.kind = kind  # "requirements" or "prerequisites"
        self.cycle = cycle  # e.g. ["a", "b", "a"]
        super().__init__(f"{kind} cycle: " + " -> ".join(cycle))


def _edges(credentials: Mapping[str, CredentialSpec], field_name: str) -> Iterable[tuple[str, str]]:
    for ident in sorted(credentials):
        rule = getattr(credentials[ident], field_name)
        if isinstance(rule, dict):
            for target in sorted(referenced_ids(rule)):
                yield ident, target


def find_cycle(credentials: Mapping[str, CredentialSpec]) -> CycleError | None:
    """The first cycle of the requirement graph, else of the prerequisite graph, else None.

    Edges run from a credential to every id its rule references; the search visits ids in
    sorted order so the answer is stable.
    """
    import networkx as nx  # loaded on first use: most processes never check a graph

    for field_name in ("requirements", "prerequisites"):
        graph = nx.DiGraph()
        graph.add_nodes_from(sorted(credentials))
        graph.add_edges_from(_edges(credentials, field_name))
        try:
            edges = nx.find_cycle(graph, source=sorted(graph.nodes))
        except nx.NetworkXNoCycle:
            continue
        cycle = [edges[0][0], *(target for _, target in edges)]
        return CycleError(field_name, cycle)
    return None


def build_graph(credentials: Mapping[str, CredentialSpec]) -> nx.DiGraph:
    """Nodes are ids; an edge credential -> component has kind "requirement" or "prerequisite".

    When a credential both requires and presupposes the same component the edge says
    "requirement" and its `kinds` attribute lists both.
    """
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(credentials))
    for kind, field_name in ((PREREQUISITE, "prerequisites"), (REQUIREMENT, "requirements")):
        for source, target in _edges(credentials, field_name):
            if graph.has_edge(source, target):
                data = graph.edges[source, target]
                data["kind"] = REQUIREMENT
                data["kinds"] = (PREREQUISITE, REQUIREMENT)
            else:
                graph.add_edge(source, target, kind=kind, kinds=(kind,))
    return graph
