"""render: analysis results → figures for papers (matplotlib): the sensitivity tornado and the
belief trajectory.

Figures are greyscale-safe, serif (the family fontconfig resolves, see figure.resolve_font),
deterministic (same input → same bytes) so that they can be committed beside a paper, and with
``width`` exactly that wide with no text under 7 pt.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import Any

from argmap.output.figure import MIN_TEXT_PT, Width, parse_width, resolve_font
from argmap.engine.infer import Step
from argmap.analysis.sensitivity import Sensitivity, Target

__all__ = ["labels_every", "tornado", "trajectory", "trajectory_labels_every"]

FORMATS = ("svg", "png", "pdf")
DEFAULT_WIDTH = 6.3  # inches: the text width of a one-column paper, when no width is asked for
TICK_PT = MIN_TEXT_PT  # tick labels, legends and notes
LABEL_PT = 7.5  # axis labels
TITLE_PT = 8.5


def pyplot(font: str | None = None):
    """matplotlib's pyplot, set up for argmap's figures in ``font`` (a family name, as for
    ``diagram --font``; default: the serif fontconfig resolves, see figure.resolve_font)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        # the resolved family first; DejaVu supplies glyphs it lacks (⊣, ¬ …) by fallback
        "font.family": [resolve_font("serif", font), "DejaVu Serif"],
        "font.size": LABEL_PT,
        "xtick.labelsize": TICK_PT,
        "ytick.labelsize": TICK_PT,
        "svg.hashsalt": "argmap",  # stable element ids in SVG
        "svg.fonttype": "none",  # text stays text (searchable, selectable)
        "pdf.fonttype": 42,
        "text.parse_math": False,  # a '$' in a user's label is text, not mathtext
    })
    return plt


def save(fig: Any, fmt: str, fixed: bool) -> bytes:
    """The figure's bytes, without run-dependent metadata; ``fixed``: the page keeps the figure's
    size (so a PDF is exactly as wide as asked), else it is trimmed to the ink."""
    import warnings

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    metadata = ({"CreationDate": None, "ModDate": None} if fmt == "pdf" else {"Date": None} if fmt == "svg"
                else {"Software": None})
    trim = {} if fixed else {"bbox_inches": "tight", "pad_inches": 0.05}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")  # non-Latin labels
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=300 if fixed else 200, **trim)
    plt.close(fig)
    return buffer.getvalue()


def figure_width(width: str | Width | None) -> tuple[float, bool]:
    """(inches, fixed) for a ``width`` option."""
    fit = parse_width(width) if isinstance(width, str) else width
    return (fit.inches, True) if fit is not None else (DEFAULT_WIDTH, False)


