"""Figures fitted to a journal page, measured: the PDF page is as wide as --width asks and no
text in the figure is under 7 pt at that width, for the shipped case and a 36-claim model."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from bigmodel import write_big_model
from conftest import CASE_2025, SHIPPED_MODEL

import argmap
from argmap.output import figure
from argmap.output import diagram as render

SVG = "{http://www.w3.org/2000/svg}"
WIDTHS = {"3.5in": 252.0, "7in": 504.0}


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, argmap.Model]:
    big = write_big_model(tmp_path_factory.mktemp("big"))
    return {"shipped": argmap.load(SHIPPED_MODEL), "36 claims": argmap.load(big)}


def pdf_page_width(data: bytes) -> float:
    """The width in points of the (first) page's MediaBox."""
    box = re.search(rb"/MediaBox\s*\[\s*([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s*\]", data)
    assert box, "no MediaBox in the PDF"
    return float(box.group(3)) - float(box.group(1))


def svg_text_sizes(data: bytes) -> list[float]:
    """Every text run's font size in points as printed: its size in the SVG times the scale from
    the SVG's user units (viewBox) to its declared width in points (and any scale() transforms)."""
    root = ET.fromstring(data)
    printed = float(root.get("width", "0pt").removesuffix("pt"))
    view = float(root.get("viewBox").split()[2])
    sizes: list[float] = []

    def walk(element: ET.Element, factor: float) -> None:
        transform = element.get("transform", "")
        match = re.search(r"scale\(([0-9.]+)", transform)
        factor *= float(match.group(1)) if match else 1.0
        if element.tag == f"{SVG}text" and "".join(element.itertext()).strip():
            size = element.get("font-size") or re.search(r"font-size:\s*([0-9.]+)", element.get("style", "")).group(1)
            sizes.append(float(size) * factor)
        for child in element:
            walk(child, factor)

    walk(root, printed / view)
    return sizes


@pytest.mark.parametrize("style", list(render.STYLES))
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("case", "evidence"), [("shipped", "summary"), ("36 claims", "summary"), ("shipped", "all")])
def test_map_fits_the_width_with_no_text_under_7pt(cases, case, evidence, width, style):
    warnings: list[str] = []
    model = cases[case]
    pdf = render.diagram(model, format="pdf", style=style, evidence=evidence, width=width, warn=warnings.append)
    assert abs(pdf_page_width(pdf) - WIDTHS[width]) <= 1.0
    svg = render.diagram(model, format="svg", style=style, evidence=evidence, width=width)
    sizes = svg_text_sizes(svg)
    assert sizes and min(sizes) >= figure.MIN_TEXT_PT - 0.01, f"smallest text {min(sizes):.2f} pt"
    assert not [w for w in warnings if "shrunk" in w]
    text = " ".join(render.svg_text_of(svg))
    for claim in model.claims.values():  # every claim is still in the figure
        assert render._lines(claim.label or claim.text, 15)[0].split()[0] in text


def test_a_map_too_tall_for_a_page_says_so(cases):
    warnings: list[str] = []
    render.diagram(cases["36 claims"], format="svg", width="3.5in", warn=warnings.append)
    assert any("more than a page" in w and "label:" in w and "--evidence none" in w for w in warnings)


def test_a_map_that_cannot_fit_is_shrunk_and_says_how_small():
    # argmap's own maps fit even 1.5 in (long words are broken, rows folded, arrows kept on the
    # page), so the map here is a box 3 in wide with 7 pt text
    import graphviz

    from argmap.output.fit import fit_to_width

    graph = graphviz.Digraph(graph_attr={"margin": "0"})  # as argmap's maps: no margin round the page
    graph.node("wide", label="wide", shape="box", fixedsize="true", width="3", fontsize="7")
    warnings: list[str] = []
    fitted = fit_to_width(graph, figure.parse_width("1.5in"), warn=warnings.append)
    assert abs(pdf_page_width(render.render_graph(fitted, "pdf")) - 108) <= 1.0
    said = [w for w in warnings if "shrunk to fit" in w and "label:" in w]
    assert said and "3.0 in wide" in said[0] and "3.5 pt" in said[0]  # 7 pt × 1.5 / 3


@pytest.mark.parametrize(("text", "points"), [("3.5in", 252), ("7in", 504), ("85mm", 85 * 72 / 25.4),
                                              ("12cm", 12 * 72 / 2.54), ("300pt", 300)])
