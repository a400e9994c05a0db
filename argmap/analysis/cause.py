"""analyse: a model, a cause X and an effect Y → P(Y_x = y | evidence) for every state x, the
probabilities of necessity and sufficiency (PN, PS), exact or as sharp bounds, and how they
move with the strengths they rest on (DESIGN §6, docs/causal.md).

The counterfactual is computed on a *twin network* run by the ordinary engine: the factual
world is the model's own network (every item of evidence, shared source and hard observation
attached to it), and every claim on a path from X to Y gets a counterfactual copy downstream of
an intervention variable ``do|X``. A noisy-OR claim on the path is written structurally: each
support link is a Bernoulli "the link works" variable with the link's strength, each attack
link a Bernoulli "the block works" variable, and the leak one more; the claim is a
deterministic function of its parents and these mechanisms, and both worlds share the
mechanisms. A table claim on the path has no mechanism in the model: it gets a response
variable (the state it would take under each configuration of its path parents, given its
other parents) whose distribution is any coupling consistent with the table, and every answer
is linear in that coupling, so its sharp range is a linear programme.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from argmap._results import data_frame, fmt_answer, html_note, html_table, span_text, state_name
from argmap.analysis.sensitivity import inputs
from argmap.engine.compile import Network, Variable, network_of
from argmap.engine.infer import as_of_date, calibrate, evidence_assignment, junction_tree
from argmap.errors import ArgmapError, Location, did_you_mean
from argmap.model import BINARY, Model, NoisyOr, Table

__all__ = ["CauseResult", "Link", "Twin", "causal_arrows", "cause", "comonotone_coupling", "simplex", "twin_network"]

#: the warning of DESIGN §6, when an answer swings over more than this much of [0, 1]
WARN_SWING = 0.5
#: the "unconstrained" sweep of a strength: all of (0, 1), kept off the ends
SWEEP = (0.01, 0.99)
MAX_LINKS = 9  # links of one noisy-OR claim on the path (its switch table: 2^20 cells)
MAX_RESPONSE_STATES = 20_000  # couplings beyond this many response functions are refused
_CHUNK = 256


@attrs.frozen
class Link:
    """One strength an answer rests on, and how PN and PS move with it."""

    label: str
    key: tuple[str, ...]
    low: float
    value: float
    high: float
    necessity: tuple[float | None, float | None]  # PN over [low, high] (its range) …
    sufficiency: tuple[float | None, float | None]
    necessity_sweep: tuple[float | None, float | None]  # … and over (0.01, 0.99): the strength unconstrained
    sufficiency_sweep: tuple[float | None, float | None]

    @property
    def swing(self) -> float:
        spans = [b - a for a, b in (self.necessity_sweep, self.sufficiency_sweep) if a is not None and b is not None]
        return max(spans, default=0.0)


@attrs.frozen
class CauseResult:
    """The answer of ``argmap cause`` (DESIGN §6, §7)."""

    model: str
    as_of: str | None
    cause: str
    cause_state: str
    effect: str
    effect_state: str
    contrast: str  # the state "not x" stands for in the top-level PN and PS
    posterior: float  # P(effect_state | evidence), the factual belief
    do: Mapping[str, float | None]  # cause state → P(Y_x = y | evidence); None where inexact
    do_bounds: Mapping[str, tuple[float, float]]
    contrasts: Mapping[str, Mapping[str, object]]  # contrast state → necessity, sufficiency, bounds
    exact: bool
    path: tuple[str, ...]
    tables: tuple[str, ...]  # table claims on the path (their coupling is not defined)
    assumed: tuple[str, ...]  # of those, the ones whose coupling the model fixes (coupling: comonotone)
    links: tuple[Link, ...]
    warnings: tuple[str, ...]

    @property
    def necessity(self) -> float | None:
        return self.contrasts[self.contrast]["necessity"]  # type: ignore[return-value]

    @property
    def sufficiency(self) -> float | None:
        return self.contrasts[self.contrast]["sufficiency"]  # type: ignore[return-value]

    @property
    def bounds(self) -> Mapping[str, tuple[float, float] | None]:
        return self.contrasts[self.contrast]["bounds"]  # type: ignore[return-value]

    def to_dict(self) -> dict:
        """The JSON form of DESIGN §7 (and more)."""
        def pair(p):
            return None if p is None else [p[0], p[1]]

        return {
            "model": self.model,
            "as_of": self.as_of,
            "cause": self.cause,
            "cause_state": self.cause_state,
            "effect": self.effect,
            "effect_state": self.effect_state,
            "contrast": self.contrast,
            "posterior": self.posterior,
            "do": dict(self.do),
            "necessity": self.necessity,
            "sufficiency": self.sufficiency,
            "exact": self.exact,
            "bounds": {k: pair(v) for k, v in self.bounds.items()} | {"do": {s: pair(b) for s, b in self.do_bounds.items()}},
            "contrasts": {s: {"necessity": c["necessity"], "sufficiency": c["sufficiency"],
                              "bounds": {k: pair(v) for k, v in c["bounds"].items()}}  # type: ignore[union-attr]
                          for s, c in self.contrasts.items()},
            "path": list(self.path),
            "tables_on_path": list(self.tables),
            "assumed_coupling": list(self.assumed),
            "sensitivity": [
                {"input": link.label, "key": list(link.key), "range": [link.low, link.high], "value": link.value,
                 "necessity": list(link.necessity), "sufficiency": list(link.sufficiency),
                 "necessity_unconstrained": list(link.necessity_sweep),
                 "sufficiency_unconstrained": list(link.sufficiency_sweep)}
                for link in self.links
            ],
            "warnings": list(self.warnings),
        }

    def headline(self) -> str:
        return (f"Does {self.cause} = {self.cause_state} make the difference to {self.effect} = {self.effect_state}?"
                + (f" (evidence up to {self.as_of})" if self.as_of else ""))

    def notes(self) -> list[str]:
        """The factual belief and path, what PN and PS mean here, and whether they are exact."""
        x, y = state_name(self.cause, self.cause_state), state_name(self.effect, self.effect_state)
        return [f"P({y} | evidence) = {self.posterior:.3f}   path: {' → '.join((self.cause, *self.path))}",
                (f"PN: P({y} would not have happened had {self.cause} been the contrast | {x}, {y}, evidence); "
                 f"PS: P({y} would have happened had {self.cause} been {self.cause_state} | contrast, ¬{y}, evidence)"),
                "exact (the model's noisy-OR mechanisms define the counterfactual)" if self.exact else
                "bounds only: a table on the path does not define how the two worlds couple"]

    def answer_tables(self) -> list[tuple[list[str], list[list[str]]]]:
        """The answer as (head, rows) of text cells: the interventions, the contrasts' PN and PS,
        and (when there are any) the strengths they rest on — what ``argmap cause`` prints."""
        y = state_name(self.effect, self.effect_state)
        out = [(["intervention", f"P({y} had {self.cause} been set | evidence)"],
                [[f"do({self.cause} = {s})", fmt_answer(self.do[s], self.do_bounds[s])] for s in self.do]),
               ([f"contrast ({self.cause} ≠ {self.cause_state} means)", "PN necessity", "PS sufficiency"],
                [[c, fmt_answer(a["necessity"], a["bounds"]["necessity"]),  # type: ignore[index]
                  fmt_answer(a["sufficiency"], a["bounds"]["sufficiency"])]  # type: ignore[index]
                 for c, a in self.contrasts.items()])]
        if self.links:
            out.append((["strength", "range", "PN over range", "PS over range", "PN, any value", "PS, any value"],
                        [[link.label, f"{link.low:.3f}–{link.high:.3f}", span_text(link.necessity),
                          span_text(link.sufficiency), span_text(link.necessity_sweep),
                          span_text(link.sufficiency_sweep)] for link in self.links]))
        return out

    def to_pandas(self) -> Any:
        """One row per state x of the cause: P(effect | do(cause = x)) (or its bounds), and for
        each contrast state the PN and PS of the cause's state against it (None: not defined)."""
        def ends(b: tuple[float, float] | None) -> tuple[float | None, float | None]:
            return (None, None) if b is None else (b[0], b[1])

        rows = []
        for s in self.do:
            c = self.contrasts.get(s)
            bounds = c["bounds"] if c else {}  # type: ignore[index]
            pn, ps = ends(bounds.get("necessity")), ends(bounds.get("sufficiency"))  # type: ignore[union-attr]
            rows.append({"state": s, "do": self.do[s], "do_low": self.do_bounds[s][0], "do_high": self.do_bounds[s][1],
                         "necessity": c["necessity"] if c else None, "necessity_low": pn[0], "necessity_high": pn[1],
                         "sufficiency": c["sufficiency"] if c else None, "sufficiency_low": ps[0],
                         "sufficiency_high": ps[1]})
        return data_frame(rows, ("state", "do", "do_low", "do_high", "necessity", "necessity_low", "necessity_high",
                                 "sufficiency", "sufficiency_low", "sufficiency_high"))

    def _repr_html_(self) -> str:
        notes = self.notes()
        tables = self.answer_tables()
        return (html_table(*tables[0], caption=self.headline()) + html_note(notes[0])
                + html_table(*tables[1]) + html_note(notes[1]) + html_note(notes[2])
                + "".join(html_table(*t, caption="the strengths the answers rest on") for t in tables[2:])
                + "".join(html_note(f"warning: {w}") for w in self.warnings))


