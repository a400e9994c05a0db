"""A laid-out map (Graphviz's JSON) → its arrows as lines, how often they cross, which labels lie
on a label or a box, and a place for each arrow's label beside its own arrow, clear of the
boxes, the other labels and the other arrows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = ["Arrow", "Box", "arrows", "boxes", "crossings", "label_box", "overlap", "place_labels", "polyline"]

Box = tuple[float, float, float, float]  # left, bottom, right, top in points
Point = tuple[float, float]


@attrs.frozen
class Arrow:
    """A drawn edge: its index among the graph's edges, its ends, its line, its label's size."""

    index: int
    ends: frozenset[str]
    line: tuple[Point, ...]
    label: tuple[float, float] | None  # width, height of its xlabel
    key: bool  # a sample in the key


def polyline(points: Sequence[Sequence[float]], steps: int = 8) -> list[Point]:
    """dot's B-spline (cubic Bézier pieces) → a polyline through it."""
    out = [(points[0][0], points[0][1])]
    for k in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[k:k + 4]
        for s in range(1, steps + 1):
            t = s / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def label_box(ops: list[dict[str, Any]]) -> Box | None:
    """The box a label's drawing covers: its ground, else its text."""
    xs: list[float] = []
    ys: list[float] = []
    for op in ops:
        if op.get("op") in ("P", "p"):
            xs += [p[0] for p in op["points"]]
            ys += [p[1] for p in op["points"]]
    if xs:
        return min(xs), min(ys), max(xs), max(ys)
    size = 14.0
    for op in ops:
        if op.get("op") == "F":
            size = float(op["size"])
        if op.get("op") == "T":
            x, y = op["pt"]
            w = float(op["width"])
            left = {"l": x, "r": x - w}.get(op["align"], x - w / 2)
            xs += [left, left + w]
            ys += [y - 0.25 * size, y + 0.8 * size]
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def overlap(a: Box, b: Box, slack: float = 0.5) -> bool:
    """Whether two boxes overlap by more than ``slack`` points each way."""
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def boxes(layout: dict[str, Any]) -> dict[str, Box]:
    """Every visible node's box."""
    found: dict[str, Box] = {}
    for o in layout.get("objects", []):
        if "pos" in o and "width" in o and "invis" not in o.get("style", ""):
            x, y = (float(v) for v in o["pos"].split(","))
            w, h = float(o["width"]) * 36, float(o["height"]) * 36
            found[o["name"]] = (x - w, y - h, x + w, y + h)
    return found


def arrows(layout: dict[str, Any]) -> list[Arrow]:
    """Every visible edge between two visible nodes."""
    names = {o["_gvid"]: o["name"] for o in layout.get("objects", [])}
    shown = boxes(layout)
    found = []
    for k, e in enumerate(layout.get("edges", [])):
        tail, head = names[e["tail"]], names[e["head"]]
        if "invis" in e.get("style", "") or "pos" not in e or tail not in shown or head not in shown:
            continue
        points = [tuple(float(v) for v in p.split(",")) for p in e["pos"].split() if p[0] not in "es"]
        size = None
        for field in ("_xldraw_", "_ldraw_"):
            box = label_box(e.get(field, []))
            if box is not None:
                size = (box[2] - box[0], box[3] - box[1])
        found.append(Arrow(k, frozenset((tail, head)), tuple(polyline(points)), size, tail.startswith("legend__")))
    return found


def _cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def crossings(layout: dict[str, Any]) -> int:
    """How often two arrows with no box in common cross (the key's samples left out)."""
    lines = [a for a in arrows(layout) if not a.key]
    count = 0
    for k, one in enumerate(lines):
        for other in lines[k + 1:]:
            if not one.ends & other.ends:
                count += sum(_cross(a, b, c, d) for a, b in zip(one.line, one.line[1:])
                             for c, d in zip(other.line, other.line[1:]))
    return count


def covered_labels(layout: dict[str, Any]) -> int:
    """How many (label, label or box) pairs overlap."""
    names = {o["_gvid"]: o["name"] for o in layout.get("objects", [])}
    labels = [box for e in layout.get("edges", []) for field in ("_ldraw_", "_hldraw_", "_tldraw_", "_xldraw_")
              if names and (box := label_box(e.get(field, []))) is not None]
    nodes = list(boxes(layout).values())
    return sum(overlap(a, b) for k, a in enumerate(labels) for b in labels[k + 1:]) + \
        sum(overlap(a, n) for a in labels for n in nodes)


