"""Draw a laid-out pathway as SVG: boxes that are links, edges with arrowheads, a legend.

Every text and attribute goes through `escape`, so the markup is well-formed XML whatever
the titles hold. Colours are presentation attributes (the standalone .svg looks right) that
pathway.css may override on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from registry.pathways.graph import PREREQUISITE, RECOGNITION, REQUIREMENT
from registry.pathways.layout import NODE_H, NODE_W, Layout

EDGE_STYLE = {
    REQUIREMENT: {"stroke": "#4f5b69", "dash": None, "label": "counts toward"},
    PREREQUISITE: {"stroke": "#9a5b00", "dash": "7 4", "label": "needed before"},
    RECOGNITION: {"stroke": "#1e6b3a", "dash": "2 4", "label": "recognised as"},
}
BOX_STYLE = {
    "component": ("#ffffff", "#8a96a5", "1.5", None),
    "qualification": ("#e6effa", "#1f5fa8", "2", None),
    "current": ("#1f5fa8", "#123e70", "3", None),
    "pool": ("#f4f6f9", "#6b7683", "1.5", "5 3"),
    "more": ("#eef1f5", "#6b7683", "1.5", "3 3"),
}
LEGEND_H = 56


@dataclass(frozen=True)
class NodeText:
    """What a box says and where it leads."""

    title: str
    detail: str
    href: str
    label: str  # the accessible name of the link


def _a(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _box_style(node_kind: str, qualification: bool, current: bool) -> str:
    if current:
        return "current"
    if node_kind in ("pool", "more"):
        return node_kind
    return "qualification" if qualification else "component"


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A rough width of `text` in px for a sans-serif face (no font metrics on the server)."""
    em = 0.0
    for char in text:
        if char in "iljtf.,:;'|!() ":
            em += 0.32
        elif char in "mwMW@%":
            em += 0.9
        elif char.isupper() or char.isdigit():
            em += 0.68
        else:
            em += 0.56
    return em * size * (1.15 if bold else 1.0)


def fit(text: str, room: float, size: float, *, bold: bool = False) -> str:
    """`text`, cut with an ellipsis where it would run past `room` px."""
    if text_width(text, size, bold=bold) <= room:
        return text
    while text and text_width(text + "…", size, bold=bold) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _title_lines(title: str) -> list[str]:
    """At most two lines of the title, wrapped at words, the second cut to fit."""
    room = NODE_W - 26
    lines: list[str] = []
    line = ""
    for word in title.split():
        candidate = f"{line} {word}".strip()
        if line and text_width(candidate, 13, bold=True) > room:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [fit(text, room, 13, bold=True) for text in lines[:2]]


def _edge_path(points: list[tuple[float, float]]) -> str:
    """Curves across the gaps between columns, straight runs through skipped columns."""
    (x, y), *rest = points
    parts = [f"M{_num(x)} {_num(y)}"]
    for step, (nx_, ny) in enumerate(rest):
        if step % 2 == 0:  # a gap: a curve leaving and arriving horizontally
            mid = (x + nx_) / 2
            parts.append(f"C{_num(mid)} {_num(y)} {_num(mid)} {_num(ny)} {_num(nx_)} {_num(ny)}")
        else:
            parts.append(f"L{_num(nx_)} {_num(ny)}")
        x, y = nx_, ny
    return " ".join(parts)