def test_widths(text, points):
    assert figure.parse_width(text).points == pytest.approx(points)


@pytest.mark.parametrize("text", ["7", "wide", "7 inches", "0.5in", "100in"])
def test_bad_widths_say_what_to_write(text):
    with pytest.raises(argmap.ArgmapError, match="--width"):
        figure.parse_width(text)


def test_layers_fold_a_wide_rank_and_keep_parents_below():
    nodes = [f"n{k}" for k in range(10)] + ["top"]
    parents = {"top": nodes[:10]}
    placed = figure.layers(nodes, parents, dict.fromkeys(nodes, 50.0), capacity=170, gap=10, top=["top"])
    per_layer: dict[int, int] = {}
    for n in nodes[:10]:
        per_layer[placed[n]] = per_layer.get(placed[n], 0) + 1
    assert max(per_layer.values()) == 3 and placed["top"] > max(placed[n] for n in nodes[:10])


def _plots(model: argmap.Model, width: str, fmt: str) -> dict[str, bytes]:
    from argmap.output import plots
    from argmap.analysis import sensitivity
    from argmap.workflow import journal as workflow
    from argmap.engine.infer import trajectory

    series = _hypothesis_series(model)
    steps = trajectory(model, None, claims=sorted({claim for claim, _, _ in series}))
    wanted, results = sensitivity.sensitivity(model, "cooperation", None)
    header = ["timestamp", "commit", "as_of", "model", "evidence", "items", "cooperation=true"]
    rows = [workflow.LogRow({"timestamp": f"2026-12-0{1 + k // 10}T10:{k:02d}:00Z", "commit": f"{k:07x}", "as_of": "",
                             "model": "m", "evidence": "e", "items": "1", "cooperation=true": str(0.5 + k / 100)})
            for k in range(40)]
    return {
        "trajectory": plots.trajectory(steps, series, fmt=fmt, width=width),
        "tornado": plots.tornado(results, wanted, results[0].at_value, fmt=fmt, width=width, top=12),
        "history": workflow.history_plot(header, rows, fmt=fmt, width=width),
    }


def _hypothesis_series(model: argmap.Model) -> list[tuple[str, str, str]]:
    """Every state of every hypothesis and rival, as the report follows them (8 in the shipped case)."""
    return [(c.id, state, f"{c.id}: {state}") for c in model.claims.values() if c.role in ("hypothesis", "rival")
            for state in (c.states if len(c.states) > 2 else ("true",))]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_plots_fit_the_width_with_no_text_under_7pt(cases, width):
    pdfs = _plots(cases["shipped"], width, "pdf")
    svgs = _plots(cases["shipped"], width, "svg")
    for name, pdf in pdfs.items():
        assert abs(pdf_page_width(pdf) - WIDTHS[width]) <= 0.5, name
        sizes = svg_text_sizes(svgs[name])
        assert min(sizes) >= figure.MIN_TEXT_PT - 0.01, f"{name}: smallest text {min(sizes):.2f} pt"


def _rotated_labels(svg: bytes) -> list[tuple[float, str]]:
    """(x, text) of each rotated tick label, left to right (SVG units are points)."""
    found = re.findall(rb'<text[^>]*transform="translate\(([-0-9.]+) [-0-9.]+\) rotate\(-90\)"[^>]*>([^<]*)</text>', svg)
    return sorted((float(x), text.decode()) for x, text in found)


def _line_height(points: float) -> float:
    """The height a line of text at ``points`` takes across a rotated label: ascent + descent of
    the resolved serif, as matplotlib measures it."""
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    face = FT2Font(findfont(FontProperties(family=figure.resolve_font("serif"))))
    return (face.ascender - face.descender) / face.units_per_EM * points


@pytest.mark.parametrize("width", list(WIDTHS))
def test_rotated_step_labels_never_touch_and_the_caption_rule_is_the_figures(cases, width):
    """Measured in the SVG: adjacent rotated tick labels are at least a line of 7 pt text apart
    (the trajectory and the history), and the trajectory labels exactly the steps
    trajectory_labels_every (what the report's caption says) names."""
    from argmap.output import plots

    svgs = _plots(cases["shipped"], width, "svg")
    height = _line_height(figure.MIN_TEXT_PT)
    for name in ("trajectory", "history"):
        xs = [x for x, _ in _rotated_labels(svgs[name])]
        assert len(xs) >= 10, name
        assert min(b - a for a, b in zip(xs, xs[1:])) >= height, (name, min(b - a for a, b in zip(xs, xs[1:])), height)
    from argmap.engine.infer import trajectory

    steps = len(trajectory(cases["shipped"], None, claims=["cooperation"]))
    every = plots.trajectory_labels_every(steps, width)
    assert len(_rotated_labels(svgs["trajectory"])) == len(range(0, steps, every))
    assert every == (1 if width == "7in" else 3)  # 48 steps: all at 7 in, every third in one column


