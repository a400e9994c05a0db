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

__all__ = ["tornado", "trajectory"]

FORMATS = ("svg", "png", "pdf")
DEFAULT_WIDTH = 6.3  # inches: the text width of a one-column paper, when no width is asked for
TICK_PT = MIN_TEXT_PT  # tick labels, legends and notes
LABEL_PT = 7.5  # axis labels
TITLE_PT = 8.5


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        # the resolved family first; DejaVu Serif supplies glyphs it lacks (⊣, ¬ …) by fallback
        "font.family": [resolve_font("serif"), "DejaVu Serif"],
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
            top: int = 15, title: str = "", width: str | Width | None = None) -> bytes:
    """Bars from the target's posterior at each input's low end to its high end, largest swing
    on top; a dashed line at the point estimate and a dotted one at 0.5 for a P ≥ 0.5 conclusion.
    The axis spans at least 0.2, so a near-certain target is not magnified into noise; each bar
    is labelled with its two ends."""
    plt = pyplot()
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
    for row, r in enumerate(shown):
        low, high = sorted((r.at_low, r.at_high))
        start = 4 if high > 0.99 or low < 0.01 else 3
        digits = next((d for d in range(start, 6) if round(low, d) != round(high, d)), 5)
        note = f"{low:.{digits}f}–{high:.{digits}f}" + ("  flips" if r.flips_within_range else "")
        near_right = max(high, base) > left + 0.7 * (right - left)
        at = (min(low, base) - 0.012 * (right - left)) if near_right else (max(high, base) + 0.012 * (right - left))
        ax.text(at, row, note, va="center", ha="right" if near_right else "left", fontsize=TICK_PT,
                style="italic" if r.flips_within_range else "normal")
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
    return save(fig, fmt, fixed)


def axis_window(low: float, high: float) -> tuple[float, float]:
    """The tornado's x range: the bars with room for their labels, at least 0.2 wide (a
    near-certain target's tiny swings are shown as tiny, not magnified), inside [0, 1]."""
    span = max(high - low, 0.2)
    left = max(0.0, min((high + low) / 2 - 0.55 * span, 1.0 - 1.1 * span)) if span < 1 else 0.0
    return left, min(1.0, left + 1.25 * span)


def _short(label: str, width: int = 64) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# Series are told apart by line style and marker, never by colour alone (greyscale-safe).
_LINES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_GREYS = ("0.0", "0.45", "0.25")  # three greys against four line styles: no two series alike
MAX_SERIES = 12


def trajectory(steps: Sequence[Step], series: Sequence[tuple[str, str, str]], *, fmt: str = "svg",
               title: str = "", width: str | Width | None = None) -> bytes:
    """Each series' posterior (``(claim, state, label)``: P(claim = state)) before any evidence and
    after each item, items in the order of ``steps`` (date order); every step is labelled on the
    x axis by the item that caused it and its date (every k-th when they would touch)."""
    plt = pyplot()
    count = len(steps)
    inches, fixed = figure_width(width)
    if not fixed:
        inches = min(max(inches, 1.6 + 0.19 * count), 12.0)  # wider for many items
    fig, ax = plt.subplots(figsize=(inches, 4.4 if inches >= 5 else 3.8), layout="constrained")
    x = list(range(count))
    if len(series) > MAX_SERIES:  # a legend of hundreds of states is unreadable and takes minutes to lay out
        peak = {k: max((step.posteriors[c][s] for step in steps), default=0.0) for k, (c, s, _) in enumerate(series)}
        kept = sorted(sorted(peak, key=lambda k: -peak[k])[:MAX_SERIES])
        title = (title or "Belief trajectory") + f" ({MAX_SERIES} of {len(series)} series, the most probable)"
        series = [series[k] for k in kept]
    for k, (claim, state, label) in enumerate(series):
        y = [step.posteriors[claim][state] for step in steps]
        ax.plot(x, y, linestyle=_LINES[k % len(_LINES)], marker=_MARKERS[k % len(_MARKERS)],
                color=_GREYS[k % len(_GREYS)], markersize=3.2, linewidth=1.0, label=_short(label, 48),
                markerfacecolor="white" if k % 2 else _GREYS[k % len(_GREYS)], markeredgewidth=0.7)
    ax.axhline(0.5, color="black", linestyle=":", linewidth=0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(-0.5, max(count - 0.5, 0.5))
    ax.set_ylabel("posterior probability")
    # rotated labels need about 1.3 × their size each; the axes get about 85 % of the width
    every = max(1, math.ceil(count * 1.3 * TICK_PT / (inches * 72 * 0.85)))
    ax.set_xticks(x, [_step_label(step) if k % every == 0 else "" for k, step in enumerate(steps)],
                  rotation=90, fontsize=TICK_PT)
    ax.tick_params(axis="x", length=2, pad=2)
    ax.grid(axis="y", color="0.85", linewidth=0.4)
    ax.set_axisbelow(True)
    ax.set_title(title or "Belief trajectory", fontsize=TITLE_PT, loc="left")
    if series:
        fig.legend(fontsize=TICK_PT, loc="outside lower center", ncol=min(len(series), 3 if inches >= 5 else 1),
                   frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return save(fig, fmt, fixed)


def _step_label(step: Step) -> str:
    if step.item is None:
        return "prior (no evidence)"
    when = str(step.item.date) if step.item.date else "undated"
    return f"{when}  {_short(step.item.id, 32)}"
