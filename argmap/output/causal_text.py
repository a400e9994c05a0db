"""A :class:`~argmap.analysis.cause.CauseResult` → the plain-text answer of ``argmap cause``."""

from __future__ import annotations

from argmap._text import text_table
from argmap.analysis.cause import CauseResult

__all__ = ["cause_table", "fmt_answer", "state_name"]


def state_name(claim: str, state: str, binary: bool = True) -> str:
    if binary and state in ("true", "false"):
        return claim if state == "true" else f"¬{claim}"
    return f"{claim}={state}"


def fmt_answer(value: float | None, bounds: tuple[float, float] | None) -> str:
    """0.631, or [0.750, 1.000] where only bounds are known, or 'undefined'."""
    if value is not None:
        return f"{value:.3f}"
    if bounds is None:
        return "undefined"
    return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"


def cause_table(r: CauseResult) -> str:
    x, y = state_name(r.cause, r.cause_state), state_name(r.effect, r.effect_state)
    lines = [f"Does {r.cause} = {r.cause_state} make the difference to {r.effect} = {r.effect_state}?"
             + (f" (evidence up to {r.as_of})" if r.as_of else ""),
             f"P({y} | evidence) = {r.posterior:.3f}   path: {' → '.join((r.cause, *r.path))}", ""]
    rows = [[f"do({r.cause} = {s})", fmt_answer(r.do[s], r.do_bounds[s])] for s in r.do]
    lines += text_table(["intervention", f"P({y} had {r.cause} been set | evidence)"], rows, right={1})
    lines.append("")
    rows = []
    for c, answer in r.contrasts.items():
        bounds = answer["bounds"]
        rows.append([c, fmt_answer(answer["necessity"], bounds["necessity"]),  # type: ignore[index]
                     fmt_answer(answer["sufficiency"], bounds["sufficiency"])])  # type: ignore[index]
    lines += text_table([f"contrast ({r.cause} ≠ {r.cause_state} means)", "PN necessity", "PS sufficiency"],
                        rows, right={1, 2})
    lines.append(f"PN: P({y} would not have happened had {r.cause} been the contrast | {x}, {y}, evidence); "
                 f"PS: P({y} would have happened had {r.cause} been {r.cause_state} | contrast, ¬{y}, evidence)")
    lines.append("exact (the model's noisy-OR mechanisms define the counterfactual)" if r.exact else
                 "bounds only: a table on the path does not define how the two worlds couple")
    if r.links:
        lines.append("")
        rows = [[link.label, f"{link.low:.3f}–{link.high:.3f}", _span(link.necessity), _span(link.sufficiency),
                 _span(link.necessity_sweep), _span(link.sufficiency_sweep)] for link in r.links]
        lines += text_table(["strength", "range", "PN over range", "PS over range", "PN, any value", "PS, any value"],
                            rows, max_widths={0: 44})
    for warning in r.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def _span(pair: tuple[float | None, float | None]) -> str:
    a, b = pair
    return "undefined" if a is None or b is None else f"{a:.3f}–{b:.3f}"
