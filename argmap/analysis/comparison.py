"""Several models of the same question → their beliefs side by side: the posteriors of the
claims they share (same id, same states), sorted by where they differ most, and for shared
multi-state claims the Bayes factor between every pair of states under each model (DESIGN §6).

Each model is compiled once (``network_of``) and updated once; nothing here is a second engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from argmap._results import data_frame, format_decibels, html_note, html_table, odds_text, shown_states
from argmap.analysis.pairwise import Comparison as PairComparison
from argmap.analysis.pairwise import state_pairs
from argmap.engine.infer import Beliefs
from argmap.model import Model

__all__ = ["Comparison", "SharedClaim", "compare"]


@attrs.frozen
class SharedClaim:
    """A claim every model has (same id and states): its prior and posterior in each model."""

    id: str
    states: tuple[str, ...]
    priors: tuple[dict[str, float], ...]  # one per model, in the order given
    posteriors: tuple[dict[str, float], ...]
    spread: float  # the largest difference between two models' posteriors of one state
    widest_state: str  # the state where that difference is
    pairs: tuple[tuple[PairComparison, ...], ...] = ()  # per model; multi-state claims only


@attrs.frozen
class Comparison:
    """The models compared, the claims they share (largest spread first) and what is not shared."""

    models: tuple[str, ...]  # each model's name (its file's), in the order given
    paths: tuple[str, ...]
    as_of: str | None
    shared: tuple[SharedClaim, ...]
    only_in: dict[str, tuple[str, ...]]  # model name → its claims that not every model has
    differing_states: tuple[str, ...]  # ids every model has, but with different states
    # Accounts (DESIGN §3) are being added to the data model in parallel; when Model has them,
    # shared accounts (same name, same conjunction) go here the same way: name → posterior per model.
    accounts: dict[str, tuple[float, ...]] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``compare --format json``."""
        return {
            "models": [{"name": n, "path": p} for n, p in zip(self.models, self.paths)],
            "as_of": self.as_of,
            "claims": [{
                "id": c.id, "states": list(c.states), "largest_difference": c.spread, "at_state": c.widest_state,
                "prior": dict(zip(self.models, c.priors)), "posterior": dict(zip(self.models, c.posteriors)),
                "comparisons": {n: [{k: v for k, v in f.to_dict().items() if k != "of"} for f in pairs]
                                for n, pairs in zip(self.models, c.pairs)},
            } for c in self.shared],
            "not_shared": {n: list(ids) for n, ids in self.only_in.items()},
            "states_differ": list(self.differing_states),
            "accounts": {n: list(p) for n, p in self.accounts.items()},
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per shared claim state (a binary claim: P(true)), largest difference first: the
        posterior under each model (a column per model) and the difference."""
        out = []
        for c in self.shared:
            for s in shown_states(c.states):
                values = [p[s] for p in c.posteriors]
                out.append({"claim": c.id, "state": "" if len(c.states) == 2 else s,
                            **dict(zip(self.models, values)), "difference": max(values) - min(values)})
        return out

    def to_pandas(self) -> Any:
        """The shared claims' posteriors side by side (see :meth:`rows`)."""
        return data_frame(self.rows(), ("claim", "state", *self.models, "difference"))

    def _repr_html_(self) -> str:
        cutoff = f"evidence dated up to {self.as_of}" if self.as_of else "all evidence"
        parts = [html_table(["claim", "state", *self.models, "difference"],
                            [[r["claim"], r["state"], *(f"{r[m]:.3f}" for m in self.models), f"{r['difference']:.3f}"]
                             for r in self.rows()],
                            f"{len(self.models)} models, {cutoff}: the posteriors of the {len(self.shared)} shared "
                            "claims, largest difference first")]
        multi = [c for c in self.shared if c.pairs]
        if multi:
            parts.append(html_table(["claim", "states", *self.models],
                                    [[c.id, f"{f.a} : {f.b}", *(f"{odds_text(p[k].bayes_factor)} "
                                                                f"({format_decibels(p[k].decibels)})" for p in c.pairs)]
                                     for c in multi for k, f in enumerate(c.pairs[0])],
                                    "pairwise Bayes factors (posterior odds / prior odds) under each model"))
        parts += [html_note(f"only some models have these claims ({name}): {', '.join(ids)}")
                  for name, ids in self.only_in.items()]
        if self.differing_states:
            parts.append(html_note(f"same id, different states (not compared): {', '.join(self.differing_states)}"))
        return "".join(parts)


def _pairs(cid: str, prior: dict[str, float], posterior: dict[str, float],
           states: Sequence[str]) -> tuple[PairComparison, ...]:
    """Every pair a < b of states (a before b as declared), as `update` compares them."""
    return tuple(PairComparison(cid, a, b, prior[a], prior[b], posterior[a], posterior[b]) for a, b in state_pairs(states))


def compare(models: Sequence[Model], as_of=None, *, beliefs: Sequence[Beliefs] | None = None) -> Comparison:
    """The models side by side at ``as_of`` (each model's own evidence that counts then)."""
    beliefs = list(beliefs) if beliefs is not None else [m.update(as_of=as_of) for m in models]
    names = tuple(m.name for m in models)
    if len(set(names)) < len(names):  # the same file name in different folders: tell them apart by path
        names = tuple(m.path for m in models)
    common = [cid for cid in models[0].claims if all(cid in m.claims for m in models[1:])]
    differing = tuple(cid for cid in common if len({m.claims[cid].states for m in models}) > 1)
    shared = []
    for cid in common:
        if cid in differing:
            continue
        states = models[0].claims[cid].states
        priors = tuple(dict(b[cid].prior) for b in beliefs)
        posteriors = tuple(dict(b[cid].posterior) for b in beliefs)
        shown = states[:1] if len(states) == 2 else states  # a binary claim's two spreads are equal
        spread, widest = max(((max(p[s] for p in posteriors) - min(p[s] for p in posteriors), s) for s in shown),
                             key=lambda x: x[0])
        pairs = tuple(_pairs(cid, pr, po, states) for pr, po in zip(priors, posteriors)) if len(states) > 2 else ()
        shared.append(SharedClaim(cid, states, priors, posteriors, spread, widest, pairs))
    shared.sort(key=lambda c: (-c.spread, common.index(c.id)))
    only_in = {name: tuple(cid for cid in m.claims if cid not in common) for name, m in zip(names, models)}
    cutoff = beliefs[0].as_of
    return Comparison(names, tuple(m.path for m in models), str(cutoff) if cutoff else None, tuple(shared),
                      {k: v for k, v in only_in.items() if v}, differing)
