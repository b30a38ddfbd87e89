"""Layered layout of a neighbourhood: columns by topological generation, few crossings.

Parts sit left of what they count toward. Each column holds at most `per_layer` boxes (the
rest fold into one "+N more" box), an edge that skips columns bends through waypoints so it
never runs through a box, and a few barycentre sweeps order each column to cut crossings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import networkx as nx

from registry.pathways.graph import EDGE_KINDS, Neighbourhood, Node

PER_LAYER = 8
MAX_LAYERS = 8
NODE_W, NODE_H = 220, 60
PORT_INSET, PORT_STEP = 12, 6  # edge ends: kept off the corners, this far apart
GAP_X, GAP_Y = 70, 16
WAYPOINT_H = 14  # room a passing edge takes in a column
MARGIN = 12
SWEEPS = 4


@dataclass
class Layout:
    """Where each box goes, and each edge as points from source to target.

    Edge points alternate: a gap between columns (drawn as a curve), then a straight run
    through a skipped column, and so on: [out, in, out, in, ..., in].
    """

    nodes: dict[str, Node]
    layers: list[list[str]]  # node keys per column, top to bottom (waypoints left out)
    boxes: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (x, y) top-left
    edges: list[tuple[str, str, str, list[tuple[float, float]]]] = field(default_factory=list)
    width: float = 0
    height: float = 0

    def layer_of(self, key: str) -> int:
        for number, layer in enumerate(self.layers):
            if key in layer:
                return number
        raise KeyError(key)


def _priority(node: Node) -> tuple:
    return (not node.current, node.distance, node.kind != "credential", not node.qualification)


def _acyclic(hood: Neighbourhood) -> nx.DiGraph:
    """The graph to layer: requirement edges first; an edge closing a cycle is left out."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(hood.nodes))
    order = {kind: n for n, kind in enumerate(EDGE_KINDS)}
    for source, target, kind in sorted(hood.edges, key=lambda e: (order[e[2]], e[0], e[1])):
        if graph.has_edge(source, target):
            continue
        if nx.has_path(graph, target, source):
            continue  # e.g. two credentials recognised as each other
        graph.add_edge(source, target, kind=kind)
    return graph


def _layers(graph: nx.DiGraph) -> dict[str, int]:
    """Column of each node: generations counted back from the wholes, so parts sit just
    left of what they serve."""
    generations = list(nx.topological_generations(graph.reverse(copy=False)))
    last = len(generations) - 1
    return {
        key: last - number for number, generation in enumerate(generations) for key in generation
    }


def _fold(
    graph: nx.DiGraph, nodes: dict[str, Node], column: dict[str, int], per_layer: int
) -> tuple[nx.DiGraph, dict[str, Node], dict[str, int]]:
    """Cap each column at `per_layer` boxes; the others become one "+N more" box."""
    nodes = dict(nodes)
    by_layer: dict[int, list[str]] = {}
    for key, number in column.items():
        by_layer.setdefault(number, []).append(key)
    merged: dict[str, str] = {}
    for number, keys in by_layer.items():
        if len(keys) <= per_layer:
            continue
        # Round robin over what the boxes serve and the rule lists they come from, so every
        # whole keeps some of its parts and every "n of these m" list shows some of its own.
        rank: dict[str, int] = {}
        seen: dict[tuple[str, str], int] = {}
        for key in sorted(keys, key=lambda k: (_priority(nodes[k]), k)):
            group = (min(graph.successors(key), default=""), nodes[key].group)
            rank[key] = seen.get(group, 0)
            seen[group] = rank[key] + 1
        keys.sort(key=lambda k: (not nodes[k].current, rank[k], _priority(nodes[k]), k))
        folded = keys[per_layer - 1 :]
        more = f"more:{number}"
        nodes[more] = Node(key=more, kind="more", hidden=sorted(folded), distance=99)
        for key in folded:
            merged[key] = more
            del nodes[key]
    if not merged:
        return graph, nodes, column
    folded_graph = nx.DiGraph()
    folded_graph.add_nodes_from(sorted(nodes))
    for source, target, data in graph.edges(data=True):
        source, target = merged.get(source, source), merged.get(target, target)
        if source != target and not folded_graph.has_edge(source, target):
            folded_graph.add_edge(source, target, kind=data["kind"])
    column = {merged.get(key, key): number for key, number in column.items()}
    return folded_graph, nodes, column


