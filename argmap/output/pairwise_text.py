"""Beliefs' accounts and pairwise comparisons, or a :class:`~argmap.analysis.pairwise.Weighing` →
plain-text tables for the terminal (``update`` and ``weigh``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from argmap._results import format_decibels, odds_text, states_text
from argmap._terminal import terminal_width
from argmap._text import prose, text_table

if TYPE_CHECKING:  # pragma: no cover
    from argmap.analysis.pairwise import Weighing

__all__ = ["beliefs_pairwise_lines", "odds_text", "weigh_table"]


def beliefs_pairwise_lines(beliefs, width: int | None = None) -> list[str]:
    """The accounts and the pairwise comparisons of ``update``'s table (nothing when there are
    none), no wider than ``width`` (default: the terminal's) where wrapping the accounts' states
    and the column titles allows."""
    width = terminal_width() if width is None else width
    lines: list[str] = []
    if beliefs.accounts:
        rows = [(name, f"{a.prior:.3f}", f"{a.posterior:.3f}", states_text(a.states))
                for name, a in beliefs.accounts.items()]
        lines += ["", "accounts (each the conjunction of its claim states)", ""]
        lines += text_table(("account", "prior", "posterior", "states"), rows, right={1, 2}, width=width, wrap={3})
    pairs: list = []
    if may_compare(beliefs):  # most maps have no rivals to compare: `update` skips importing the analysis
        from argmap.analysis.pairwise import comparisons

        pairs = comparisons(beliefs)
    if pairs:
        lines += ["", *prose(["rivals compared in pairs (odds of a against b; Bayes factor = posterior odds / "
                              "prior odds), by the claim or the accounts they are states of"], width)]
        for of in dict.fromkeys(c.of for c in pairs):  # one table per claim: no column repeating its name
            rows = [(c.a, c.b, odds_text(c.prior_odds), odds_text(c.posterior_odds), odds_text(c.bayes_factor),
                     format_decibels(c.decibels)) for c in pairs if c.of == of]
            lines += ["", f"{of}:", ""]
            lines += text_table(("a", "b", "prior odds", "posterior odds", "Bayes factor", "dB"), rows,
                                right={2, 3, 4, 5}, width=width)
    return lines


def may_compare(beliefs) -> bool:
    """Whether :func:`~argmap.analysis.pairwise.comparisons` can find a pair in ``beliefs``: two
    accounts, or a hypothesis or rival of three states or more (when neither, it finds none)."""
    claims = beliefs.model.claims
    return len(beliefs.accounts) >= 2 or any(
        len(b.states) >= 3 and claims[cid].role in ("hypothesis", "rival") for cid, b in beliefs.claims.items())


def weigh_table(weighing: Weighing, width: int | None = None) -> str:
    """Per pair of the target's states: the items that weigh on it, strongest first, and the
    totals; ``width``: the terminal's (default), to which the tables narrow and the text wraps."""
    width = terminal_width() if width is None else width
    model = weighing.model
    cutoff = f"up to {weighing.as_of}" if weighing.as_of else "all dates"
    header = [f"{model.title or model.name}: the weight of each item on {weighing.claim} (evidence {cutoff})"]
    if weighing.fixed is not None:
        return "\n".join(prose(header + [f"{weighing.claim} is fixed at '{weighing.fixed}' by hard evidence "
                                         f"({', '.join(weighing.fixing)}): there is nothing left to weigh"], width))
    if not weighing.rows:
        return "\n".join(prose(header + ["no evidence counts yet: add items with bears_on: " + weighing.claim], width))
    out = prose(header, width)
    for k, total in enumerate(weighing.totals):
        pair = f"{total.a} : {total.b}"
        moving = [r for r in weighing.rows if not abs(r.pairs[k].decibels) < 0.005
                  or not abs(r.pairs[k].leave_one_out_db) < 0.005]
        moving.sort(key=lambda r: -abs(r.pairs[k].decibels) if not math.isnan(r.pairs[k].decibels) else 0.0)
        rows = [(r.item, r.date or "undated", r.written.replace("_", " "), format_decibels(r.pairs[k].decibels),
                 format_decibels(r.pairs[k].leave_one_out_db)) for r in moving]
        c = total.comparison
        out += ["", f"{pair}   (positive dB favours {total.a})", ""]
        out += text_table(("item", "date", "written as", "weight", "leave-one-out"), rows, right={3, 4},
                          width=width, wrap={2})
        quiet = len(weighing.rows) - len(moving)
        if quiet:
            out.append(f"({quiet} other item{'s' if quiet != 1 else ''} weigh 0.0 dB on this pair)")
        out += prose([f"total: prior odds {odds_text(c.prior_odds)} → posterior odds {odds_text(c.posterior_odds)}; "
                      f"Bayes factor {odds_text(c.bayes_factor)} ({format_decibels(total.decibels)}); "
                      f"naive sum of the weights {format_decibels(total.naive_db)}"], width)
    out += [""] + prose(["weight: 10·log10 P(observation | a) / P(observation | b), the item alone in the network; "
                         "leave-one-out: how much the pair's posterior odds (dB) fall without it, all other evidence "
                         "kept. The naive sum equals the total only when the items are independent given the claim."],
                        width)
    return "\n".join(out)