def test_trajectory_series_stay_apart_in_greyscale_and_are_numbered_at_their_ends(cases):
    """Up to MAX_SERIES series differ in dash pattern and marker (never by grey alone); each line
    ends in its number, which the legend repeats before the series' name; numbers of lines that
    end close together are moved apart."""
    from argmap.output import plots

    looks = {(repr(plots._LINES[k % len(plots._LINES)]), plots._MARKERS[k % len(plots._MARKERS)])
             for k in range(plots.MAX_SERIES)}
    assert len(looks) == plots.MAX_SERIES
    model = cases["shipped"]
    from argmap.engine.infer import trajectory

    series = _hypothesis_series(model)
    assert len(series) == 8
    steps = trajectory(model, None, claims=sorted({c for c, _, _ in series}))
    svg = plots.trajectory(steps, series, width="7in", title=None)
    texts = re.findall(rb"<text[^>]*>([^<]*)</text>", svg)
    numbers = [t.decode() for t in texts if t.strip().isdigit() and int(t) <= len(series)]
    assert sorted(numbers, key=int) == [str(k + 1) for k in range(len(series))]
    for k, (_, _, label) in enumerate(series):
        assert f"{k + 1}  {label}".encode() in svg
    assert b"Belief trajectory" not in svg  # title=None: the report's section heading is the title
    assert plots.spread([(0.50, 0), (0.50, 1), (0.51, 2), (0.9, 3)], 0.05, 0.0, 1.0) == pytest.approx(
        [0.50, 0.55, 0.60, 0.9])
    assert plots.spread([(0.98, 0), (0.99, 1)], 0.05, 0.0, 1.0) == pytest.approx([0.95, 1.0])


@pytest.mark.parametrize("font", ["DejaVu Sans", "Liberation Sans", "No Such Font 18"])
def test_plots_are_set_in_the_font_asked_for(cases, tmp_path, font):
    """--font for the tornado and the history plot, like diagram --font: the family fontconfig
    resolves is the one the SVG names and the PDF embeds (matplotlib found and used it)."""
    import shutil
    import subprocess

    from click.testing import CliRunner

    from argmap.cli import main

    if not shutil.which("fc-match"):
        pytest.skip("no fontconfig")
    resolved = subprocess.run(["fc-match", "-f", "%{family}", font], capture_output=True, check=True,
                              text=True).stdout.split(",")[0]
    log = tmp_path / "beliefs.csv"
    log.write_text("timestamp,commit,as_of,model,evidence,items,cooperation=true\n"
                   + "".join(f"2026-12-0{1 + k},abc{k},,m,e,1,{0.5 + k / 20}\n" for k in range(5)), encoding="utf-8")
    runner = CliRunner()
    for args, path in ((["sensitivity", SHIPPED_MODEL, "-t", "cooperation", "--format", "{fmt}", "-o", "{out}",
                         "--draws", "0", "--width", "3.5in", "--font", font], "tornado"),
                       (["history", SHIPPED_MODEL, "--log", str(log), "--plot", "{out}", "--font", font], "history")):
        for fmt in ("svg", "pdf"):
            out = str(tmp_path / f"{path}.{fmt}")
            done = runner.invoke(main, [a.format(fmt=fmt, out=out) for a in args])
            assert done.exit_code == 0, done.output
            data = open(out, "rb").read()
            if fmt == "svg":
                families = set(re.findall(rb"font-family: '([^']+)'", data))
                assert families == {resolved.encode()}, (path, families)  # first named, DejaVu Serif after it
            else:
                embedded = {name.split(b"-")[0] for name in re.findall(rb"/BaseFont /[A-Z]{6}\+([^\s/]+)", data)}
                # DejaVu Serif only for glyphs the family lacks (⊣ in an input's name)
                assert resolved.replace(" ", "").encode() in embedded, (path, embedded)
                assert embedded <= {resolved.replace(" ", "").encode(), b"DejaVuSerif"}, (path, embedded)