def _trim_layers(
    graph: nx.DiGraph, nodes: dict[str, Node], column: dict[str, int], max_layers: int
) -> None:
    """Keep at most `max_layers` columns around the current credential's column."""
    numbers = sorted(set(column.values()))
    if len(numbers) <= max_layers:
        return
    centre = next((column[k] for k, n in nodes.items() if n.current), numbers[len(numbers) // 2])
    low = max(0, min(centre - max_layers // 2, numbers[-1] + 1 - max_layers))
    for key in [k for k, number in column.items() if not low <= number < low + max_layers]:
        graph.remove_node(key)
        del nodes[key]
        del column[key]
    for key in column:
        column[key] -= low


def _order(layers: list[list[str]], graph: nx.DiGraph) -> None:
    """Barycentre sweeps, left to right then right to left, a few times."""

    def position(layer: list[str]) -> dict[str, float]:
        return {key: float(at) for at, key in enumerate(layer)}

    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        numbers = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
        for number in numbers:
            fixed = position(layers[number - 1 if forward else number + 1])
            current = position(layers[number])
            neighbours = graph.predecessors if forward else graph.successors

            def centre(key: str, fixed=fixed, current=current, neighbours=neighbours) -> tuple:
                at = [fixed[n] for n in neighbours(key) if n in fixed]
                return (sum(at) / len(at) if at else current[key], current[key])

            layers[number].sort(key=centre)


def _ports(
    chains: list[tuple[str, str, str, list[str]]], centres: dict[str, tuple[float, float]]
) -> dict[tuple[str, str, str], float]:
    """Where each edge leaves or enters a box: spread down its side in the order of the
    other ends, so edges fan out instead of meeting in one point."""
    sides: dict[tuple[str, str], list[str]] = {}
    for _, _, _, chain in chains:
        sides.setdefault(("out", chain[0]), []).append(chain[1])
        sides.setdefault(("in", chain[-1]), []).append(chain[-2])
    ports: dict[tuple[str, str, str], float] = {}
    for (side, key), others in sides.items():
        others.sort(key=lambda other: centres[other][1])
        room = min(NODE_H - 2 * PORT_INSET, PORT_STEP * (len(others) - 1))
        top = centres[key][1] - room / 2
        for number, other in enumerate(others):
            step = room / (len(others) - 1) if len(others) > 1 else 0
            ports[(side, key, other)] = top + number * step
    return ports


def lay_out(
    hood: Neighbourhood, *, per_layer: int = PER_LAYER, max_layers: int = MAX_LAYERS
) -> Layout:
    """Columns, caps, waypoints for long edges, crossing-reducing order, coordinates."""
    graph = _acyclic(hood)
    nodes = dict(hood.nodes)
    column = _layers(graph)
    _trim_layers(graph, nodes, column, max_layers)
    graph, nodes, column = _fold(graph, nodes, column, per_layer)
    count = max(column.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    for key in sorted(column, key=lambda k: (_priority(nodes[k]), nodes[k].group, k)):
        layers[column[key]].append(key)

    # Waypoints: an edge that skips columns passes through one slot in each column between.
    routed = nx.DiGraph()
    routed.add_nodes_from(graph.nodes)
    chains: list[tuple[str, str, str, list[str]]] = []
    for source, target, data in sorted(graph.edges(data=True)):
        chain = [source]
        for number in range(column[source] + 1, column[target]):
            waypoint = f"via:{source}>{target}:{number}"
            layers[number].append(waypoint)
            chain.append(waypoint)
        chain.append(target)
        routed.add_edges_from(itertools.pairwise(chain))
        chains.append((source, target, data["kind"], chain))
    _order(layers, routed)

    layout = Layout(nodes=nodes, layers=[[k for k in layer if k in nodes] for layer in layers])
    heights = [
        sum(NODE_H if key in nodes else WAYPOINT_H for key in layer) + GAP_Y * (len(layer) - 1)
        for layer in layers
    ]
    tallest = max(heights, default=0)
    centres: dict[str, tuple[float, float]] = {}
    for number, layer in enumerate(layers):
        x = MARGIN + number * (NODE_W + GAP_X)
        y = MARGIN + (tallest - heights[number]) / 2
        for key in layer:
            tall = NODE_H if key in nodes else WAYPOINT_H
            if key in nodes:
                layout.boxes[key] = (x, y)
            centres[key] = (x, y + tall / 2)
            y += tall + GAP_Y
    ports = _ports(chains, centres)
    for source, target, kind, chain in chains:
        points = [(centres[source][0] + NODE_W, ports[("out", source, chain[1])])]
        for waypoint in chain[1:-1]:
            x, y = centres[waypoint]
            points.extend([(x, y), (x + NODE_W, y)])  # straight through the column
        points.append((centres[target][0], ports[("in", target, chain[-2])]))
        layout.edges.append((source, target, kind, points))
    layout.width = MARGIN * 2 + max(count * NODE_W + (count - 1) * GAP_X, NODE_W)
    layout.height = MARGIN * 2 + max(tallest, NODE_H)
    return layout
