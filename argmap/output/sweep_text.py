"""A :class:`~argmap.analysis.sweep.Sweep` → the plain-text tables of ``argmap sweep``: one line per
model (all the evidence, the lowest and highest variant, how many flip the conclusion), then each
model's most moving variants."""

from __future__ import annotations

from argmap._text import plural, text_table
from argmap.analysis.relations import format_decibels
from argmap.analysis.sweep import ModelSweep, Sweep, Variant

__all__ = ["sweep_table"]


def _followed(m: ModelSweep) -> str:
    t = m.target
    return f"P({t.claim})" if t.state == "true" else f"P({t.claim}={t.state})"


def _left(v: Variant) -> str:
    return ", ".join(v.left_out) if v.left_out else "(none)"


def _p(v: Variant) -> str:
    return "impossible" if v.followed is None else f"{v.followed:.3f}"


def sweep_table(result: Sweep, top: int = 10) -> str:
    """The summary table, and per model (when items are left out) its ``top`` most moving variants."""
    if result.leave_out:
        what = f"every subset of the counted evidence with {plural(result.leave_out, 'item')} left out"
    else:
        what = "all the counted evidence"
    when = f"evidence dated up to {result.as_of}" if result.as_of else "all dates"
    lines = [f"Sweep of {result.target} over {plural(len(result.models), 'model')}: {what} ({when}); "
             f"{plural(result.variants, 'variant')}", ""]
    rows = []
    for m in result.models:
        low, high = m.extremes()
        others = len(m.variants) - 1
        rows.append((m.name, _followed(m), _p(m.full), m.conclusion, str(others) if result.leave_out else "",
                     f"{_p(low)} ({_left(low)})" if result.leave_out else "",
                     f"{_p(high)} ({_left(high)})" if result.leave_out else "",
                     f"{m.flips} of {others}" if result.leave_out else ""))
    titles = ("model", "followed", "all evidence", "conclusion", "subsets", "lowest (left out)",
              "highest (left out)", "flip it")
    if not result.leave_out:
        titles, rows = titles[:4], [r[:4] for r in rows]
    lines += text_table(titles, rows, right={2, 4} if result.leave_out else {2})
    if not result.leave_out:
        return "\n".join(lines)
    for m in result.models:
        moving = m.moving()[:top]
        if not moving:
            lines += ["", f"{m.name}: no subset to leave out ({plural(len(m.items), 'counted item')})"]
            continue
        lines += ["", f"{m.name}: the {plural(len(moving), 'variant')} that move{'s' if len(moving) == 1 else ''} "
                      f"{_followed(m)} most (of {len(m.variants) - 1}; all in --format json)", ""]
        lines += text_table(("left out", _followed(m), "change", "conclusion"),
                            [(_left(v), _p(v), "" if v.decibels is None else format_decibels(v.decibels),
                              "flips" if v.flips else ("—" if v.followed is None else "holds")) for v in moving],
                            right={1, 2}, max_widths={0: 60})
    return "\n".join(lines)