# ----------------------------------------------------------------------------- the twin network


@attrs.frozen(eq=False)
class Twin:
    """The twin network of one cause → effect question, and what its extra variables mean."""

    network: Network
    cause: str
    effect: str
    path: tuple[str, ...]  # claims on a path from the cause to the effect (effect included)
    tables: tuple[str, ...]
    mechanisms: Mapping[str, tuple[str, ...]]  # mechanism variable → input key of its P(true)
    response: str | None  # the joint response variable of the path tables, if any
    response_parents: tuple[str, ...]
    response_states: tuple[tuple[tuple[int, ...], ...], ...]  # per state: per table, g as state indices
    table_configs: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]]
    # table → (its path parents, its other parents, the path-parent configurations in g's order)

    @staticmethod
    def do(name: str) -> str:
        return f"do|{name}"

    @staticmethod
    def cf(name: str) -> str:
        return f"cf|{name}"


def _descendants(model: Model, start: str) -> set[str]:
    children: dict[str, set[str]] = {c: set() for c in model.claims}
    for cid, claim in model.claims.items():
        for p in claim.parents:
            children[p].add(cid)
    seen: set[str] = set()
    todo = [start]
    while todo:
        for child in children[todo.pop()]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _ancestors(model: Model, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for p in model.claims[todo.pop()].parents:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def twin_network(model: Model, cause: str, effect: str) -> Twin:
    """The factual network with mechanisms written out on the path, plus the counterfactual copy
    of the path downstream of ``do|cause``. Raises ArgmapError if the cause is no ancestor."""
    base = network_of(model)
    path_set = (_descendants(model, cause) & (_ancestors(model, effect) | {effect}))
    if effect not in path_set:
        raise ArgmapError.at(Location("--cause"), f"'{cause}' is not an ancestor of '{effect}': no chain of "
                             f"supported_by/attacked_by/given arrows leads from it to '{effect}', so intervening "
                             f"on it cannot change '{effect}' (PN = PS = 0 by definition); pick a cause upstream")
    order = list(base.variables)
    path = tuple(n for n in order if n in path_set)
    tables = tuple(n for n in path if isinstance(model.claims[n].distribution, Table))
    variables: dict[str, Variable] = {}
    mechanisms: dict[str, tuple[str, ...]] = {}

    def mechanism(name: str, key: tuple[str, ...], p: float) -> str:
        variables[name] = Variable(name, BINARY, (), np.array([p, 1 - p]), "mechanism")
        mechanisms[name] = key
        return name

    # mechanism variables of the noisy-OR claims on the path: roots, shared by both worlds
    noisy_parts: dict[str, tuple[list[str], list[str], str]] = {}
    for cid in path:
        d = model.claims[cid].distribution
        if isinstance(d, NoisyOr):
            links = len(d.supporters) + len(d.attackers)
            if links > MAX_LINKS:  # its switch table has 2^(2·links + 2) cells, in both worlds
                raise ArgmapError.at(model.claims[cid].location, f"claim '{cid}' on the path from '{cause}' to "
                                     f"'{effect}' has {links} supporters and attackers; argmap cause writes out "
                                     f"each link's mechanism and handles at most {MAX_LINKS} per claim")
            key = ("claim", cid)
            leak = mechanism(f"leak|{cid}", (*key, "leak"), d.leak.value)
            works = [mechanism(f"link|{p}|{cid}", (*key, "supported_by", p), s.value) for p, s in d.supporters.items()]
            blocks = [mechanism(f"block|{p}|{cid}", (*key, "attacked_by", p), a.value) for p, a in d.attackers.items()]
            noisy_parts[cid] = (works, blocks, leak)
    # the joint response variable of the path tables
    configs: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}
    for cid in tables:
        d = model.claims[cid].distribution
        on = tuple(p for p in d.parents if p == cause or p in path_set)
        off = tuple(p for p in d.parents if p not in on)
        configs[cid] = (on, off, tuple(itertools.product(*(model.claims[p].states for p in on))))
    response = None
    response_parents: tuple[str, ...] = ()
    response_states: tuple = ()
    if tables:
        per_table = [list(itertools.product(range(len(model.claims[c].states)), repeat=len(configs[c][2])))
                     for c in tables]
        count = math.prod(len(g) for g in per_table)
        if count > MAX_RESPONSE_STATES:
            raise ArgmapError.at(model.claims[tables[0]].location, f"the table claims {', '.join(tables)} on the path "
                                 f"from '{cause}' to '{effect}' admit {count} response functions, more than argmap "
                                 f"bounds ({MAX_RESPONSE_STATES}); write them as noisy-OR or ask about a shorter path")
        response_states = tuple(itertools.product(*per_table))
        wanted = {p for c in tables for p in configs[c][1]}
        response_parents = tuple(n for n in order if n in wanted)
        response = "response|" + "|".join(tables)
    for name, var in base.variables.items():
        if name in noisy_parts:
            works, blocks, leak = noisy_parts[name]
            d = model.claims[name].distribution
            parents = (*d.supporters, *d.attackers, leak, *works, *blocks)
            variables[name] = Variable(name, BINARY, parents, _noisy_or_switch(len(d.supporters), len(d.attackers)), "claim")
        elif name in configs:
            if response not in variables:
                assert response is not None
                shape = tuple(len(base.variables[p].states) for p in response_parents) + (len(response_states),)
                variables[response] = Variable(response, tuple(str(i) for i in range(len(response_states))),
                                               response_parents, np.full(shape, 1 / len(response_states)), "mechanism")
            variables[name] = _table_switch(model, name, name, var.parents, response, tables, configs, response_states)
        else:
            variables[name] = var
    states = model.claims[cause].states
    variables[Twin.do(cause)] = Variable(Twin.do(cause), states, (), np.full(len(states), 1 / len(states)), "counterfactual")

    def counterpart(p: str) -> str:
        return Twin.do(cause) if p == cause else Twin.cf(p) if p in path_set else p

    for cid in path:
        factual = variables[cid]
        parents = tuple(counterpart(p) if p in model.claims[cid].parents else p for p in factual.parents)
        variables[Twin.cf(cid)] = Variable(Twin.cf(cid), factual.states, parents, factual.cpt, "counterfactual")
    return Twin(Network(variables), cause, effect, path, tables, mechanisms, response, response_parents,
                response_states, configs)