def wrap_label(label: str, chars: int, lines: int = 2) -> str:
    """A label over at most ``lines`` lines of ``chars``; a longer one keeps its start and its end
    (where labels of one family differ, e.g. the condition of a likelihood) around an ellipsis."""
    wrapped = textwrap.wrap(label, chars, break_long_words=True, break_on_hyphens=False) or [""]
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    tail = label[-(chars - 2):]
    if " " in tail[: chars // 2]:  # start the tail at a word
        tail = tail[tail.index(" ") + 1:]
    return "\n".join(wrapped[: lines - 1] + ["… " + tail])


def tornado(results: Sequence[Sensitivity], wanted: Target, base: float, *, fmt: str = "svg",
            top: int = 15, title: str = "", width: str | Width | None = None, font: str | None = None) -> bytes:
    """Bars from the target's posterior at each input's low end to its high end, largest swing
    on top; a dashed line at the point estimate and a dotted one at 0.5 for a P ≥ 0.5 conclusion.
    The axis spans at least 0.2, so a near-certain target is not magnified into noise; each bar
    is labelled with its two ends; ``font``: the family to set it in."""
    fig, fixed = tornado_figure(results, wanted, base, top=top, title=title, width=width, font=font)
    return save(fig, fmt, fixed)


def tornado_figure(results: Sequence[Sensitivity], wanted: Target, base: float, *, top: int = 15, title: str = "",
                   width: str | Width | None = None, font: str | None = None) -> tuple[Any, bool]:
    """The tornado as a laid-out matplotlib figure, and whether its width is fixed."""
    plt = pyplot(font)
    inches, fixed = figure_width(width)
    shown = list(results[:top])[::-1]
    # inputs' names wrap over two lines at a width that leaves the bars about half the figure
    chars = max(24, int(inches * 72 * 0.45 / (0.5 * TICK_PT)))
    labels = [wrap_label(r.input.label, chars) for r in shown]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = 1.2 + 0.13 * lines + 0.06 * len(shown)
    fig, ax = plt.subplots(figsize=(inches, height), layout="constrained")
    for row, r in enumerate(shown):
        low, high = sorted((r.at_low, r.at_high))
        # the half of the bar reached at the input's high end is filled, the other hatched
        ax.barh(row, r.at_high - base, left=base, height=0.6, color="0.35", edgecolor="black", linewidth=0.4)
        ax.barh(row, r.at_low - base, left=base, height=0.6, color="white", edgecolor="black",
                linewidth=0.4, hatch="////")
    lows = [min(r.at_low, r.at_high, base) for r in shown] or [base]
    highs = [max(r.at_low, r.at_high, base) for r in shown] or [base]
    left, right = axis_window(min(lows), max(highs))
    ax.set_xlim(left, right)
    notes = []
    for row, r in enumerate(shown):
        low, high = sorted((r.at_low, r.at_high))
        start = 4 if high > 0.99 or low < 0.01 else 3
        digits = next((d for d in range(start, 6) if round(low, d) != round(high, d)), 5)
        note = f"{low:.{digits}f}–{high:.{digits}f}" + ("  flips" if r.flips_within_range else "")
        gap = 0.012 * (right - left)
        sides = (max(high, base) + gap, "left"), (min(low, base) - gap, "right")  # right of the bar, or left
        text = ax.text(*sides[0][:1], row, note, va="center", ha="left", fontsize=TICK_PT,
                       style="italic" if r.flips_within_range else "normal")
        notes.append((text, sides))
    ax.axvline(base, color="black", linestyle="--", linewidth=0.6)
    if not wanted.by_mode:
        ax.axvline(0.5, color="black", linestyle=":", linewidth=0.6)
    ax.set_yticks(range(len(shown)), labels, fontsize=TICK_PT)
    state = wanted.state if wanted.states != ("true", "false") else "true"
    what = f"P({wanted.claim}" + (f" = {state}" if state != "true" else "") + " | evidence)"
    ax.set_xlabel(what)
    ax.set_title(title or f"Sensitivity of {wanted.claim}", fontsize=TITLE_PT, loc="left")
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(facecolor="0.35", edgecolor="black", label="input at the high end of its range"),
                        Patch(facecolor="white", edgecolor="black", hatch="////", label="input at the low end")],
               fontsize=TICK_PT, loc="outside lower center", ncol=2 if inches >= 4.5 else 1, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _place_bar_notes(fig, ax, notes)  # last: measured in the final layout
    return fig, fixed


def _place_bar_notes(fig: Any, ax: Any, notes: list[tuple[Any, tuple[tuple[float, str], ...]]]) -> None:
    """Each bar's note right of the bar where it fits inside the axes, else left of it where that
    fits; where neither does, the axis is widened on the side that needs less (within [0, 1]) —
    measured in the laid-out figure, so a note never runs into the inputs' names or off the page."""
    for _ in range(4):  # widening the axis shortens the bars: a few rounds settle it
        fig.canvas.draw()  # the constrained layout: the axes' final place
        renderer = fig.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        left, right = ax.get_xlim()
        per_pixel = (right - left) / box.width
        need_left = need_right = 0.0
        for text, sides in notes:
            spills = []
            for at, align in sides:
                text.set_x(at)
                text.set_horizontalalignment(align)
                extent = text.get_window_extent(renderer)
                spills.append((max(0.0, box.x0 - extent.x0), max(0.0, extent.x1 - box.x1)))
                if not any(spills[-1]):
                    break
            else:
                k = min(range(len(sides)), key=lambda k: sum(spills[k]))
                text.set_x(sides[k][0])
                text.set_horizontalalignment(sides[k][1])
                need_left, need_right = max(need_left, spills[k][0]), max(need_right, spills[k][1])
        if not need_left and not need_right:
            return
        wider = (max(0.0, left - 1.2 * need_left * per_pixel), min(1.0, right + 1.2 * need_right * per_pixel))
        if wider == (left, right):
            return  # at 0 or 1 already: nothing more to give
        ax.set_xlim(*wider)


