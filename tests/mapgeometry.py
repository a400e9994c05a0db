"""A laid-out map (Graphviz's JSON output) → what a reader sees go wrong: arrows that cross,
labels that overlap each other or a box, counted from Graphviz's own coordinates (only the
reading of its splines and label grounds is argmap's)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

# reading Graphviz's drawing (its splines, a label's ground) is shared with the layout code; the
# counting below is this module's own, so the tests do not take the layout's word for its quality
from argmap.output.geometry import label_box, polyline

Box = tuple[float, float, float, float]  # left, bottom, right, top in points
Polyline = list[tuple[float, float]]


def laid_out(source: str) -> dict[str, Any]:
    """``source`` laid out by the system's dot (its own layout= attribute decides the engine)."""
    done = subprocess.run(["dot", "-Tjson"], input=source.encode("utf-8"), capture_output=True, check=True)
    return json.loads(done.stdout)


def _visible(attributes: dict[str, Any]) -> bool:
    return "invis" not in attributes.get("style", "")


def node_boxes(layout: dict[str, Any]) -> dict[str, Box]:
    """Every visible node's box (the key's too)."""
    boxes: dict[str, Box] = {}
    for obj in layout.get("objects", []):
        if "pos" not in obj or "width" not in obj or not _visible(obj):
            continue
        x, y = (float(v) for v in obj["pos"].split(","))
        w, h = float(obj["width"]) * 72 / 2, float(obj["height"]) * 72 / 2
        boxes[obj["name"]] = (x - w, y - h, x + w, y + h)
    return boxes


def edges(layout: dict[str, Any]) -> list[tuple[str, str, Polyline]]:
    """Every visible edge between two visible nodes: (tail, head, its line as a polyline)."""
    names = {obj["_gvid"]: obj["name"] for obj in layout.get("objects", [])}
    shown = node_boxes(layout)
    out = []
    for edge in layout.get("edges", []):
        tail, head = names[edge["tail"]], names[edge["head"]]
        if not _visible(edge) or "pos" not in edge or tail not in shown or head not in shown:
            continue
        points = [tuple(float(v) for v in p.split(",")) for p in edge["pos"].split() if not p[0] in "es"]
        out.append((tail, head, polyline(points)))
    return out


def _cross(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]) -> bool:
    def side(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def crossings(layout: dict[str, Any], *, key: bool = False) -> int:
    """How many times two arrows with no box in common cross (the key's samples left out
    unless ``key``)."""
    lines = [e for e in edges(layout) if key or not e[0].startswith("legend__")]
    count = 0
    for i, (t1, h1, line1) in enumerate(lines):
        for t2, h2, line2 in lines[i + 1:]:
            if {t1, h1} & {t2, h2}:
                continue
            count += sum(_cross(a, b, c, d) for a, b in zip(line1, line1[1:]) for c, d in zip(line2, line2[1:]))
    return count


def label_boxes(layout: dict[str, Any]) -> list[tuple[str, Box]]:
    """Each edge label's box: ('tail->head', box), head and tail labels too."""
    names = {obj["_gvid"]: obj["name"] for obj in layout.get("objects", [])}
    out = []
    for edge in layout.get("edges", []):
        for field in ("_ldraw_", "_hldraw_", "_tldraw_", "_xldraw_"):
            box = label_box(edge.get(field, []))
            if box is not None:
                out.append((f"{names[edge['tail']]}->{names[edge['head']]}", box))
    return out


def _overlap(a: Box, b: Box, slack: float) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def label_overlaps(layout: dict[str, Any], slack: float = 0.5) -> list[tuple[str, str]]:
    """Pairs (label, label or box) that overlap by more than ``slack`` points each way."""
    labels = label_boxes(layout)
    boxes = node_boxes(layout)
    found = []
    for i, (name, box) in enumerate(labels):
        found += [(name, other) for other, b in labels[i + 1:] if _overlap(box, b, slack)]
        found += [(name, node) for node, b in boxes.items() if _overlap(box, b, slack)]
    return found


def size_inches(layout: dict[str, Any]) -> tuple[float, float]:
    left, bottom, right, top = (float(v) for v in layout["bb"].split(","))
    return (right - left) / 72, (top - bottom) / 72