def test_history_ticks_do_not_run_together():
    from argmap.workflow import journal as workflow

    rows = [workflow.LogRow({"timestamp": "2026-12-01T10:00:00Z", "commit": f"{k:07x}"}) for k in range(60)]
    ticks = workflow._history_ticks(rows, "timestamp", 3.5)
    shown = [t for t in ticks if t]
    assert sum("2026-12-01" in t for t in shown) == 1  # a repeated date is written once
    assert len(shown) * 1.3 * figure.MIN_TEXT_PT <= 3.5 * 72 * 0.85  # each rotated label has its room


def test_tornado_of_a_near_certain_target_is_not_magnified_and_keeps_labels_apart(cases):
    from argmap.output import plots

    left, right = plots.axis_window(0.9963, 0.9971)  # cooperation's swings in the shipped case
    assert right == 1.0 and right - left >= 0.2 and left <= 0.9963
    assert plots.axis_window(0.2, 0.7) == pytest.approx((0.175, 0.8))
    a = plots.wrap_label("P(edd_caatsa_sanctions | us_china_rivalry=true, cooperation=false)", 30)
    b = plots.wrap_label("P(edd_caatsa_sanctions | us_china_rivalry=true, cooperation=true)", 30)
    assert a != b and a.endswith("false)") and b.endswith("true)")


def _svg_families(svg: bytes) -> set[str]:
    return {f.split(",")[0] for f in re.findall(rb'font-family="([^"]+)"', svg) for f in [f.decode()]}


@pytest.mark.parametrize(("style", "font", "generic"), [("paper", None, "serif"), ("screen", None, "sans"),
                                                          ("paper", "DejaVu Sans", None),
                                                          ("paper", "No Such Font 18", None)])
def test_svg_declares_the_font_fontconfig_resolved(cases, style, font, generic):
    """The family first in the SVG is the one Graphviz measured: what fc-match gives for it."""
    import shutil
    import subprocess

    if not shutil.which("fc-match"):
        pytest.skip("no fontconfig")
    requested = font or figure.resolve_font(generic)
    resolved = subprocess.run(["fc-match", "-f", "%{family}", requested], capture_output=True, check=True,
                              text=True).stdout.split(",")[0]
    svg = render.diagram(cases["shipped"], format="svg", style=style, font=font, width="7in")
    assert _svg_families(svg) == {resolved}
    if font is None:
        assert resolved == requested  # a default is an installed family, not a name fontconfig replaces
        assert b"serif" in svg  # …followed by the generic family for browsers without it


# Graphviz draws a normal or empty head 10 pt × arrowsize long, a tee 5 pt × arrowsize
HEAD_LENGTH = {"normal": 10.0, "empty": 10.0, "tee": 5.0}


@pytest.mark.parametrize("style", ["paper", "screen"])
def test_edges_are_legible_at_the_width(cases, style):
    source = render.diagram(cases["shipped"], format="dot", style=style, width="3.5in").decode()
    edges = [line for line in source.splitlines() if " -> " in line and "invis" not in line]
    claims = set(cases["shipped"].claims)
    claim_edges = [e for e in edges if e.split()[0] in claims]
    assert claim_edges
    for line in edges:
        head = re.search(r"arrow(?:head|tail)=(\w+)", line).group(1)
        size = float(re.search(r"arrowsize=([0-9.]+)", line).group(1))
        assert HEAD_LENGTH[head] * size >= 2 * 72 / 25.4, line  # at least 2 mm: the map is not scaled
        assert ("style=dashed" in line) == (head == "tee"), line  # dashes mean attack, nothing else
    for line in claim_edges:  # each claim arrow is labelled, on a white ground
        assert re.search(r"\bx?label=<<TABLE[^>]*BGCOLOR=\"white\"", line), line
    table = [e for e in claim_edges if "arrowhead=empty" in e or "arrowtail=empty" in e]
    assert table and all("<I>table</I>" in e for e in table)  # a table parent has no one strength
    assert "<I>table</I>" in next(e for e in claim_edges if e.split()[:3] == ["russia_motive", "->", "defence_alliance"])
    nodes = [line for line in source.splitlines() if "shape=" in line and "legend__" not in line]
    assert not any("dashed" in line for line in nodes)  # assumptions are told apart by their ground