def _noisy_or_switch(n_support: int, n_attack: int) -> np.ndarray:
    """P(true | parents, leak, works…, blocks…) ∈ {0, 1}: on if the leak or a working link from an
    active supporter fires, and no working block from an active attacker holds it."""
    n = n_support + n_attack
    on = np.indices((2,) * (2 * n + 1)) == 0  # per axis: is that variable true (index 0)?
    active, leak = on[:n], on[n]
    works, blocks = on[n + 1:n + 1 + n_support], on[n + 1 + n_support:]
    fired = leak | (active[:n_support] & works).any(axis=0)
    held = (active[n_support:] & blocks).any(axis=0)
    result = fired & ~held
    cpt = np.stack([result, ~result], axis=-1).astype(float)
    return cpt


def _table_switch(model: Model, name: str, claim: str, parents: tuple[str, ...], response: str,
                  tables: tuple[str, ...], configs, response_states) -> Variable:
    """A path table claim as a deterministic function of its parents and the response variable."""
    on, _, rows = configs[claim]
    k = tables.index(claim)
    cards = [len(model.claims[p].states) for p in parents]
    states = model.claims[claim].states
    cpt = np.zeros((*cards, len(response_states), len(states)))
    position = {row: i for i, row in enumerate(rows)}
    for index in itertools.product(*(range(c) for c in cards)):
        row = tuple(model.claims[p].states[index[parents.index(p)]] for p in on)
        for r, g in enumerate(response_states):
            cpt[index + (r, g[k][position[row]])] = 1.0
    return Variable(name, states, (*parents, response), cpt, "claim")


