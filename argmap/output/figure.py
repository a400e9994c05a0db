"""Figure geometry: a width ("3.5in", "7in", "85mm") → points; a font request → the family
fontconfig draws with; claims and their arrows → layers no wider than the page."""

from __future__ import annotations

import functools
import platform
import random
import re
import shutil
import subprocess
from collections.abc import Collection, Mapping, Sequence

import attrs

from argmap.errors import ArgmapError, Location
from argmap.model import Model

__all__ = ["FONT_CANDIDATES", "MIN_TEXT_PT", "Width", "layers", "packings", "parse_width", "resolve_font"]

MIN_TEXT_PT = 7.0  # the smallest text a journal accepts in a printed figure

_UNITS = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0, "bp": 1.0}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(in|mm|cm|pt|bp)\s*$", re.IGNORECASE)


@attrs.frozen
class Width:
    """A figure's width as the user wrote it and in PostScript points (1/72 in)."""

    text: str
    points: float

    @property
    def inches(self) -> float:
        return self.points / 72


def parse_width(text: str | None, option: str = "--width") -> Width | None:
    """``"3.5in"``, ``"7in"``, ``"85mm"``, ``"12cm"``, ``"252pt"`` → :class:`Width`; None stays None."""
    if text is None:
        return None
    match = _LENGTH.match(str(text))
    if not match:
        raise ArgmapError.at(Location(option), f"{option} {text!r} is not a length; write a number and a unit, "
                                               "e.g. 3.5in (one column), 7in (two columns), 85mm or 12cm")
    points = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not 1.5 * 72 <= points <= 40 * 72:
        raise ArgmapError.at(Location(option), f"{option} {text}: write a width between 1.5in and 40in")
    return Width(text=str(text).strip(), points=points)


# Metric-compatible families first (Liberation and Nimbus/TeX Gyre have Times' and Helvetica's
# widths), then the names macOS and Windows install.
FONT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "serif": ("Liberation Serif", "Nimbus Roman", "TeX Gyre Termes", "Times New Roman", "Times", "DejaVu Serif"),
    "sans": ("Liberation Sans", "Nimbus Sans", "TeX Gyre Heros", "Arial", "Helvetica", "DejaVu Sans"),
}
_PLATFORM_DEFAULT = {("serif", "Windows"): "Times New Roman", ("sans", "Windows"): "Arial",
                     ("serif", "Darwin"): "Times", ("sans", "Darwin"): "Helvetica"}


@functools.cache
def fc_family(name: str) -> str | None:
    """The family fontconfig draws ``name`` with (``fc-match``), or None without fontconfig."""
    if not shutil.which("fc-match"):
        return None
    done = subprocess.run(["fc-match", "-f", "%{family}", name], capture_output=True, check=False)
    if done.returncode != 0 or not done.stdout:
        return None
    return done.stdout.decode("utf-8", "replace").split(",")[0].strip() or None


@functools.cache
def resolve_font(generic: str, requested: str | None = None) -> str:
    """The family a figure is set in: ``requested`` if given (what fontconfig makes of it, so that
    the SVG names the font Graphviz measured), else the first installed candidate for
    ``generic`` ("serif" or "sans"), else what fontconfig gives for the generic name."""
    if requested:
        return fc_family(requested) or requested
    if not shutil.which("fc-match"):
        return _PLATFORM_DEFAULT.get((generic, platform.system()), FONT_CANDIDATES[generic][0])
    for candidate in FONT_CANDIDATES[generic]:
        if (fc_family(candidate) or "").lower() == candidate.lower():
            return candidate
    return fc_family(generic) or FONT_CANDIDATES[generic][0]


def css_family(family: str, generic: str) -> str:
    """``family`` then its metric-compatible stand-ins and the generic family, for SVG and CSS."""
    names = [family] + [c for c in FONT_CANDIDATES[generic] if c != family and not c.startswith("DejaVu")]
    return ",".join(names + [generic.replace("sans", "sans-serif")])


def layers(nodes: Sequence[str], parents: Mapping[str, Sequence[str]], widths: Mapping[str, float],
           capacity: float, gap: float, *, top: Sequence[str] = (),
           downstream: Collection[str] | None = None, crown: Collection[str] = (),
           heights: Mapping[str, float] | None = None, spacing: float = 0.0) -> dict[str, int]:
    """The lowest of :func:`packings` (see there)."""
    found = packings(nodes, parents, widths, capacity, gap, top=top, downstream=downstream, crown=crown,
                     heights=heights, spacing=spacing, keep=1)
    return found[0] if found else {}


