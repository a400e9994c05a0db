"""render: analysis results → figures for papers (matplotlib): the sensitivity tornado.

Figures are greyscale-safe, serif, sized for a one-column figure, and deterministic (same input
→ same bytes) so that they can be committed beside a paper.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from .sensitivity import Sensitivity, Target

__all__ = ["tornado"]

FORMATS = ("svg", "png", "pdf")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.family": "serif",
        "font.size": 8,
        "svg.hashsalt": "argmap",  # stable element ids in SVG
        "svg.fonttype": "none",  # text stays text (searchable, selectable)
        "pdf.fonttype": 42,
    })
    return plt


def tornado(results: Sequence[Sensitivity], wanted: Target, base: float, *, fmt: str = "svg",
            top: int = 15, title: str = "") -> bytes:
    """Bars from the target's posterior at each input's low end to its high end, largest swing
    on top; a dashed line at the point estimate and a dotted one at 0.5 for a P ≥ 0.5 conclusion."""
    plt = _pyplot()
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