def comonotone_coupling(model: Model, twin: Twin, claims: Sequence[str]) -> dict[str, np.ndarray]:
    """Per opted-in table claim: q(g | its other parents) of the comonotone coupling — one shared
    uniform U per claim, the state under each configuration the U-quantile of its row (states in
    the order written). Shape (*other-parent cards, number of response functions g)."""
    out = {}
    for cid in claims:
        on, off, rows = twin.table_configs[cid]
        d = model.claims[cid].distribution
        assert isinstance(d, Table)
        states = model.claims[cid].states
        functions = list(itertools.product(range(len(states)), repeat=len(rows)))
        index = {g: i for i, g in enumerate(functions)}
        shape = tuple(len(model.claims[p].states) for p in off)
        q = np.zeros((*shape, len(functions)))
        for ctx in itertools.product(*(range(c) for c in shape)):
            context = {p: model.claims[p].states[i] for p, i in zip(off, ctx)}
            cums = []
            for row in rows:
                full = tuple({**context, **dict(zip(on, row))}[p] for p in d.parents)
                cums.append(np.cumsum([d.rows[full][s].value for s in states]))
            cuts = sorted({0.0, 1.0, *(float(c) for cum in cums for c in cum[:-1])})
            for lo, hi in itertools.pairwise(cuts):
                if hi - lo <= 0:
                    continue
                u = (lo + hi) / 2
                g = tuple(int(min(np.searchsorted(cum, u, side="right"), len(states) - 1)) for cum in cums)
                q[ctx + (index[g],)] += hi - lo
        out[cid] = q
    return out


# ----------------------------------------------------------------------------- measuring


def _scenario(base: dict[str, int], **fixed: int) -> dict[str, int] | None:
    """The evidence plus some fixed states; None where they contradict the evidence."""
    merged = dict(base)
    for name, index in fixed.items():
        if merged.get(name, index) != index:
            return None
        merged[name] = index
    return merged