@pytest.mark.parametrize("style", ["paper", "screen"])
def test_belief_bar_with_a_prior_tick_in_both_styles(cases, style):
    source = render.diagram(cases["shipped"], format="dot", style=style, width="7in").decode()
    line = next(line for line in source.splitlines() if line.lstrip().startswith("border_war_memory "))
    cells = re.findall(r'<TD WIDTH="(\d+)" HEIGHT="6" FIXEDSIZE="TRUE" BGCOLOR="([^"]+)"', line)
    look = render.STYLES[style]
    assert [c for _, c in cells].count("black") == 1  # the prior's tick
    filled = sum(int(w) for w, c in cells if c == look.bar)
    total = sum(int(w) for w, c in cells if c != "black")
    assert filled / total == pytest.approx(cases["shipped"].update()["border_war_memory"].posterior["true"], abs=0.02)
    assert all(int(w) >= 1 for w, _ in cells)


@pytest.mark.parametrize("style", ["paper", "screen"])
@pytest.mark.parametrize("width", [None, "7in", "3.5in"])
def test_belief_bars_are_unbroken_as_drawn(cases, style, width):
    """In the SVG Graphviz draws, each bar's cells touch: a claim wider than its bar must not
    spread its spare width between them as white gaps (as it did in every fitted map)."""
    data = render.diagram(cases["shipped"], format="svg", style=style, width=width)
    svg = "{http://www.w3.org/2000/svg}"
    rows: dict[tuple[int, float], list[tuple[float, float]]] = {}
    nodes = [g for g in ET.fromstring(data).iter(f"{svg}g") if g.get("class") == "node"]
    for number, node in enumerate(nodes):
        for polygon in node.iter(f"{svg}polygon"):
            if polygon.get("stroke") != "transparent":  # a table cell's ground
                continue
            points = [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            if abs(max(ys) - min(ys) - 6) < 0.1:  # a bar cell: 6 points high
                rows.setdefault((number, round(min(ys), 1)), []).append((min(xs), max(xs)))
    bars = [sorted(cells) for cells in rows.values() if len(cells) > 1]
    assert len(bars) >= 10
    for cells in bars:
        for (_, right), (left, _) in zip(cells, cells[1:]):
            assert left - right == pytest.approx(0, abs=0.05), cells


@pytest.mark.parametrize("width", [None, "7in"])
def test_hypotheses_sit_above_what_follows_from_them(cases, width):
    """An outcome that depends on a hypothesis is drawn below it, the arrow pointing down."""
    import subprocess

    model = cases["36 claims"]
    source = render.diagram(model, format="dot", width=width).decode()
    if width:
        y = {m.group(1): float(m.group(2)) for m in re.finditer(r'^\s*(\w+) \[pos="[-0-9.]+,([-0-9.]+)!"\]',
                                                             source, re.MULTILINE)}
    else:
        plain = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True, check=True).stdout
        y = {p[1]: float(p[3]) for p in (line.split() for line in plain.decode().splitlines()) if p[0] == "node"}
    outcomes = [c for c in model.claims.values() if c.role == "outcome"]
    assert outcomes
    for outcome in outcomes:
        for parent in outcome.parents:
            assert y[parent] > y[outcome.id], (parent, outcome.id)
    highest = max(y[c] for c in model.claims)
    assert {model.claims[c].role for c in model.claims if y[c] == highest} <= {"hypothesis", "rival"}  # the top row
    for claim in model.claims.values():  # a reason sits below what it supports (save a hypothesis' outcomes)
        for parent in claim.parents:
            if claim.role != "outcome":
                assert y[parent] < y[claim.id], (parent, claim.id)


@pytest.mark.parametrize("width", ["3.5in", "7in"])
@pytest.mark.parametrize(("model", "target"), [(SHIPPED_MODEL, "cooperation"), (CASE_2025, "driver=threat_balancing")])
def test_tornado_notes_stay_inside_the_plot(model, target, width):
    """Each bar's ends are written beside it inside the axes: not over the inputs' names (the
    2025 case's widest bar once had its note there) and not past the page."""
    from argmap.analysis import sensitivity
    from argmap.output import plots

    wanted, results = sensitivity.sensitivity(argmap.load(model), target, None)
    fig, _ = plots.tornado_figure(results, wanted, results[0].at_value, width=width)
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    box = ax.get_window_extent(renderer)
    assert len(ax.texts) == min(15, len(results))
    for text in ax.texts:
        extent = text.get_window_extent(renderer)
        assert box.x0 - 0.5 <= extent.x0 and extent.x1 <= box.x1 + 0.5, text.get_text()