def packings(nodes: Sequence[str], parents: Mapping[str, Sequence[str]], widths: Mapping[str, float],
             capacity: float, gap: float, *, top: Sequence[str] = (),
             downstream: Collection[str] | None = None, crown: Collection[str] = (),
             heights: Mapping[str, float] | None = None, spacing: float = 0.0, keep: int = 1,
             slack: float = 0.0) -> list[dict[str, int]]:
    """Each node's layer (0 at the bottom): a node sits below every node it bears on, a layer holds
    at most ``capacity`` points of nodes (``gap`` between two), so a wide rank is folded into
    several. Filled from the top down, so that a reason sits right under what it supports (short
    arrows); the ``top`` nodes (hypotheses) start the top row, with the ``crown`` nodes (rivals
    above them) beside them, and what follows from a top node (a mechanism or outcome depending
    on it; ``downstream``, by default all that depends on a top node) is drawn below it, its
    arrow pointing down. The layers are filled in several orders (the model's, the longest chain
    first, and both with their ties broken at random, seeded) and the lowest map is kept: with
    ``heights``, the sum of its layers' heights plus ``spacing`` between two, else the number of
    layers, plus ``_SPAN_WEIGHT`` for each layer an arrow spans. Returns the ``keep`` lowest
    different packings (the lowest first) whose score is within ``slack`` of the lowest's."""
    top_set = set(top)
    if downstream is None:
        downstream = _descendants(top_set, nodes, parents) - top_set
    above: dict[str, list[str]] = {n: [] for n in nodes}  # the nodes each must sit below
    for child in nodes:
        for parent in parents.get(child, ()):
            if parent not in above:
                continue
            if parent in top_set and child in downstream:
                above[child].append(parent)  # drawn downwards: the hypothesis is above
            else:
                above[parent].append(child)
    below: dict[str, list[str]] = {n: [] for n in nodes}
    for n, over in above.items():
        for a in over:
            below[a].append(n)
    chain: dict[str, int] = {}  # how many nodes at most hang below each, one under the other

    def depth(n: str, seen: frozenset[str] = frozenset()) -> int:
        if n not in chain:
            chain[n] = 1 + max((depth(b, seen | {n}) for b in below[n] if b not in seen), default=0)
        return chain[n]

    index = {n: k for k, n in enumerate(nodes)}
    orders = [{n: (n not in top_set, index[n]) for n in nodes},
              {n: (n not in top_set, -depth(n), index[n]) for n in nodes}]
    # and the same two with their ties broken at random (seeded: the same map every time), as many
    # as a few thousand node placements allow
    shuffle = random.Random(18)
    for k in range(min(_SHUFFLES, _PLACEMENTS // max(len(nodes), 1))):
        tie = {n: shuffle.random() for n in nodes}
        orders.append({n: (n not in top_set, -depth(n) if k % 2 else 0, tie[n]) for n in nodes})
    scored: dict[tuple[tuple[str, int], ...], tuple[tuple[float, float, int], dict[str, int]]] = {}
    for k, rank in enumerate(orders):
        placed = _fill(nodes, above, widths, capacity, gap, rank, top_set | set(crown), bool(top_set))
        rows: dict[int, float] = {}
        for n, layer in placed.items():
            rows[layer] = max(rows.get(layer, 0.0), heights[n] if heights else 1.0)
        tall = sum(rows.values()) + spacing * (len(rows) - 1)
        span = sum(abs(placed[n] - placed[a]) for n in nodes for a in above[n])
        same = tuple(sorted(placed.items()))
        if same not in scored:  # the first order that gives a packing names it (ties: the earlier order)
            scored[same] = ((tall + _SPAN_WEIGHT * span, span, k), placed)
    ranked = sorted(scored.values(), key=lambda found: found[0])
    return [placed for score, placed in ranked[:keep] if score[0] <= ranked[0][0][0] + slack]


_SHUFFLES = 48  # fill orders tried besides the model's and the longest chain's
_PLACEMENTS = 6000  # nodes placed at most over all the orders tried
# points of height a fold may add to save one layer of arrow length (measured: 1 crosses fewer
# arrows than 0 or 2 on the 36-claim model at both widths, the shipped case's height the same)
_SPAN_WEIGHT = 1.0


def _fill(nodes: Sequence[str], above: Mapping[str, Sequence[str]], widths: Mapping[str, float], capacity: float,
          gap: float, rank: Mapping[str, tuple], crown: Collection[str], topped: bool) -> dict[str, int]:
    """Nodes into layers from the top down, the first in ``rank`` of those whose nodes above are
    placed going next, each as high as its nodes above and the room in a layer allow."""
    highest = len(nodes) + 1  # a provisional top layer, shifted to 0-based at the end
    placed: dict[str, int] = {}
    used: dict[int, float] = {}
    pending = list(nodes)
    while pending:
        ready = [n for n in pending if all(a in placed for a in above[n])] or pending[:1]
        node = min(ready, key=lambda n: rank[n])
        pending.remove(node)
        ceiling = [placed[a] - 1 for a in above[node] if a in placed]
        layer = min(ceiling) if ceiling else (highest if node in crown or not topped else highest - 1)
        while used.get(layer, 0.0) and used[layer] + gap + widths[node] > capacity:
            layer -= 1
        used[layer] = used.get(layer, 0.0) + (gap if used.get(layer) else 0.0) + widths[node]
        placed[node] = layer
    low = min(placed.values(), default=0)
    return {n: layer - low for n, layer in placed.items()}


def _descendants(roots: set[str], nodes: Sequence[str], parents: Mapping[str, Sequence[str]]) -> set[str]:
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for n in nodes:
            if n not in found and any(p in found for p in parents.get(n, ())):
                found.add(n)
                changed = True
    return found


def system_dot() -> str | None:
    """Path of Graphviz's ``dot`` (the layouts fitted to a width measure labels with it)."""
    return shutil.which("dot")


def downstream_of(model: Model, tops: list[str]) -> set[str]:
    """Claims other than hypotheses and rivals that depend on a top claim (drawn below it)."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for c in model.claims.values():
            if c.id not in found and c.role not in ("hypothesis", "rival") and \
                    any(p in tops or p in found for p in c.parents):
                found.add(c.id)
                changed = True
    return found