def _weights(twin: Twin, scenarios: Sequence[dict[str, int] | None], settings: Sequence[Mapping[str, np.ndarray]],
             later: Sequence[int] | None = None):
    """For every parameter setting and scenario: P(scenario) as a linear form in the coupling,
    h[p, k, ctx…, g] (or h[p, k] when no table is on the path), all settings in batched
    calibrations; settings after the first are run on the scenarios ``later`` only. All of h is
    scaled by one common factor (it cancels in every ratio, and keeps h linear in each input)."""
    live = [k for k, s in enumerate(scenarios) if s is not None]
    rest = [k for k in (live if later is None else later) if scenarios[k] is not None]
    network = twin.network
    tree = junction_tree(network)
    shape = (len(settings), len(scenarios))
    if twin.response:
        r = network.variables[twin.response]
        h = np.zeros(shape + r.cpt.shape)
        scope = tree.in_order((*twin.response_parents, twin.response))
        perm = [scope.index(v) for v in (*twin.response_parents, twin.response)]
        q0 = r.cpt
    else:
        h = np.zeros(shape)
    jobs = [(0, k) for k in live] + [(p, k) for p in range(1, len(settings)) for k in rest]
    logs = np.full(shape, -np.inf)
    joints: dict[tuple[int, int], np.ndarray] = {}
    mechanisms = {name: np.full((len(scenarios), 2), np.nan) for name in twin.mechanisms}
    for start in range(0, len(jobs), _CHUNK):
        chunk = jobs[start:start + _CHUNK]
        names = set().union(*(settings[p].keys() for p, _ in chunk))
        cpts = {n: np.stack([settings[p].get(n, network.variables[n].cpt) for p, _ in chunk]) for n in names}
        calibration = calibrate(network, [scenarios[k] for _, k in chunk], cpts or None)
        for b, (p, k) in enumerate(chunk):
            logs[p, k] = calibration.log_evidence[b]
        if len(settings) == 1:  # P(mechanism | scenario): how each scenario depends on each strength
            for name, marginal in mechanisms.items():
                rows = [k for _, k in chunk]
                marginal[rows] = calibration.marginal(name)
        if twin.response:
            joint = np.nan_to_num(calibration.joint(scope))
            joint = np.transpose(joint, [0] + [1 + i for i in perm])
            for b, job in enumerate(chunk):
                joints[job] = joint[b]
    top = np.max(logs[np.isfinite(logs)], initial=0.0) if np.isfinite(logs).any() else 0.0
    scale = np.where(np.isfinite(logs), np.exp(logs - top), 0.0)
    if not twin.response:
        return scale, mechanisms
    for (p, k), joint in joints.items():
        h[p, k] = scale[p, k] * joint / q0
    return h, mechanisms


def _range(h_num: np.ndarray, h_den: np.ndarray, twin: Twin, model: Model, fixed: Mapping[str, np.ndarray],
           reference: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray] | None:
    """min and max of <h_num, q> / <h_den, q> over the couplings q consistent with the tables (and
    with the fixed marginals of opted-in claims); the denominator is the same for all of them.
    Returns (low, high, q_low, q_high), or None when the condition has probability 0."""
    den = float(np.sum(h_den * reference))
    if den <= 0:
        return None
    if not twin.response:
        v = float(h_num) / den
        return v, v, reference, reference
    key = (id(twin), tuple(sorted(fixed)))
    if key not in _LP_CACHE:
        _LP_CACHE.clear()
        _LP_CACHE[key] = (twin, _constraints(twin, model, fixed))
    a_eq, b_eq = _LP_CACHE[key][1]
    c = h_num.reshape(-1) / den
    out = []
    for sign in (1, -1):
        res = simplex(sign * c, a_eq, b_eq)
        if res is None:  # infeasible only through rounding of the tables; fall back honestly
            out.append((float(np.dot(c, reference.reshape(-1))), reference))
        else:
            out.append((float(sign * res[0]), res[1].reshape(reference.shape)))
    (low, q_low), (high, q_high) = out
    return min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0), q_low, q_high


def simplex(c: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float = 1e-10) -> tuple[float, np.ndarray] | None:
    """min c·x subject to a·x = b, x ≥ 0, by the two-phase tableau simplex with Bland's rule
    (which cannot cycle); None if infeasible. The programmes here are small (a few hundred
    variables); a dense tableau keeps argmap free of scipy.optimize's 2-second import."""
    a = np.array(a, dtype=float)
    b = np.array(b, dtype=float)
    m, n = a.shape
    flip = b < 0
    a[flip] *= -1
    b[flip] *= -1
    tableau = np.hstack([a, np.eye(m), b[:, None]])
    basis = list(range(n, n + m))

    def pivot(r: int, j: int) -> None:
        tableau[r] /= tableau[r, j]
        column = tableau[:, j].copy()
        column[r] = 0.0
        tableau[:] -= np.outer(column, tableau[r])
        basis[r] = j

    def run(cost: np.ndarray, columns: int) -> bool:
        while True:
            reduced = cost[:columns] - cost[basis] @ tableau[:, :columns]
            entering = np.flatnonzero(reduced < -tol)
            if entering.size == 0:
                return True
            j = int(entering[0])
            col = tableau[:, j]
            rows = np.flatnonzero(col > tol)
            if rows.size == 0:
                return False  # unbounded; cannot happen over a polytope of distributions
            ratios = tableau[rows, -1] / col[rows]
            best = ratios.min()
            ties = rows[ratios <= best + 1e-12]
            pivot(int(min(ties, key=lambda r: basis[r])), j)

    phase1 = np.concatenate([np.zeros(n), np.ones(m)])
    run(phase1, n + m)
    if tableau[:, -1] @ phase1[basis] > 1e-7:
        return None
    keep = []
    for r in range(m):  # drive artificials out of the basis; a row that cannot is redundant
        if basis[r] >= n:
            candidates = np.flatnonzero(np.abs(tableau[r, :n]) > 1e-9)
            if candidates.size == 0:
                continue
            pivot(r, int(candidates[0]))
        keep.append(r)
    tableau = np.hstack([tableau[keep, :n], tableau[keep, -1:]])
    basis = [basis[r] for r in keep]
    cost = np.asarray(c, dtype=float)
    run(cost, n)
    x = np.zeros(n)
    x[basis] = tableau[:, -1]
    return float(cost @ x), x


