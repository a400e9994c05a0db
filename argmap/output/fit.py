"""An argument map (graphviz.Digraph) + a page width → the same map folded into layers that fit
the width, and a page exactly that wide (text kept at the sizes asked for, never scaled down
unless the map cannot fit, which is reported)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from argmap.output.figure import MIN_TEXT_PT, Width, downstream_of, layers, system_dot

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

    from argmap.model import Model

__all__ = ["fit_to_width", "measure", "place"]

_PAD_Y = 0.05  # inches above and below the drawing


def measure(source: str, *, heights: bool = False) -> tuple[float, float, dict[str, Any]]:
    """Lay ``source`` out with the system's ``dot``: (width, height) in points and each node's
    width (with ``heights``: (width, height)), in points."""
    done = subprocess.run([system_dot() or "dot", "-Tplain"], input=source.encode("utf-8"), capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace')}")
    width = height = 0.0
    nodes: dict[str, Any] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        parts = _split_plain(line)
        if parts and parts[0] == "graph":
            width, height = float(parts[2]) * 72, float(parts[3]) * 72
        elif parts and parts[0] == "node":
            size = float(parts[4]) * 72
            nodes[parts[1]] = (size, float(parts[5]) * 72) if heights else size
    return width, height, nodes


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
_RANKSEP = 24.0  # points between two layers: room for the arrow's head and its label
_MARGIN = 4.0  # points kept free at the left and right edge


def place(graph: graphviz.Digraph, model: Model, tops: Sequence[str], evidence_nodes: Sequence[str],
          key_entries: Sequence[Sequence[str]], width: float) -> dict[str, tuple[float, float]]:
    """Pin every node of ``graph`` so that the map is at most ``width`` points wide: claims (and
    evidence boxes) in layers that each fit the width, hypotheses on top, each layer ordered by
    where its neighbours sit (fewer crossings) and centred; the key in rows under the map.
    Graphviz's ``neato`` then only routes the arrows around the boxes. Returns the positions."""
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
    room = width - 2 * _MARGIN
    placed = layers(order, parents, {n: sizes[n][0] for n in order}, room, _GAP, top=list(tops),
                    downstream=downstream_of(model, list(tops)))
    rows: list[list[str]] = [[] for _ in range(max(placed.values(), default=-1) + 1)]
    for node in order:
        rows[placed[node]].append(node)
    neighbours: dict[str, set[str]] = {n: set() for n in order}
    for child, ps in parents.items():
        for p in ps:
            if child in neighbours and p in neighbours:
                neighbours[child].add(p)
                neighbours[p].add(child)
    xs: dict[str, float] = {}

    def spread(row: list[str]) -> None:
        total = sum(sizes[n][0] for n in row) + _GAP * (len(row) - 1)
        x = width / 2 - total / 2
        for n in row:
            xs[n] = x + sizes[n][0] / 2
            x += sizes[n][0] + _GAP

    for row in rows:
        spread(row)
    # barycentre sweeps, up then down then up: each layer sorted by its neighbours' mean x
    for sweep in (range(1, len(rows)), range(len(rows) - 2, -1, -1), range(1, len(rows))):
        for k in sweep:
            row = rows[k]
            keyed = {n: (sum(xs[m] for m in neighbours[n]) / len(neighbours[n]) if neighbours[n] else xs[n])
                     for n in row}
            row.sort(key=lambda n: (keyed[n], order.index(n)))
            spread(row)
    positions: dict[str, tuple[float, float]] = {}
    # the key: entries packed into rows as wide as the page, top row first
    key_rows: list[list[list[str]]] = []
    used = 0.0
    for entry in key_entries:
        w = _entry_width(entry, sizes)
        if key_rows and used + _GAP + w <= room:
            key_rows[-1].append(list(entry))
            used += _GAP + w
        else:
            key_rows.append([list(entry)])
            used = w
    y = _MARGIN
    for key_row in reversed(key_rows):
        height = max(sizes[n][1] for entry in key_row for n in entry)
        total = sum(_entry_width(e, sizes) for e in key_row) + _GAP * (len(key_row) - 1)
        x = width / 2 - total / 2
        for entry in key_row:
            if len(entry) == 3:  # a line sample: tail point, head point, the words
                tail, head, words = entry
                positions[tail] = (x + 1, y + height / 2)
                positions[head] = (x + _SAMPLE, y + height / 2)
                positions[words] = (x + _SAMPLE + 10 + sizes[words][0] / 2, y + height / 2)
            else:
                positions[entry[0]] = (x + sizes[entry[0]][0] / 2, y + height / 2)
            x += _entry_width(entry, sizes) + _GAP
        y += height + 10
    y += _RANKSEP / 2 if key_rows else 0
    for row in rows:
        height = max((sizes[n][1] for n in row), default=0)
        for n in row:
            positions[n] = (xs[n], y + height / 2)
        y += height + _RANKSEP
    for name, (x, yy) in positions.items():
        graph.node(name, pos=f"{x:.2f},{yy:.2f}!")
    graph.attr(layout="neato", inputscale="72", splines="true", overlap="true", sep="+4", esep="+2",
               mode="major", maxiter="0", notranslate="true")
    return positions


_SAMPLE = 30.0  # points: the length of a line sample in the key


def _entry_width(entry: Sequence[str], sizes: dict[str, tuple[float, float]]) -> float:
    if len(entry) == 3:
        return _SAMPLE + 10 + sizes[entry[2]][0]
    return sizes[entry[0]][0]


_PAGE_HEIGHT = 9.0 * 72  # the text height of a journal page, about


def drawn_width(source: str) -> float:
    """The width in points of the page ``source`` is drawn on, less its padding."""
    return drawn_size(source)[0]


def drawn_size(source: str) -> tuple[float, float]:
    """The (width, height) in points of the page ``source`` is drawn on, less its padding (from
    the SVG: plain output does not give neato's true bounding box)."""
    import re

    done = subprocess.run([system_dot() or "dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                          check=False)
    match = re.search(rb'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) ([0-9.]+)"', done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"dot failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace')}")
    pad = re.search(r"\bpad=\"?([0-9.]+)", source)
    around = 2 * 72 * (float(pad.group(1)) if pad else 4 / 72)
    return float(match.group(1)) - around, float(match.group(2)) - 2 * 72 * _PAD_Y


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
