"""The argument map's layout, measured from dot's own coordinates (tests/mapgeometry.py): how
often arrows cross, whether an arrow's label lies on another label or on a box, how tall a map
fitted to one column is, and whether the screen style's fills survive a greyscale print.

The bounds are what this layout achieves (measured 2026-12-02, Graphviz 2.43) with a margin;
crossings of the 36-claim model and its fitted maps' label overlaps are known to be imperfect
(see docs/diagrams.md), so a bound there guards against a regression, not a goal."""

from __future__ import annotations

import pytest
from bigmodel import write_big_model
from conftest import SHIPPED_MODEL
from mapgeometry import crossings, label_overlaps, laid_out, size_inches

import argmap
from argmap.output import diagram as render

# (case, width) → (crossings, label overlaps) at most; measured (paper style): shipped 4/0 at its
# natural size, 6/0 at 3.5 in, 5/0 at 7 in; 36 claims 206/0, 92/0, 111/0 (before the packings
# were compared and the labels placed beside their arrows: shipped 11/1, 5/0; 36 claims 248/18,
# 132/3; before the layers were packed lower, #18: shipped 4/0, 4/0; 36 claims 689/14, 254/14)
BOUNDS = {
    ("shipped", None): (5, 0), ("shipped", "3.5in"): (7, 0), ("shipped", "7in"): (6, 0),
    ("36 claims", None): (230, 0), ("36 claims", "3.5in"): (105, 1), ("36 claims", "7in"): (125, 1),
}
# the same in screen style (measured: shipped 5/0 at 3.5 in, 4/0 at 7 in; 36 claims 119/0, 158/0;
# before: shipped 11/4, 5/1; 36 claims 349/2, 242/18)
SCREEN_BOUNDS = {("shipped", "3.5in"): (6, 0), ("shipped", "7in"): (5, 0),
                 ("36 claims", "3.5in"): (135, 1), ("36 claims", "7in"): (175, 1)}
PAGE_HEIGHT_IN = 9.0  # the text height of a journal page, about


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, argmap.Model]:
    big = write_big_model(tmp_path_factory.mktemp("big"))
    return {"shipped": argmap.load(SHIPPED_MODEL), "36 claims": argmap.load(big)}


@pytest.fixture(scope="module")
def layouts(cases) -> dict[tuple[str, str | None], dict]:
    return {(case, width): laid_out(render.diagram(cases[case], format="dot", width=width).decode())
            for case, width in BOUNDS}


@pytest.fixture(scope="module")
def screen_layouts(cases) -> dict[tuple[str, str], dict]:
    return {(case, width): laid_out(render.diagram(cases[case], format="dot", style="screen", width=width).decode())
            for case, width in SCREEN_BOUNDS}


@pytest.mark.parametrize(("style", "case", "width"), [("paper", *k) for k in BOUNDS] +
                         [("screen", *k) for k in SCREEN_BOUNDS])
def test_few_crossings_and_no_label_on_a_label_or_a_box(layouts, screen_layouts, style, case, width):
    layout = (layouts if style == "paper" else screen_layouts)[case, width]
    most_crossings, most_overlaps = (BOUNDS if style == "paper" else SCREEN_BOUNDS)[case, width]
    found = crossings(layout)
    overlaps = label_overlaps(layout)
    assert found <= most_crossings, f"{found} crossings"
    assert len(overlaps) <= most_overlaps, overlaps


@pytest.mark.parametrize(("case", "width"), [k for k in BOUNDS if k[1]])
def test_fitted_map_is_as_wide_as_asked(layouts, case, width):
    drawn_width, _ = size_inches(layouts[case, width])
    assert drawn_width <= float(width.removesuffix("in")) + 0.01


@pytest.mark.parametrize("style", ["paper", "screen"])
def test_shipped_map_at_one_column_fits_a_page(layouts, screen_layouts, style):
    # 11.7 in (paper) and 11.45 in (screen) before the layers were packed lower; now 8.74 in both.
    # The page adds its padding (0.05 in above and below) to Graphviz's bounding box.
    layout = (layouts if style == "paper" else screen_layouts)["shipped", "3.5in"]
    assert size_inches(layout)[1] + 0.1 <= PAGE_HEIGHT_IN
    assert size_inches(layout)[0] <= 3.5 + 0.01


@pytest.mark.parametrize("style", ["paper", "screen"])
def test_fitted_map_same_input_same_bytes(cases, style):
    """The packings compared and the labels placed by argmap: the same map every run."""
    from argmap.output import fit

    first = render.diagram(cases["shipped"], format="svg", style=style, width="3.5in")
    fit._dot.cache_clear()  # lay it out again, not from the cache
    assert render.diagram(argmap.load(SHIPPED_MODEL), format="svg", style=style, width="3.5in") == first


def test_the_geometry_counts_what_it_should():
    """Two arrows that cross once, labels that overlap: the measures see them."""
    source = """digraph { layout=neato; node [shape=box width=0.5 height=0.3 fixedsize=true label=""];
      a [pos="0,0!"]; b [pos="3,3!"]; c [pos="0,3!"]; d [pos="3,0!"];
      e [pos="10,0!"]; f [pos="10,3!"]; m [pos="10,1.5!" width=1.5];
      a -> b; c -> d; e -> f [label="covered"] }"""
    layout = laid_out(source)
    assert crossings(layout) == 1
    assert label_overlaps(layout) == [("e->f", "m")]


def _lightness(colour: str) -> float:
    """CIE L* of an sRGB #RRGGBB colour (D65)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else 24389 / 27 * y


def test_screen_fills_stay_apart_in_greyscale():
    """Roles whose shapes are alike (rounded boxes; square boxes) differ by ≥ 15 in L*."""
    fills = render.STYLES["screen"].fills
    for family in (("assumption", "hypothesis", "rival"), ("factor", "mechanism", "outcome")):
        values = sorted(_lightness(fills[role]) for role in family)
        assert min(b - a for a, b in zip(values, values[1:])) >= 15, family
        assert values[0] >= 60  # dark text stays readable on the darkest