_LP_CACHE: dict = {}  # the constraints of the last twin network's programme (kept while it is asked)


def _constraints(twin: Twin, model: Model, fixed: Mapping[str, np.ndarray]):
    """Equalities on q[ctx…, g]: for every context and table, the response functions' states under
    each configuration have the table's row as distribution (and, for opted-in claims, the
    response functions have the comonotone distribution)."""
    r = twin.network.variables[twin.response]
    ctx_cards = r.cpt.shape[:-1]
    n_g = r.cpt.shape[-1]
    size = r.cpt.size
    rows_a: list[np.ndarray] = []
    rows_b: list[float] = []
    flat = np.arange(size).reshape(r.cpt.shape)
    for ctx in itertools.product(*(range(c) for c in ctx_cards)):
        values = {p: model.claims[p].states[i] for p, i in zip(twin.response_parents, ctx)}
        cells = flat[ctx]
        for k, cid in enumerate(twin.tables):
            on, off, configs = twin.table_configs[cid]
            d = model.claims[cid].distribution
            states = model.claims[cid].states
            if cid in fixed:
                functions = list(itertools.product(range(len(states)), repeat=len(configs)))
                q = fixed[cid][tuple(states_index(model, p, values[p]) for p in off)]
                for j, g in enumerate(functions):
                    row = np.zeros(size)
                    for gi, g_all in enumerate(twin.response_states):
                        if g_all[k] == g:
                            row[cells[gi]] = 1.0
                    rows_a.append(row)
                    rows_b.append(float(q[j]))
                continue
            for ci, config in enumerate(configs):
                full = tuple({**values, **dict(zip(on, config))}[p] for p in d.parents)
                for si, s in enumerate(states[:-1] if len(states) > 1 else states):
                    row = np.zeros(size)
                    for gi, g_all in enumerate(twin.response_states):
                        if g_all[k][ci] == si:
                            row[cells[gi]] = 1.0
                    rows_a.append(row)
                    rows_b.append(d.rows[full][s].value)
        total = np.zeros(size)
        total[cells[np.arange(n_g)]] = 1.0
        rows_a.append(total)
        rows_b.append(1.0)
    return np.array(rows_a), np.array(rows_b)


def states_index(model: Model, claim: str, state: str) -> int:
    return model.claims[claim].states.index(state)


def _independent(twin: Twin, model: Model, fixed: Mapping[str, np.ndarray]) -> np.ndarray:
    """A coupling consistent with the tables: each table's response functions independent across
    configurations (or comonotone, for opted-in claims), the tables independent of each other."""
    r = twin.network.variables[twin.response]
    q = np.zeros(r.cpt.shape)
    for ctx in itertools.product(*(range(c) for c in r.cpt.shape[:-1])):
        values = {p: model.claims[p].states[i] for p, i in zip(twin.response_parents, ctx)}
        for gi, g_all in enumerate(twin.response_states):
            p = 1.0
            for k, cid in enumerate(twin.tables):
                on, off, configs = twin.table_configs[cid]
                d = model.claims[cid].distribution
                states = model.claims[cid].states
                if cid in fixed:
                    functions = list(itertools.product(range(len(states)), repeat=len(configs)))
                    p *= fixed[cid][tuple(states_index(model, x, values[x]) for x in off)][functions.index(g_all[k])]
                    continue
                for ci, config in enumerate(configs):
                    full = tuple({**values, **dict(zip(on, config))}[x] for x in d.parents)
                    p *= d.rows[full][states[g_all[k][ci]]].value
            q[ctx + (gi,)] = p
    return q


# ----------------------------------------------------------------------------- the question


def _claim_spec(model: Model, spec: str, option: str) -> tuple[str, str | None]:
    claim_id, _, state = spec.partition("=")
    claim = model.claims.get(claim_id)
    if claim is None:
        raise ArgmapError.at(Location(option), f"unknown claim '{claim_id}'" + did_you_mean(claim_id, model.claims))
    if state and state not in claim.states:
        raise ArgmapError.at(Location(option), f"'{state}' is not a state of '{claim_id}' (its states: "
                             f"{', '.join(claim.states)})" + did_you_mean(state, claim.states))
    return claim_id, state or None


