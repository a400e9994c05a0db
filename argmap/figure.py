"""Figure geometry: a width ("3.5in", "7in", "85mm") → points; a font request → the family
fontconfig draws with; claims and their arrows → layers no wider than the page."""

from __future__ import annotations

import functools
import platform
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence

import attrs

from .errors import ArgmapError, Location

__all__ = ["MIN_TEXT_PT", "FONT_CANDIDATES", "Width", "layers", "parse_width", "resolve_font"]

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
           capacity: float, gap: float, *, top: Sequence[str] = ()) -> dict[str, int]:
    """Each node's layer (0 at the bottom): a node sits above every parent, a layer holds at most
    ``capacity`` points of nodes (``gap`` between two), so a wide rank is folded into several;
    the ``top`` nodes (hypotheses) go above all others that do not depend on them."""
    placed: dict[str, int] = {}
    used: dict[int, float] = {}
    order = _topological(nodes, parents, top)
    top_set = set(top)
    # what depends on a top node is placed after the top nodes, drawn below them (arrows down)
    downstream = _descendants(top_set, nodes, parents) - top_set
    lifted = 0
    for node in order:
        if node in top_set and not lifted:
            # the top block starts above everything placed so far
            lifted = max(placed.values(), default=-1) + 1
        floor = max((placed[p] + 1 for p in parents.get(node, ()) if p in placed and not
                     (node in downstream and p in top_set)), default=0)
        if node in top_set:
            floor = max(floor, lifted)
        layer = floor
        while used.get(layer, 0.0) and used[layer] + gap + widths[node] > capacity:
            layer += 1
        used[layer] = used.get(layer, 0.0) + (gap if used.get(layer) else 0.0) + widths[node]
        placed[node] = layer
    return placed


def _topological(nodes: Sequence[str], parents: Mapping[str, Sequence[str]], top: Sequence[str]) -> list[str]:
    """Parents first; of the nodes ready, non-top before top, then in the given order; nodes that
    depend on a top node come after all top nodes."""
    top_set = set(top)
    later = _descendants(top_set, nodes, parents) - top_set
    index = {n: k for k, n in enumerate(nodes)}
    done: list[str] = []
    seen: set[str] = set()
    pending = list(nodes)
    while pending:
        ready = [n for n in pending if all(p in seen or p not in index for p in parents.get(n, ()))]
        if not ready:  # a cycle (the model forbids them): take the rest in order
            ready = pending[:]
        group = ([n for n in ready if n not in top_set and n not in later]
                 or [n for n in ready if n in top_set] or ready)
        node = min(group, key=index.__getitem__)
        done.append(node)
        seen.add(node)
        pending.remove(node)
    return done


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