def axis_window(low: float, high: float) -> tuple[float, float]:
    """The tornado's x range: the bars with room for their labels, at least 0.2 wide (a
    near-certain target's tiny swings are shown as tiny, not magnified), inside [0, 1]."""
    span = max(high - low, 0.2)
    left = max(0.0, min((high + low) / 2 - 0.55 * span, 1.0 - 1.1 * span)) if span < 1 else 0.0
    return left, min(1.0, left + 1.25 * span)


def _short(label: str, width: int = 64) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# Series are told apart by line style, marker and fill, never by colour alone (greyscale-safe):
# six dash patterns against eight markers give 24 series before a pair repeats, and each line
# ends in its number, which the legend repeats.
_LINES = ("-", (0, (4, 1.5)), (0, (1, 1.2)), (0, (5, 1.5, 1, 1.5)), (0, (8, 2)), (0, (3, 1, 1, 1, 1, 1)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_GREYS = ("0.0", "0.5")
MAX_SERIES = 12
_LEFT_PT = 44.0  # the y axis' label, ticks and pads, left of the plotting area
_KEY_STEPS = 1.4  # room right of the last step for the series' numbers, in steps
LABEL_PITCH = 1.3  # a rotated tick label needs about 1.3 × its size across (glyph height and a gap)


def labels_every(count: int, points: float) -> int:
    """Label every k-th of ``count`` evenly spaced ticks along ``points`` so that rotated 7 pt
    labels never touch (the trajectory's and the history's x axes)."""
    return max(1, math.ceil(count * LABEL_PITCH * TICK_PT / max(points, 1.0)))


def trajectory_labels_every(count: int, width: str | Width | None) -> int:
    """Which steps :func:`trajectory` labels at ``width``: every k-th (1: all), so that a caption
    can say what the figure shows."""
    inches, fixed = figure_width(width)
    return _steps_every(count, inches if fixed else _natural_width(count))


def _natural_width(count: int) -> float:
    return min(max(DEFAULT_WIDTH, 1.6 + 0.19 * count), 12.0)  # wider for many items


def _steps_every(count: int, inches: float) -> int:
    # the steps take the plotting area but the room kept for the series' numbers at the right
    return labels_every(count, (inches * 72 - _LEFT_PT) * count / (count + _KEY_STEPS))


def trajectory(steps: Sequence[Step], series: Sequence[tuple[str, str, str]], *, fmt: str = "svg",
               title: str | None = "", width: str | Width | None = None, font: str | None = None) -> bytes:
    """Each series' posterior (``(claim, state, label)``: P(claim = state)) before any evidence and
    after each item, items in the order of ``steps`` (date order); each step is labelled on the x
    axis by the item that caused it and its date (every k-th when they would touch, as
    :func:`trajectory_labels_every` says). ``title`` None: no title (a report's section has one)."""
    plt = pyplot(font)
    count = len(steps)
    inches, fixed = figure_width(width)
    if not fixed:
        inches = _natural_width(count)
    x = list(range(count))
    if len(series) > MAX_SERIES:  # a legend of hundreds of states is unreadable and takes minutes to lay out
        peak = {k: max((step.posteriors[c][s] for step in steps), default=0.0) for k, (c, s, _) in enumerate(series)}
        kept = sorted(sorted(peak, key=lambda k: -peak[k])[:MAX_SERIES])
        if title is not None:
            title = (title or "Belief trajectory") + f" ({MAX_SERIES} of {len(series)} series, the most probable)"
        series = [series[k] for k in kept]
    labels = [_step_label(step) for step in steps]
    columns = min(len(series), 3 if inches >= 5 else 1) or 1
    # the figure as tall as its parts: the plotting area, the rotated step labels, the legend's rows
    plot_in = 2.6 if inches >= 5 else 2.1
    ticks_in = max((len(t) for t in labels), default=0) * 0.47 * TICK_PT / 72
    legend_in = math.ceil(len(series) / columns) * 1.35 * TICK_PT / 72
    height = plot_in + ticks_in + legend_in + (0.3 if title is None else 0.5)
    fig, ax = plt.subplots(figsize=(inches, height), layout="constrained")
    # a marker every few steps, each series' offset by one, so that markers of lines lying on top
    # of each other stay apart and a dash pattern has room to show between them
    spacing = max(1, min(len(series), math.ceil(count / 10)))
    ends = []
    for k, (claim, state, label) in enumerate(series):
        y = [step.posteriors[claim][state] for step in steps]
        grey = _GREYS[(k // len(_LINES)) % len(_GREYS)]
        ax.plot(x, y, linestyle=_LINES[k % len(_LINES)], marker=_MARKERS[k % len(_MARKERS)],
                markevery=(k % spacing, spacing) if count > spacing else None, color=grey, markersize=3.6,
                linewidth=1.1 if grey == "0.0" else 1.4, label=f"{k + 1}  {_short(label, 48)}",
                markerfacecolor="white" if k % 2 else grey, markeredgewidth=0.8)
        if y:
            ends.append((y[-1], k))
    ax.axhline(0.5, color="black", linestyle=":", linewidth=0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(-0.5, max(count - 0.5, 0.5) + (_KEY_STEPS - 0.5 if ends else 0))
    _number_line_ends(ax, ends, count, plot_in * 72)
    ax.set_ylabel("posterior probability")
    every = _steps_every(count, inches)
    ax.set_xticks(x, [label if k % every == 0 else "" for k, label in enumerate(labels)], rotation=90,
                  fontsize=TICK_PT)
    ax.tick_params(axis="x", length=2, pad=2)
    ax.grid(axis="y", color="0.85", linewidth=0.4)
    ax.set_axisbelow(True)
    if title is not None:
        ax.set_title(title or "Belief trajectory", fontsize=TITLE_PT, loc="left")
    if series:
        fig.legend(fontsize=TICK_PT, loc="outside lower center", ncol=columns, frameon=False, handlelength=3.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return save(fig, fmt, fixed)


def _number_line_ends(ax: Any, ends: list[tuple[float, int]], count: int, height_pt: float) -> None:
    """Each series' number right of its last point; numbers that would overlap are moved apart
    (a thin line leads from the point to a moved number). ``height_pt``: the plotting area's height."""
    if not ends:
        return
    gap = 1.1 * TICK_PT / height_pt * 1.04  # one number's height in data units (the y axis spans 1.04)
    placed = spread(sorted(ends), gap, -0.02 + gap / 2, 1.02 - gap / 2)
    for (y, k), at in zip(sorted(ends), placed):
        ax.annotate(str(k + 1), xy=(count - 1, y), xytext=(count - 1 + 0.55 * _KEY_STEPS, at), fontsize=TICK_PT,
                    va="center", ha="left", annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": "0.4", "linewidth": 0.4, "shrinkA": 1.5, "shrinkB": 1}
                    if abs(at - y) > gap / 3 else None)


def spread(values: Sequence[tuple[float, int]], gap: float, low: float, high: float) -> list[float]:
    """Positions for labels wanted at the sorted ``values`` (first of each pair): each at least
    ``gap`` above the one before, moved no further than that needs, and none above ``high``
    (nor below ``low`` while they fit)."""
    at = [min(max(v, low), high) for v, _ in values]
    for i in range(1, len(at)):
        at[i] = max(at[i], at[i - 1] + gap)
    if at and at[-1] > high:
        at[-1] = high
        for i in range(len(at) - 2, -1, -1):
            at[i] = min(at[i], at[i + 1] - gap)
    return at


def _step_label(step: Step) -> str:
    if step.item is None:
        return "prior (no evidence)"
    when = str(step.item.date) if step.item.date else "undated"
    return f"{when}  {_short(step.item.id, 32)}"
