"""render: analysis results → figures for papers (matplotlib): the sensitivity tornado and the
belief trajectory.

Figures are greyscale-safe, serif, sized for a one-column figure, and deterministic (same input
→ same bytes) so that they can be committed beside a paper.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from argmap.engine.infer import Step
from argmap.analysis.sensitivity import Sensitivity, Target

__all__ = ["trajectory", "tornado"]

FORMATS = ("svg", "png", "pdf")


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.family": "serif",
        "font.size": 8,
        "svg.hashsalt": "argmap",  # stable element ids in SVG
        "svg.fonttype": "none",  # text stays text (searchable, selectable)
        "pdf.fonttype": 42,
        "text.parse_math": False,  # a '$' in a user's label is text, not mathtext
    })
    return plt


def tornado(results: Sequence[Sensitivity], wanted: Target, base: float, *, fmt: str = "svg",
            top: int = 15, title: str = "") -> bytes:
    """Bars from the target's posterior at each input's low end to its high end, largest swing
    on top; a dashed line at the point estimate and a dotted one at 0.5 for a P ≥ 0.5 conclusion."""
    plt = pyplot()
    shown = list(results[:top])[::-1]
    height = 1.3 + 0.22 * max(len(shown), 1)
    fig, ax = plt.subplots(figsize=(6.3, height), layout="constrained")  # the text width of a paper; labels need the room
    for row, r in enumerate(shown):
        low, high = sorted((r.at_low, r.at_high))
        # the half of the bar reached at the input's high end is filled, the other hatched
        ax.barh(row, r.at_high - base, left=base, height=0.6, color="0.35", edgecolor="black", linewidth=0.4)
        ax.barh(row, r.at_low - base, left=base, height=0.6, color="white", edgecolor="black",
                linewidth=0.4, hatch="////")
        if r.flips_within_range:
            ax.text(max(high, base) + 0.005, row, "flips", va="center", fontsize=6, style="italic")
    ax.axvline(base, color="black", linestyle="--", linewidth=0.6)
    if not wanted.by_mode:
        ax.axvline(0.5, color="black", linestyle=":", linewidth=0.6)
    ax.set_yticks(range(len(shown)), [_short(r.input.label) for r in shown], fontsize=7)
    state = wanted.state if wanted.states != ("true", "false") else "true"
    what = f"P({wanted.claim}" + (f" = {state}" if state != "true" else "") + " | evidence)"
    ax.set_xlabel(what)
    lows = [min(r.at_low, r.at_high, base) for r in shown] or [base]
    highs = [max(r.at_low, r.at_high, base) for r in shown] or [base]
    span = max(max(highs) - min(lows), 0.02)
    ax.set_xlim(max(0.0, min(lows) - 0.08 * span), min(1.0, max(highs) + 0.25 * span))
    ax.set_title(title or f"Sensitivity of {wanted.claim}", fontsize=8.5, loc="left")
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(facecolor="0.35", edgecolor="black", label="input at the high end of its range"),
                        Patch(facecolor="white", edgecolor="black", hatch="////", label="input at the low end")],
               fontsize=6.5, loc="outside lower center", ncol=2, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt in ("svg", "pdf") else {"Software": None}
    if fmt == "pdf":
        metadata = {"CreationDate": None, "ModDate": None}
    fig.savefig(buffer, format=fmt, metadata=metadata, dpi=200, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return buffer.getvalue()


def _short(label: str, width: int = 64) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# Series are told apart by line style and marker, never by colour alone (greyscale-safe).
_LINES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_GREYS = ("0.0", "0.45", "0.25")  # three greys against four line styles: no two series alike
MAX_SERIES = 12


def trajectory(steps: Sequence[Step], series: Sequence[tuple[str, str, str]], *, fmt: str = "svg",
               title: str = "") -> bytes:
    """Each series' posterior (``(claim, state, label)``: P(claim = state)) before any evidence and
    after each item, items in the order of ``steps`` (date order); every step is labelled on the
    x axis by the item that caused it and its date."""
    import warnings

    plt = pyplot()
    count = len(steps)
    width = min(max(6.3, 1.6 + 0.19 * count), 12.0)  # the text width of a paper; wider for many items
    fig, ax = plt.subplots(figsize=(width, 4.4), layout="constrained")
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
    ax.set_xticks(x, [_step_label(step) for step in steps], rotation=90, fontsize=5.5)
    ax.tick_params(axis="x", length=2, pad=2)
    ax.grid(axis="y", color="0.85", linewidth=0.4)
    ax.set_axisbelow(True)
    ax.set_title(title or "Belief trajectory", fontsize=8.5, loc="left")
    if series:
        fig.legend(fontsize=6.5, loc="outside lower center", ncol=min(len(series), 3), frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    buffer = io.BytesIO()
    metadata = {"CreationDate": None, "ModDate": None} if fmt == "pdf" else {"Date": None} if fmt == "svg" else {"Software": None}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")  # non-Latin labels
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=200, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return buffer.getvalue()


def _step_label(step: Step) -> str:
    if step.item is None:
        return "prior (no evidence)"
    when = str(step.item.date) if step.item.date else "undated"
    return f"{when}  {_short(step.item.id, 32)}"