def render_svg(
    layout: Layout, texts: dict[str, NodeText], *, prefix: str, title: str, description: str
) -> Markup:
    """The picture as an `<svg>` element (safe to put in a page as it is)."""
    width = max(layout.width, 640)
    height = layout.height + LEGEND_H
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pathway-svg" id="{_a(prefix)}"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}"'
        f' height="{_num(height)}" role="group" aria-labelledby="{_a(prefix)}-title"'
        f' aria-describedby="{_a(prefix)}-desc" style="max-width: {_num(width)}px"'
        ' font-family="system-ui, sans-serif"'
        ' font-size="13">',
        f'<title id="{_a(prefix)}-title">{_a(title)}</title>',
        f'<desc id="{_a(prefix)}-desc">{_a(description)}</desc>',
        "<defs>",
    ]
    for kind, style in EDGE_STYLE.items():
        out.append(
            f'<marker id="{_a(prefix)}-arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5"'
            ' markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0 0 L10 5 L0 10 z" fill="{style["stroke"]}"/></marker>'
        )
    out.append("</defs>")
    out.append('<g class="pathway-edges" aria-hidden="true">')
    for source, target, kind, points in layout.edges:
        style = EDGE_STYLE[kind]
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        out.append(
            f'<path class="edge edge-{kind}" data-from="{_a(source)}" data-to="{_a(target)}"'
            f' d="{_edge_path(points)}" fill="none"'
            f' stroke="{style["stroke"]}" stroke-width="1.6"{dash}'
            f' marker-end="url(#{_a(prefix)}-arrow-{kind})"/>'
        )
    out.append("</g>")
    out.append('<g class="pathway-nodes">')
    for key, (x, y) in layout.boxes.items():
        node = layout.nodes[key]
        text = texts[key]
        look = _box_style(node.kind, node.qualification, node.current)
        fill, stroke, stroke_width, dash = BOX_STYLE[look]
        ink = "#ffffff" if look == "current" else "#1b2430"
        soft = "#e6effa" if look == "current" else "#4f5b69"
        current = ' aria-current="page"' if node.current else ""
        out.append(
            f'<a href="{_a(text.href)}" class="node node-{look}" data-key="{_a(key)}"{current}>'
        )
        # The <title> names the link (SVG-AAM) with the whole title the box may cut short.
        out.append(f"<title>{_a(text.label)}</title>")
        out.append(
            f'<rect class="box" x="{_num(x)}" y="{_num(y)}" width="{NODE_W}" height="{NODE_H}"'
            f' rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        if node.qualification and not node.current:
            out.append(
                f'<rect class="band" x="{_num(x)}" y="{_num(y)}" width="6" height="{NODE_H}"'
                f' rx="3" fill="{stroke}"/>'
            )
        lines = _title_lines(text.title)
        top = y + (20 if len(lines) == 2 else 25)
        for number, line in enumerate(lines):
            out.append(
                f'<text class="title" x="{_num(x + 14)}" y="{_num(top + 16 * number)}"'
                f' fill="{ink}" font-weight="600">{_a(line)}</text>'
            )
        out.append(
            f'<text class="detail" x="{_num(x + 14)}"'
            f' y="{_num(y + (NODE_H - 9 if len(lines) == 2 else NODE_H - 17))}"'
            f' fill="{soft}" font-size="12">{_a(fit(text.detail, NODE_W - 26, 12))}</text>'
        )
        out.append("</a>")
    out.append("</g>")
    current = any(node.current for node in layout.nodes.values())
    out.append(_legend(prefix, layout.height, current))
    out.append("</svg>")
    return Markup("".join(out))


def _legend(prefix: str, top: float, current: bool) -> str:
    """Edge kinds and box kinds, in one row below the picture."""
    out = [f'<g class="pathway-legend" transform="translate(12 {_num(top + 8)})">']
    x = 0.0
    for kind, style in EDGE_STYLE.items():
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        out.append(
            f'<path d="M{_num(x)} 10 L{_num(x + 34)} 10" stroke="{style["stroke"]}"'
            f' stroke-width="1.6"{dash} marker-end="url(#{_a(prefix)}-arrow-{kind})"/>'
            f'<text x="{_num(x + 42)}" y="14" fill="#1b2430">{_a(style["label"])}</text>'
        )
        x += 42 + 8 * len(style["label"]) + 18
    x = 0.0
    boxes = [
        ("current", "this credential"),
        ("qualification", "qualification"),
        ("component", "component"),
        ("pool", "any matching"),
    ]
    for look, label in boxes[0 if current else 1 :]:
        fill, stroke, stroke_width, dash = BOX_STYLE[look]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<rect x="{_num(x)}" y="26" width="22" height="14" rx="3" fill="{fill}"'
            f' stroke="{stroke}" stroke-width="{stroke_width}"{dashed}/>'
            f'<text x="{_num(x + 28)}" y="37" fill="#1b2430">{_a(label)}</text>'
        )
        x += 28 + 8 * len(label) + 18
    out.append("</g>")
    return "".join(out)