def _hits(box: Box, line: Sequence[Point]) -> int:
    """How many pieces of ``line`` pass through ``box`` (Liang–Barsky clipping)."""
    left, bottom, right, top = box
    count = 0
    for (x1, y1), (x2, y2) in zip(line, line[1:]):
        if max(x1, x2) <= left or min(x1, x2) >= right or max(y1, y2) <= bottom or min(y1, y2) >= top:
            continue  # beside the box: most pieces
        low, high = 0.0, 1.0
        dx, dy = x2 - x1, y2 - y1
        for p, q in ((-dx, x1 - left), (dx, right - x1), (-dy, y1 - bottom), (dy, top - y1)):
            if p == 0:
                if q < 0:
                    high = -1.0
                continue
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
        count += low < high
    return count


def _bounds(line: Sequence[Point]) -> Box:
    xs = [p[0] for p in line]
    ys = [p[1] for p in line]
    return min(xs), min(ys), max(xs), max(ys)


def _distance(p: Point, line: Sequence[Point]) -> float:
    best = math.inf
    for (x1, y1), (x2, y2) in zip(line, line[1:]):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((p[0] - x1) * dx + (p[1] - y1) * dy) / (dx * dx + dy * dy or 1.0)))
        best = min(best, math.hypot(p[0] - x1 - t * dx, p[1] - y1 - t * dy))
    return best


def place_labels(layout: dict[str, Any], obstacles: Sequence[Box], left: float, right: float,
                 clearance: float = 1.5) -> dict[int, Point]:
    """A centre for each arrow's label (by the edge's index): beside its own arrow (``clearance``
    points off it, left or right of it, or above or below where it runs across), on no box of
    ``layout``, none of ``obstacles`` (the title) and no label placed before, between ``left``
    and ``right``; among those the one that covers the fewest other arrows, lies nearer its own
    arrow than any other, and is nearest the middle of its arrow. Arrows with the fewest places
    are served first; an arrow with none keeps the place Graphviz gave it."""
    drawn = arrows(layout)
    solid = list(boxes(layout).values()) + list(obstacles)
    lines = [a for a in drawn if not a.key]
    extents = {a.index: _bounds(a.line) for a in lines}
    options: dict[int, list[tuple[float, Box]]] = {}
    for arrow in drawn:
        if arrow.label is None or arrow.key:
            continue
        w, h = arrow.label
        line = arrow.line
        lengths = [0.0]
        for (x1, y1), (x2, y2) in zip(line, line[1:]):
            lengths.append(lengths[-1] + math.hypot(x2 - x1, y2 - y1))
        total = lengths[-1] or 1.0
        found: list[tuple[float, Box]] = []
        for step in range(1, 20):
            at = total * step / 20
            k = next(i for i in range(1, len(lengths)) if lengths[i] >= at or i == len(lengths) - 1)
            (x1, y1), (x2, y2) = line[k - 1], line[k]
            f = (at - lengths[k - 1]) / ((lengths[k] - lengths[k - 1]) or 1.0)
            x, y = x1 + f * (x2 - x1), y1 + f * (y2 - y1)
            steep = abs(y2 - y1) >= abs(x2 - x1)
            # beside a steep line: left or right of it; beside a flat one: above or below
            centres = [(x + clearance + w / 2, y), (x - clearance - w / 2, y)] if steep else \
                [(x, y + clearance + h / 2), (x, y - clearance - h / 2)]
            for cx, cy in centres:
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if box[0] < left or box[2] > right or any(overlap(box, s, -1.0) for s in solid):
                    continue
                others = sum(_hits(box, o.line) for o in lines
                             if o.index != arrow.index and overlap(box, extents[o.index], 0.0))
                own = _hits(box, line)
                near = _distance((cx, cy), line)
                # another arrow nearer the label than its own (only those whose extent is that near)
                reach = (cx - near - 2.0, cy - near - 2.0, cx + near + 2.0, cy + near + 2.0)
                rival = min((_distance((cx, cy), o.line) for o in lines
                             if o.index != arrow.index and overlap(reach, extents[o.index], 0.0)), default=math.inf)
                cost = 10.0 * others + 4.0 * own + (6.0 if rival < near + 2.0 else 0.0) + 4.0 * abs(step / 20 - 0.5)
                found.append((cost, box))
        options[arrow.index] = sorted(found)
    placed: dict[int, Point] = {}
    taken: list[Box] = []
    for index in sorted(options, key=lambda i: (len(options[i]), i)):
        for _, box in options[index]:
            if not any(overlap(box, t, -1.0) for t in taken):
                taken.append(box)
                placed[index] = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
                break
    return placed
