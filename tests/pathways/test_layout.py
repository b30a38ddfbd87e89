"""Layout of big neighbourhoods, without the database: caps, columns that follow the edges."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from registry.pathways.graph import credential_neighbourhood, provider_neighbourhood
from registry.pathways.layout import MAX_LAYERS, PER_LAYER, lay_out
from registry.pathways.svg import NodeText, render_svg, text_width
from registry.stacking.model import Catalogue, CredentialSpec

SVG = "{http://www.w3.org/2000/svg}"


def big_catalogue(parts: int = 200, wholes: int = 60, depth: int = 12) -> Catalogue:
    """`q` needs any one of `parts` components; `wholes` qualifications need `q`; a chain of
    `depth` qualifications stacks on top of the first of them."""
    specs = [CredentialSpec(id=f"c{n:03}", credits=5) for n in range(parts)]
    specs.append(
        CredentialSpec(
            id="q", requirements={"any": [{"credential": f"c{n:03}"} for n in range(parts)]}
        )
    )
    specs += [
        CredentialSpec(id=f"w{n:02}", requirements={"credential": "q"}) for n in range(wholes)
    ]
    below = "w00"
    for n in range(depth):
        specs.append(CredentialSpec(id=f"top{n:02}", requirements={"credential": below}))
        below = f"top{n:02}"
    return Catalogue(credentials={spec.id: spec for spec in specs})


def texts_for(layout) -> dict[str, NodeText]:
    return {
        key: NodeText(key, "detail", f"/credentials/{key}", f"label {key}") for key in layout.nodes
    }


def test_caps_bound_every_column_and_the_whole_picture():
    catalogue = big_catalogue()
    layout = lay_out(credential_neighbourhood(catalogue, "q"))

    assert len(layout.layers) <= MAX_LAYERS
    assert all(len(layer) <= PER_LAYER for layer in layout.layers)
    assert len(layout.nodes) <= PER_LAYER * MAX_LAYERS
    more = [node for node in layout.nodes.values() if node.kind == "more"]
    hidden = {key for node in more for key in node.hidden}
    # The 200 parts fold into one box of the column before q; q itself is always shown.
    assert sum(1 for key in hidden if key.startswith("c")) == 200 - (PER_LAYER - 1)
    assert "q" in layout.nodes and layout.nodes["q"].current
    svg = render_svg(layout, texts_for(layout), prefix="p", title="t", description="d")
    root = ET.fromstring(str(svg))
    assert len(root.findall(f".//{SVG}a")) == len(layout.nodes)
    assert float(root.get("width")) < 2400 and float(root.get("height")) < 900


def test_every_edge_runs_left_to_right():
    catalogue = big_catalogue(parts=30, wholes=5, depth=3)
    for hood in (
        credential_neighbourhood(catalogue, "q"),
        credential_neighbourhood(catalogue, "c005"),
        provider_neighbourhood(catalogue, ["q", "w00"]),
    ):
        layout = lay_out(hood)
        for source, target, _kind, points in layout.edges:
            assert layout.layer_of(source) < layout.layer_of(target), (source, target)
            xs = [x for x, _ in points]
            assert xs == sorted(xs)


def test_a_recognition_both_ways_does_not_break_the_layout():
    specs = {
        "a": CredentialSpec(id="a"),
        "b": CredentialSpec(id="b"),
        "q": CredentialSpec(id="q", requirements={"credential": "a"}),
    }
    catalogue = Catalogue(credentials=specs, recognitions=[("a", "b"), ("b", "a")])
    layout = lay_out(credential_neighbourhood(catalogue, "a"))
    assert set(layout.nodes) == {"a", "b", "q"}
    for source, target, _kind, _points in layout.edges:
        assert layout.layer_of(source) < layout.layer_of(target)


def test_long_titles_are_cut_to_fit_their_box():
    catalogue = big_catalogue(parts=2, wholes=1, depth=0)
    layout = lay_out(credential_neighbourhood(catalogue, "q"))
    long = "Extraordinarily Comprehensive Introduction to " * 4
    texts = {key: NodeText(long, "Course · 5 ECTS", "/x", long) for key in layout.nodes}
    root = ET.fromstring(str(render_svg(layout, texts, prefix="p", title="t", description="d")))
    titles = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "title"]
    assert titles and all(text_width(t, 13, bold=True) <= 220 - 26 for t in titles)
    assert any(t.endswith("…") for t in titles)


def test_a_crowded_column_keeps_some_of_every_rule_list():
    engage = [f"engage-{n:02}" for n in range(12)]
    contribute = [f"contribute-{n}" for n in range(4)]
    specs = [CredentialSpec(id=i) for i in [*engage, *contribute, "philosophy"]]
    rule = {
        "all": [
            {"count": 6, "where": {"credentials": engage}},
            {"at_least": 1, "of": [{"credential": i} for i in contribute]},
            {"credential": "philosophy"},
        ]
    }
    specs.append(CredentialSpec(id="scholar", requirements=rule))
    catalogue = Catalogue(credentials={spec.id: spec for spec in specs})

    layout = lay_out(credential_neighbourhood(catalogue, "scholar"))
    shown = set(layout.nodes)
    assert "philosophy" in shown
    assert shown & set(engage) and shown & set(contribute)
    column = layout.layers[0]
    # Each list's boxes sit together in the column.
    groups = [layout.nodes[key].group for key in column if layout.nodes[key].kind != "more"]
    assert groups == sorted(groups, key=groups.index)