def cause(model: Model, cause: str, effect: str, as_of=None, *, contrast: str | None = None,
          sensitivity: bool = True) -> CauseResult:
    """``cause`` and ``effect`` are ``CLAIM`` or ``CLAIM=STATE``. A binary claim without a state
    means ``true``; a multi-state one, its most probable state given the evidence. ``contrast``
    names the state "had the cause not been x" stands for (default: the first other state; every
    other state is reported under ``contrasts``)."""
    x_id, x_state = _claim_spec(model, cause, "--cause")
    y_id, y_state = _claim_spec(model, effect, "--effect")
    if x_id == y_id:
        raise ArgmapError.at(Location("--effect"), f"'{x_id}' is both the cause and the effect; a claim's "
                             "effect on itself is not a causal question — name another claim as --effect")
    cutoff = as_of_date(as_of)
    twin = twin_network(model, x_id, y_id)
    base = network_of(model)
    items = [i for i in model.evidence if i.counts_at(cutoff)]
    evidence = evidence_assignment(model, base, items)
    x_states, y_states = model.claims[x_id].states, model.claims[y_id].states
    if x_state is None or y_state is None:
        calibration = calibrate(base, [evidence])
        if not calibration.possible[0]:
            raise ArgmapError.at(model.location, "the evidence is impossible under the model; run argmap check")
        if x_state is None:
            x_state = "true" if model.claims[x_id].is_binary else x_states[int(np.argmax(calibration.marginal(x_id)[0]))]
        if y_state is None:
            y_state = "true" if model.claims[y_id].is_binary else y_states[int(np.argmax(calibration.marginal(y_id)[0]))]
    others = [s for s in x_states if s != x_state]
    if contrast is not None and contrast not in others:
        raise ArgmapError.at(Location("--contrast"), f"'{contrast}' is not another state of '{x_id}' (use one of "
                             f"{', '.join(others)})" + did_you_mean(contrast, others))
    contrast = contrast or others[0]
    X, Y, DO, CF = x_id, y_id, Twin.do(x_id), Twin.cf(y_id)
    xi, yi = x_states.index(x_state), y_states.index(y_state)
    not_y = [j for j in range(len(y_states)) if j != yi]

    # the questions, each a ratio of sums of scenario probabilities
    questions: dict[str, tuple[list[int], list[int]]] = {}
    scenarios: list[dict[str, int] | None] = []

    def add(*fixed: dict[str, int]) -> list[int]:
        start = len(scenarios)
        scenarios.extend(_scenario(evidence, **f) for f in fixed)
        return list(range(start, len(scenarios)))

    questions["posterior"] = (add({Y: yi}), add({}))
    for s, state in enumerate(x_states):
        questions[f"do:{state}"] = (add({DO: s, CF: yi}), add({DO: s}))
    for c in others:
        ci = x_states.index(c)
        questions[f"pn:{c}"] = (add(*({X: xi, Y: yi, DO: ci, CF: j} for j in not_y)), add({X: xi, Y: yi, DO: ci}))
        questions[f"ps:{c}"] = (add(*({X: ci, Y: j, DO: xi, CF: yi} for j in not_y)),
                                add(*({X: ci, Y: j, DO: xi} for j in not_y)))

    assumed = tuple(c for c in twin.tables if model.claims[c].coupling == "comonotone")
    fixed = comonotone_coupling(model, twin, assumed)
    exact = len(assumed) == len(twin.tables)
    reference = _independent(twin, model, fixed) if twin.response else np.array(1.0)
    if twin.response and exact:
        # every path table opted in: the coupling is the product of their comonotone couplings
        reference = _independent(twin, model, fixed)

    # parameter settings: the model as written, then each strength on the path at two points.
    # Every scenario's probability is linear in one strength (it is the P(true) of one root), so
    # two evaluations give it over the whole range and PN, PS are ratios of linear functions.
    found = [inp for inp in inputs(model, cutoff) if inp.key in set(twin.mechanisms.values())] if sensitivity else []
    by_key = {key: name for name, key in twin.mechanisms.items()}
    settings: list[dict[str, np.ndarray]] = [{}]
    for inp in found:
        for t in SWEEP:
            settings.append({by_key[inp.key]: np.array([t, 1 - t])})
    later = sorted({k for name in (f"pn:{contrast}", f"ps:{contrast}") for k in (*questions[name][0], *questions[name][1])})
    values = [inp.value for inp in found]
    if twin.response is None and all(0 < v < 1 for v in values):
        # no table on the path: P(scenario) = P(scenario, W true) + P(scenario, W false), each
        # part proportional to P(W true) = t or to 1 − t; one calibration gives every input's line
        h0, mech = _weights(twin, scenarios, settings[:1])
        rows = [h0[0]]
        for inp, v in zip(found, values):
            m = np.nan_to_num(mech[by_key[inp.key]])
            for t in SWEEP:
                rows.append(h0[0] * (m[:, 0] * t / v + m[:, 1] * (1 - t) / (1 - v)))
        h = np.array(rows)
    else:
        h, _ = _weights(twin, scenarios, settings, later)

    def answer(p: int, name: str, at: tuple[int, float] | None = None):
        num, den = questions[name]
        if at is None:
            hp = h[p]
        else:  # linear in the input between its two evaluations
            n, t = at
            w = (t - SWEEP[0]) / (SWEEP[1] - SWEEP[0])
            hp = (1 - w) * h[1 + 2 * n] + w * h[2 + 2 * n]
        return _range(hp[num].sum(axis=0), hp[den].sum(axis=0), twin, model, fixed, reference)

    post = answer(0, "posterior")
    if post is None:
        raise ArgmapError.at(model.location, "the evidence is impossible under the model; run argmap check")
    do, do_bounds = {}, {}
    for state in x_states:
        r = answer(0, f"do:{state}")
        assert r is not None  # do(x) adds no condition to the evidence
        do_bounds[state] = (r[0], r[1])
        do[state] = r[0] if r[1] - r[0] < 1e-9 else None
    contrasts: dict[str, dict[str, object]] = {}
    for c in others:
        pn, ps = answer(0, f"pn:{c}"), answer(0, f"ps:{c}")
        contrasts[c] = {
            "necessity": _value(pn),
            "sufficiency": _value(ps),
            "bounds": {"necessity": None if pn is None else (pn[0], pn[1]),
                       "sufficiency": None if ps is None else (ps[0], ps[1])},
        }
    links = []
    warnings = []
    for n, inp in enumerate(found):
        pts = (SWEEP[0], inp.low, inp.value, inp.high, SWEEP[1])
        pn = [answer(0, f"pn:{contrast}", (n, t)) for t in pts]
        ps = [answer(0, f"ps:{contrast}", (n, t)) for t in pts]
        link = Link(inp.label, inp.key, inp.low, inp.value, inp.high,
                    _span(pn[1:4]), _span(ps[1:4]), _span(pn), _span(ps))
        links.append(link)
        if link.swing >= WARN_SWING:
            which = " and ".join(w for w, (a, b) in (("PN", link.necessity_sweep), ("PS", link.sufficiency_sweep))
                                 if a is not None and b is not None and b - a >= WARN_SWING)
            verb, be = ("move", "are") if " and " in which else ("moves", "is")
            warnings.append(f"{inp.label}: as this strength moves over (0, 1), {which} {verb} over "
                            f"{_spans(link, which)}; the evidence does not test this link; {which} {be} your "
                            "assumption.")
    answer_now = contrasts[contrast]
    for what, name, given in (("necessity", "PN", f"{x_id} = {x_state} and {y_id} = {y_state}"),
                              ("sufficiency", "PS", f"{x_id} = {contrast} and {y_id} ≠ {y_state}")):
        if answer_now["bounds"][what] is None:  # type: ignore[index]
            warnings.append(f"{name} is undefined: the evidence rules out {given}, the situation it asks about.")
    if not exact:
        warnings.append(f"the coupling of {', '.join(c for c in twin.tables if c not in assumed)} (a table on the path) "
                        "is not defined by the model: PN and PS are bounds over every coupling consistent with "
                        "its table; write 'coupling: comonotone' on the claim to assume one (docs/causal.md).")
    links.sort(key=lambda link: -link.swing)
    return CauseResult(model.name, str(cutoff) if cutoff else None, x_id, x_state, y_id, y_state, contrast,
                       post[0], do, do_bounds, contrasts, exact, twin.path, twin.tables, assumed,
                       tuple(links), tuple(warnings))


def _value(r) -> float | None:
    if r is None:
        return None
    return r[0] if r[1] - r[0] < 1e-9 else None


def _span(results) -> tuple[float | None, float | None]:
    lows = [r[0] for r in results if r is not None]
    highs = [r[1] for r in results if r is not None]
    return (min(lows), max(highs)) if lows else (None, None)


def _spans(link: Link, which: str) -> str:
    parts = []
    for w, (a, b) in (("PN", link.necessity_sweep), ("PS", link.sufficiency_sweep)):
        if w in which and a is not None:
            parts.append(f"{a:.2f}–{b:.2f}")
    return " and ".join(parts)


def causal_arrows(model: Model) -> list[tuple[str, str]]:
    """The arrows the report assesses: every support and attack arrow into a hypothesis or rival
    (noisy-OR links, and the supports/attacks a table declares), in model order."""
    arrows = []
    for cid in model.hypotheses:
        d = model.claims[cid].distribution
        if isinstance(d, NoisyOr):
            arrows.extend((p, cid) for p in (*d.supporters, *d.attackers))
        elif isinstance(d, Table):
            arrows.extend((p, cid) for p in d.parents if p in (*d.supports, *d.attacks))
    return arrows
