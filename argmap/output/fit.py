"""An argument map (graphviz.Digraph) + a page width → the same map folded into layers that fit
the width, and a page exactly that wide (text kept at the sizes asked for, never scaled down
unless the map cannot fit, which is reported)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from argmap.output.figure import MIN_TEXT_PT, Width, downstream_of, packings, system_dot
from argmap.output.geometry import Box, arrows, crossings, label_box, place_labels

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

    from argmap.model import Model

__all__ = ["fit_to_width", "lay_out", "measure", "place"]

_PAD_Y = 0.05  # inches above and below the drawing


def measure(source: str, *, heights: bool = False) -> tuple[float, float, dict[str, Any]]:
    """Lay ``source`` out with the system's ``dot``: (width, height) in points and each node's
    width (with ``heights``: (width, height)), in points."""
    width = height = 0.0
    nodes: dict[str, Any] = {}
    for line in _dot(source, "plain").decode("utf-8", "replace").splitlines():
        parts = _split_plain(line)
        if parts and parts[0] == "graph":
            width, height = float(parts[2]) * 72, float(parts[3]) * 72
        elif parts and parts[0] == "node":
            size = float(parts[4]) * 72
            nodes[parts[1]] = (size, float(parts[5]) * 72) if heights else size
    return width, height, nodes


@functools.lru_cache(maxsize=16)
def _dot(source: str, format: str) -> bytes:
    """``dot -T<format>`` of ``source``, kept for the last few sources: fitting a map measures
    the same source more than once (the loop that checks the width, then the page's size)."""
    done = subprocess.run([system_dot() or "dot", f"-T{format}"], input=source.encode("utf-8"), capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace')}")
    return done.stdout


def _dot_order(source: str, rows: Sequence[Sequence[str]]) -> dict[str, float]:
    """Where ``dot`` puts each node (its x, points) when each of ``rows`` is one of its ranks: dot
    orders a rank to cross few arrows, counting the arrows that pass through it on their way to
    a farther layer, which argmap's own ordering would not see."""
    import graphviz

    ranked = graphviz.Digraph(body=[line for line in source.splitlines(keepends=True)[1:-1]])
    ranked.attr(layout="dot", splines="false")
    spine = [f"rank__{k}" for k in range(len(rows))]
    for name in spine:
        ranked.node(name, label="", shape="point", style="invis", width="0", height="0")
    for lower, upper in zip(spine, spine[1:]):  # one invisible chain keeps the layers apart and in order
        ranked.edge(lower, upper, style="invis", weight="0")
    for name, row in zip(spine, rows):
        with ranked.subgraph() as rank:
            rank.attr(rank="same")
            for node in [name, *row]:
                rank.node(node)
    xs: dict[str, float] = {}
    for line in _dot(ranked.source, "plain").decode("utf-8", "replace").splitlines():
        parts = _split_plain(line)
        if parts and parts[0] == "node":
            xs[parts[1]] = float(parts[2]) * 72
    return xs


def _spread(rows: Sequence[list[str]], wanted: dict[str, float], widths: dict[str, float],
            left: float, right: float) -> dict[str, float]:
    """Each node's x: its rank ordered as ``wanted`` (dot's x) orders it, each box as near dot's
    x (scaled to the room from ``left`` to ``right``) as ``_GAP`` between boxes allows, so that
    the arrows run about as straight as dot draws them."""
    placed = [n for row in rows for n in row]
    low = min((wanted[n] - widths[n] / 2 for n in placed), default=0.0)
    high = max((wanted[n] + widths[n] / 2 for n in placed), default=1.0)
    scale = min(1.0, (right - left) / max(high - low, 1.0))
    xs: dict[str, float] = {}
    for row in rows:
        row.sort(key=lambda n: wanted[n])
        # a row filled for a wider room closes its gaps (down to what an arrow needs to pass)
        spare = right - left - sum(widths[n] for n in row)
        gap = max(_MIN_GAP, min(_GAP, spare / (len(row) - 1))) if len(row) > 1 else _GAP
        # and a row with room to spare keeps its boxes further apart and off the page's edges, so
        # that the arrows between them and along the edges have room for their labels (which
        # Graphviz otherwise lays on a box's edge, or past the page's)
        extra = spare - _GAP * (len(row) - 1)
        share = min(_LABEL_GAP - _GAP, extra / (len(row) + 1)) if extra > 0 else 0.0
        gap += share
        # left to right: each box at dot's x or right of its left neighbour; then right to left:
        # none past its right neighbour or the page's edge
        for k, n in enumerate(row):
            floor = left + share + widths[n] / 2 if k == 0 else xs[row[k - 1]] + (widths[row[k - 1]] + widths[n]) / 2 + gap
            xs[n] = max(left + (wanted[n] - low) * scale + widths[n] / 2 * (1 - scale), floor)
        for k in range(len(row) - 1, -1, -1):
            n = row[k]
            ceiling = right - share - widths[n] / 2 if k == len(row) - 1 else \
                xs[row[k + 1]] - (widths[row[k + 1]] + widths[n]) / 2 - gap
            xs[n] = min(xs[n], ceiling)
    return xs


def _split_plain(line: str) -> list[str]:
    """A line of dot's plain output → its fields (a quoted name is one field)."""
    fields: list[str] = []
    rest = line.strip()
    while rest:
        if rest[0] == '"':
            end = rest.index('"', 1)
            fields.append(rest[1:end])
            rest = rest[end + 1:].lstrip()
        else:
            field, _, rest = rest.partition(" ")
            fields.append(field)
            rest = rest.lstrip()
    return fields


_GAP = 14.0  # points between two boxes of a layer (the arrows router needs room to pass)
_LABEL_GAP = 30.0  # points at most between two boxes of a row with room to spare
_MIN_GAP = 4 * 2.0  # points: the least gap, room for an arrow and neato's margin (esep) on each side
_RANKSEP = 24.0  # points between two layers: room for the arrow's head and its label
_WALL = 1.0  # points: the width of the invisible wall at each edge of the page
# neato's arrows as straight pieces bent round the boxes: on the shipped case and the 36-claim
# model they cross a third to a half as often as its curves (measured, docs/diagrams.md)
_SPLINES = "polyline"
_ESEP = 2.0  # points neato keeps between an arrow and a box (its esep)
# points kept free at the left and right edge: the wall, neato's margin round it and round the
# box, and a point between them, so that no box touches the wall (neato would then draw every
# arrow straight, through the boxes)
_MARGIN = _WALL + 2 * _ESEP + 1.0
_KEY_MARGIN = 4.0  # points kept free at the edges beside the key (under the walls, no arrows)


def place(graph: graphviz.Digraph, model: Model, tops: Sequence[str], evidence_nodes: Sequence[str],
          key_entries: Sequence[Sequence[str]], width: float, fold: float | None = None,
          pick: int = 0) -> dict[str, tuple[float, float]] | None:
    """Pin every node of ``graph`` so that the map is at most ``width`` points wide: claims (and
    evidence boxes) in layers that each fit the width, hypotheses on top, each layer ordered by
    where ``dot`` puts it (fewer crossings) and as near dot's x as fits; the key in rows under the
    map. Graphviz's ``neato`` then only routes the arrows around the boxes, between two invisible
    walls at the page's edges. The layers are filled for ``fold`` points (default ``width``): a
    map laid out again a little narrower keeps its layers while each still fits with its gaps
    closed up. ``pick`` takes the pick-th lowest packing of the layers instead of the lowest
    (None when there are not that many within ``_PACKING_SLACK`` of the lowest). Returns the
    positions."""
    _, _, sizes = measure(graph.source, heights=True)
    targets: dict[str, list[str]] = {}
    for node in evidence_nodes:
        targets[node] = [node.removeprefix("evidence__")] if node.startswith("evidence__") else \
            list(model.item(node).targets)
    parents: dict[str, list[str]] = {cid: list(c.parents) for cid, c in model.claims.items()}
    for node, aims in targets.items():
        for aim in aims:
            parents.setdefault(aim, []).append(node)
    order: list[str] = []
    for cid in model.claims:  # each claim's evidence just before it, so that boxes sit under their claim
        order += [n for n, aims in targets.items() if aims and aims[0] == cid and n not in order]
        order.append(cid)
    order += [n for n in targets if n not in order]
    # hypotheses and rivals that bear on no other claim (the conclusions: a rival resting on the
    # hypotheses too) may share the top row
    crown = [cid for cid, c in model.claims.items() if c.role in ("hypothesis", "rival")
             and not any(cid in other.parents for other in model.claims.values())]
    widths = {n: sizes[n][0] for n in order}

    def fold_into(room: float) -> list[list[str]] | None:
        found = packings(order, parents, widths, room, _GAP, top=list(tops), downstream=downstream_of(model, list(tops)),
                         crown=crown, heights={n: sizes[n][1] for n in order}, spacing=_RANKSEP, keep=pick + 1,
                         slack=_PACKING_SLACK)
        if len(found) <= pick:
            return None
        placed = found[pick]
        rows: list[list[str]] = [[] for _ in range(max(placed.values(), default=-1) + 1)]
        for node in order:
            rows[placed[node]].append(node)
        return rows

    room = width - 2 * _MARGIN
    rows = fold_into((fold or width) - 2 * _MARGIN)
    # the layers filled for a wider page, when each still fits with its gaps closed up; else
    # filled again (a box touching another or a wall makes neato draw every arrow straight)
    if rows is not None and any(sum(widths[n] for n in row) + _MIN_GAP * (len(row) - 1) > room for row in rows):
        rows = fold_into(room)
    if rows is None:
        return None
    xs = _spread(rows, _dot_order(graph.source, rows), widths, _MARGIN, width - _MARGIN)
    positions: dict[str, tuple[float, float]] = {}
    # the key: entries packed into rows as wide as the page, top row first
    key_rows: list[list[list[str]]] = []
    used = 0.0
    for entry in key_entries:
        w = _entry_width(entry, sizes)
        if key_rows and used + _GAP + w <= width - 2 * _KEY_MARGIN:
            key_rows[-1].append(list(entry))
            used += _GAP + w
        else:
            key_rows.append([list(entry)])
            used = w
    y = _KEY_MARGIN
    for key_row in reversed(key_rows):
        height = max(sizes[n][1] for entry in key_row for n in entry)
        total = sum(_entry_width(e, sizes) for e in key_row) + _GAP * (len(key_row) - 1)
        x = width / 2 - total / 2
        for entry in key_row:
            if len(entry) == 3:  # a line sample: tail point, head point, the words
                tail, head, words = entry
                positions[tail] = (x + 1, y + height / 2)
                positions[head] = (x + _SAMPLE, y + height / 2)
                positions[words] = (x + _SAMPLE + _SAMPLE_GAP + sizes[words][0] / 2, y + height / 2)
            else:
                positions[entry[0]] = (x + sizes[entry[0]][0] / 2, y + height / 2)
            x += _entry_width(entry, sizes) + _GAP
        y += height + _KEY_ROW_GAP
    y += _RANKSEP / 2 if key_rows else 0
    bottom = y
    for row in rows:
        height = max((sizes[n][1] for n in row), default=0)
        for n in row:
            positions[n] = (xs[n], y + height / 2)
        y += height + _RANKSEP
    for name, (x, yy) in positions.items():
        graph.node(name, pos=f"{x:.2f},{yy:.2f}!")
    # an invisible wall down each edge of the page: neato routes an arrow round the boxes, and
    # without them one that bends round a box at the edge leaves the page (and widens it)
    # (from under the lowest row to the top of the highest, so that they add no height)
    top = y - _RANKSEP
    for name, x in (("page__left", _WALL / 2), ("page__right", width - _WALL / 2)):
        graph.node(name, label="", shape="box", style="invis", fixedsize="true", width=f"{_WALL / 72:.4f}",
                   height=f"{(top - bottom) / 72:.4f}", pos=f"{x:.2f},{(top + bottom) / 2:.2f}!")
    graph.attr(layout="neato", inputscale="72", splines=_SPLINES, overlap="true", sep="+4", esep=f"+{_ESEP:g}",
               mode="major", maxiter="0", notranslate="true", forcelabels="true")
    return positions


# points of height (and arrow length, see figure.packings) a packing other than the lowest may
# add to be tried
_PACKING_SLACK = 72.0


_SAMPLE = 24.0  # points: the length of a line sample in the key
_SAMPLE_GAP = 6.0  # points between a line sample and its words
_KEY_ROW_GAP = 5.0  # points between two rows of the key


def _entry_width(entry: Sequence[str], sizes: dict[str, tuple[float, float]]) -> float:
    if len(entry) == 3:
        return _SAMPLE + _SAMPLE_GAP + sizes[entry[2]][0]
    return sizes[entry[0]][0]


_PAGE_HEIGHT = 9.0 * 72  # the text height of a journal page, about


def drawn_width(source: str) -> float:
    """The width in points of the page ``source`` is drawn on, less its padding."""
    return drawn_size(source)[0]


def drawn_size(source: str) -> tuple[float, float]:
    """The (width, height) in points of the drawing of ``source``, without the page's padding
    (Graphviz's own bounding box, which the SVG's page is, padding added)."""
    left, bottom, right, top = _bounds(source)
    return right - left, top - bottom


def _bounds(source: str) -> tuple[float, float, float, float]:
    box = json.loads(_dot(source, "json")).get("bb")
    if not box:
        raise RuntimeError("dot's layout has no bounding box")
    left, bottom, right, top = (float(v) for v in box.split(","))
    return left, bottom, right, top


def lay_out(base: graphviz.Digraph, model: Model, tops: Sequence[str], evidence_nodes: Sequence[str],
            key_entries: Sequence[Sequence[str]], width: float) -> graphviz.Digraph:
    """A copy of ``base`` with its nodes pinned (:func:`place`) so that it fits ``width`` points,
    the arrows routed by ``neato`` and each strength put beside its own arrow
    (:func:`argmap.output.geometry.place_labels`); the drawing then only paints that layout
    (``nop2``). neato's routing swings with small changes (it is chaotic), so for a small map
    the few lowest packings of its layers are each laid out and the one with the fewest
    crossings (and labels left where Graphviz put them) is kept, no taller than a page (or than
    the lowest packing, when that is taller)."""
    small = len(model.claims) + len(evidence_nodes) <= _SMALL_MAP
    best: tuple[tuple[bool, float, float], graphviz.Digraph] | None = None
    lowest = 0.0
    for pick in range(_PACKINGS if small else 1):
        # an arrow or a box past the page's edge (neato keeps them inside the walls, see place;
        # a label the walls do not hold, when it has no place beside its arrow): lay the map
        # out again that much narrower, a few times at most
        spare = 0.0
        for _ in range(_FIT_ATTEMPTS):
            graph = base.copy()
            positions = place(graph, model, tops, evidence_nodes, key_entries, width - spare, fold=width, pick=pick)
            if positions is None:
                return best[1] if best else graph
            crossed, unplaced, (low, high, tall) = _labelled(graph, positions, width)
            if high - low <= width + 0.01:
                break
            spare += high - low - width + 1
        if not small:
            return graph
        lowest = lowest or tall
        # (the drawing measured here is a few points lower than Graphviz's bounding box)
        if pick and tall + _HEIGHT_SLACK > max(_PAGE_HEIGHT - 2 * _PAD_Y * 72, lowest + _HEIGHT_SLACK):
            continue
        score = (high - low > width + 0.01, crossed + _COVER_WEIGHT * unplaced, tall)
        if best is None or score < best[0]:
            best = (score, graph)
    return best[1] if best else base


def _labelled(graph: graphviz.Digraph, positions: dict[str, tuple[float, float]],
              width: float) -> tuple[int, int, tuple[float, float, float]]:
    """Route ``graph``'s arrows with neato and pin each edge's line and label (``place_labels``)
    in its source, drawn from then on with ``nop2``: (crossings, labels left where Graphviz put
    them, (left, right, height) of the drawing). ``positions`` are where ``place`` pinned the
    nodes (neato moves the whole drawing; its lines are moved back)."""
    layout = json.loads(_dot(graph.source, "json"))
    dx = dy = 0.0
    for o in layout.get("objects", []):
        if o.get("name") in positions and "pos" in o:
            x, y = (float(v) for v in o["pos"].split(","))
            dx, dy = positions[o["name"]][0] - x, positions[o["name"]][1] - y
            break
    title = label_box(layout.get("_ldraw_", []))
    obstacles = [title] if title else []
    spots = place_labels(layout, obstacles, _WALL - dx, width - _WALL - dx)
    names = {o["_gvid"]: o["name"] for o in layout.get("objects", [])}
    # Graphviz lists the edges tail by tail, not as written: match them by their ends (and, for
    # two between the same boxes, in order)
    written: dict[tuple[str, str], list[int]] = {}
    for k, line in enumerate(graph.body):
        if match := _EDGE_LINE.match(line):
            written.setdefault((_unquote(match[1]), _unquote(match[2])), []).append(k)
    edges = layout.get("edges", [])
    if sum(map(len, written.values())) != len(edges):  # the source is not as written here: leave it to neato
        return crossings(layout), len(edges), _extent(layout, [])
    placed: list[Box] = []
    unplaced = 0
    for index, edge in enumerate(edges):
        k = written[names[edge["tail"]], names[edge["head"]]].pop(0)
        pins = f'pos="{_moved(edge["pos"], dx, dy)}"' if "pos" in edge else ""
        if index in spots:
            x, y = spots[index]
            pins += f' xlp="{x + dx:.2f},{y + dy:.2f}"'
            box = label_box(edge.get("_xldraw_", []))
            if box is not None:
                w, h = box[2] - box[0], box[3] - box[1]
                placed.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        elif "xlabel" in edge:
            unplaced += 1
            box = label_box(edge.get("_xldraw_", []))
            if box is not None:
                placed.append(box)
        graph.body[k] = graph.body[k].rstrip("\n") + f" [{pins}]\n"
    graph.attr(layout="nop2")
    return crossings(layout), unplaced, _extent(layout, placed + obstacles)


_EDGE_LINE = re.compile(r"^\t+(\w+|\"(?:[^\"\\]|\\.)*\") -> (\w+|\"(?:[^\"\\]|\\.)*\")(?: \[|\n|$)")


def _unquote(name: str) -> str:
    return name[1:-1].replace('\\"', '"') if name.startswith('"') else name


def _moved(spline: str, dx: float, dy: float) -> str:
    """An edge's ``pos`` (points, with its ``e,``/``s,`` ends) moved by (dx, dy)."""
    out = []
    for point in spline.split():
        lead = point[:2] if point[0] in "es" and point[1] == "," else ""
        x, y = (float(v) for v in point[len(lead):].split(","))
        out.append(f"{lead}{x + dx:.2f},{y + dy:.2f}")
    return " ".join(out)


def _extent(layout: dict[str, Any], labels: Sequence[Box]) -> tuple[float, float, float]:
    """(left, right, height) of what is drawn: boxes (the walls too), arrows and ``labels``."""
    xs: list[float] = []
    ys: list[float] = []
    for box in [*_all_boxes(layout), *labels]:
        xs += [box[0], box[2]]
        ys += [box[1], box[3]]
    for arrow in arrows(layout):
        xs += [p[0] for p in arrow.line]
        ys += [p[1] for p in arrow.line]
    return (min(xs), max(xs), max(ys) - min(ys)) if xs else (0.0, 0.0, 0.0)


def _all_boxes(layout: dict[str, Any]) -> list[Box]:
    """Every node's box, the invisible walls' too."""
    found = []
    for o in layout.get("objects", []):
        if "pos" in o and "width" in o:
            x, y = (float(v) for v in o["pos"].split(","))
            w, h = float(o["width"]) * 36, float(o["height"]) * 36
            found.append((x - w, y - h, x + w, y + h))
    return found


_FIT_ATTEMPTS = 4  # layouts tried for a packing before the map is shrunk to the width
_PACKINGS = 3  # packings of a small map laid out, the lowest and the next ones
_SMALL_MAP = 24  # claims and evidence boxes at most in a map whose packings are compared
_COVER_WEIGHT = 3.0  # a label left where Graphviz put it counts as this many crossings
_HEIGHT_SLACK = 4.0  # points


def fit_to_width(graph: graphviz.Digraph, width: Width, *, warn: Callable[[str], Any] | None = None) -> graphviz.Digraph:
    """Centre the laid-out map on a page exactly ``width`` wide; when it is wider, shrink it to the
    width and say (through ``warn``) how small its text then is and what would help."""
    drawn, tall = drawn_size(graph.source)
    if tall > _PAGE_HEIGHT and warn is not None:
        warn(f"the map is {tall / 72:.1f} in tall at --width {width.text}, more than a page ({_PAGE_HEIGHT / 72:g} in): "
             "give long claims a short label:, draw --evidence none, or split the argument into two figures")
    if drawn <= width.points:
        graph.attr(pad=f"{(width.points - drawn) / 2 / 72:.4f},{_PAD_Y}")
        return graph
    factor = width.points / drawn
    graph.attr(pad="0", size=f"{width.inches:.4f},1000")
    if warn is not None:
        warn(f"the map is {drawn / 72:.1f} in wide at {MIN_TEXT_PT:g} pt text, wider than --width {width.text}: "
             f"it is shrunk to fit, so its smallest text is {MIN_TEXT_PT * factor:.1f} pt. Give long claims a "
             "short label:, draw --evidence none (or summary), or split the argument into two figures")
    return graph

