"""A compiled network → a junction tree that computes every marginal in one pass, for a whole
batch of evidence scenarios at once (the exact engine behind :mod:`argmap.engine.infer`).

The tree covers the claims and sources. Evidence items never become tree nodes: an observed
item enters as a likelihood vector over its parents (its CPT sliced at what was observed), which
is the same thing exactly and keeps the tree small however many items a case has. Every array
carries a leading batch axis (size 1 when it does not vary), so the prefixes of a trajectory,
the perturbed inputs of a sensitivity analysis or the draws of a Monte Carlo run are one
calibration. Messages are rescaled as they travel and the scale is kept in log space, so long
runs of strong evidence neither underflow nor overflow.
"""

from __future__ import annotations

import heapq
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np

from argmap.engine.compile import Network
from argmap.errors import ArgmapError, Location

__all__ = ["JunctionTree", "Calibration", "Regrouped"]

#: a factor over ``scope`` (variables in the tree's global order) with a leading batch axis
Factor = tuple[tuple[str, ...], np.ndarray]


class Calibration:
    """The result of one pass: every tree variable's marginal, and log P(evidence), per scenario.

    Small cliques keep their belief table; a large ("lazy") clique keeps only its factor list
    and its messages, and a marginal or joint over it is one contraction of those when asked."""

    def __init__(self, tree: JunctionTree, beliefs: list[np.ndarray | None], log_evidence: np.ndarray,
                 lazy: _LazyState | None = None):
        self._tree = tree
        self._beliefs = beliefs  # per clique, (B or 1, *cards), unnormalised; None for a lazy clique
        self._lazy = lazy
        self.log_evidence = log_evidence  # (B,), -inf where the evidence is impossible
        self.possible = np.isfinite(log_evidence)
        self._all_possible = bool(self.possible.all())
        self._batch = len(log_evidence)

    def _table(self, clique: int, scope: tuple[str, ...]) -> np.ndarray:
        """The unnormalised joint of ``scope`` (global order, inside ``clique``), (B or 1, *cards)."""
        belief = self._beliefs[clique]
        if belief is not None:
            variables = self._tree.cliques[clique]
            axes = tuple(1 + i for i, v in enumerate(variables) if v not in scope)
            return belief.sum(axis=axes) if axes else belief
        assert self._lazy is not None
        return self._lazy.joint(clique, scope)

    def marginal(self, name: str) -> np.ndarray:
        """(B, states) for a claim or source; NaN rows where the evidence is impossible."""
        if name in self._tree.fixed:
            return self.joint((name,))
        table = self._table(self._tree.home[name], (name,))
        if table.shape[0] != self._batch:
            table = np.broadcast_to(table, (self._batch,) + table.shape[1:])
        totals = table.sum(axis=1, keepdims=True)
        if self._all_possible:
            return table / totals
        with np.errstate(invalid="ignore", divide="ignore"):
            marginal = table / totals
        # evidence impossible in another part of a disconnected network still makes it impossible
        return np.where(self.possible[:, None], marginal, np.nan)

    def joint(self, scope: Sequence[str]) -> np.ndarray:
        """(B, *cards) normalised joint of variables that share a clique (in global order)."""
        tree = self._tree
        ordered = tree.in_order(scope)
        free = tuple(v for v in ordered if v not in tree.fixed)
        if free:
            table = self._table(tree.clique_holding(free), free)
        else:
            table = np.ones((1,))
        if len(free) < len(ordered):  # folded variables: their observed state, with certainty
            full = np.zeros((table.shape[0],) + tuple(tree.cards[v] for v in ordered))
            full[(slice(None),) + tuple(tree.fixed.get(v, slice(None)) for v in ordered)] = table
            table = full
        if table.shape[0] != self._batch:
            table = np.broadcast_to(table, (self._batch,) + table.shape[1:])
        flat = _normalise_rows(table.reshape(table.shape[0], -1))
        flat = np.where(self.possible[:, None], flat, np.nan)
        return flat.reshape(table.shape)


def _normalise_rows(table: np.ndarray) -> np.ndarray:
    totals = table.reshape(table.shape[0], -1).sum(axis=1).reshape((-1,) + (1,) * (table.ndim - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, table / np.where(totals > 0, totals, 1), np.nan)


class _Chunked(Calibration):
    """A calibration computed in slices of the batch (to stay within memory), read as one."""

    def __init__(self, parts: list[Calibration]):
        self._parts = parts
        self.log_evidence = np.concatenate([p.log_evidence for p in parts])
        self.possible = np.isfinite(self.log_evidence)
        self._batch = len(self.log_evidence)

    def marginal(self, name: str) -> np.ndarray:
        return np.concatenate([p.marginal(name) for p in self._parts])

    def joint(self, scope: Sequence[str]) -> np.ndarray:
        return np.concatenate([p.joint(scope) for p in self._parts])


class Regrouped(Calibration):
    """A batch calibrated in groups (each on the tree that folds its own evidence), read as one."""

    def __init__(self, parts: list[tuple[np.ndarray, Calibration]], batch: int):
        self._parts = parts
        self._batch = batch
        self.log_evidence = np.empty(batch)
        for rows, part in parts:
            self.log_evidence[rows] = part.log_evidence
        self.possible = np.isfinite(self.log_evidence)

    def _gather(self, read) -> np.ndarray:
        out = None
        for rows, part in self._parts:
            values = read(part)
            if out is None:
                out = np.empty((self._batch,) + values.shape[1:])
            out[rows] = values
        assert out is not None
        return out

    def marginal(self, name: str) -> np.ndarray:
        return self._gather(lambda part: part.marginal(name))

    def joint(self, scope: Sequence[str]) -> np.ndarray:
        return self._gather(lambda part: part.joint(scope))


class JunctionTree:
    """The compiled structure: cliques, a spanning forest over them, and where each table goes."""

    def __init__(self, network: Network, fixed: Mapping[str, int] | None = None):
        self.network = network
        # claims and sources observed in every scenario of a batch, in the same state: folded into
        # the tables (each table sliced at the observed state loses that axis) and left out of the
        # tree, which is then triangulated without them — as pyAgrum's LazyPropagation does
        self.fixed: dict[str, int] = dict(fixed or {})
        every = [n for n, v in network.variables.items() if v.kind != "evidence"]
        self.order = {n: i for i, n in enumerate(every)}  # the global order, fixed variables included
        self.cards = {n: len(network.variables[n].states) for n in every}
        tree_vars = [n for n in every if n not in self.fixed]
        # a family's scope without its fixed variables; a fixed variable's own table becomes a
        # likelihood over its free parents (or a constant, when it has none)
        self.family_scope = {n: self._free((*network.variables[n].parents, n)) for n in every}
        self.free_count = len(tree_vars)
        self._folded: dict[tuple[tuple[str, int], ...], JunctionTree] = {}
        self._families: dict[str, Factor] = {}
        self._static_psi: dict[int, np.ndarray] = {}
        self._contractions: dict[tuple, _Contraction] = {}
        self._built = False
        if self.fixed:
            self._build()  # a folded tree is built to be used; a network's own tree when first needed

    def __getattr__(self, name: str):
        # the structure (cliques and what hangs on them) is built on first use: a large network
        # whose batches all fold their evidence never triangulates its whole moral graph
        if name in _STRUCTURE and not self.__dict__.get("_built", True):
            self._build()
            return getattr(self, name)
        raise AttributeError(name)

    def _build(self) -> None:
        self._built = True
        network = self.network
        every = list(self.order)
        tree_vars = [n for n in every if n not in self.fixed]
        # items are not in the tree, but their parents must share a clique to take their likelihood
        item_scopes = [self._free(v.parents) for v in network.variables.values() if v.kind == "evidence"]
        scopes = [s for s in (*self.family_scope.values(), *item_scopes) if s]
        self.cliques, self.neighbours = _smaller_tree(tree_vars, scopes, self.cards, self.order)
        self._cache: dict[tuple[str, ...], int] = {}
        self._holders: dict[str, list[int]] = defaultdict(list)
        for c, clique in enumerate(self.cliques):
            for v in clique:
                self._holders[v].append(c)
        self.sizes = [math.prod(self.cards[v] for v in clique) for clique in self.cliques]
        # each claim's and source's table goes to the smallest clique that holds its family
        self.assigned: list[list[str]] = [[] for _ in self.cliques]
        self.constants: list[str] = []  # fixed variables whose whole family is fixed: a number each
        for n in every:
            if self.family_scope[n]:
                self.assigned[self.clique_holding(self.family_scope[n])].append(n)
            else:
                self.constants.append(n)
        self.home = {n: self.clique_holding((n,)) for n in tree_vars}
        self.home_axes = {n: (c, self._axes_outside(c, (n,))) for n, c in self.home.items()}
        self.roots, self.parent, self.topdown = _orient(len(self.cliques), self.neighbours)
        self.children: list[list[int]] = [[] for _ in self.cliques]
        for c in self.topdown:
            if self.parent[c] >= 0:
                self.children[self.parent[c]].append(c)
        self.separator = [
            tuple(v for v in self.cliques[c] if v in self.cliques[self.parent[c]]) if self.parent[c] >= 0 else ()
            for c in range(len(self.cliques))
        ]
        # message plumbing, worked out once: which axes a clique sums out to reach its separator,
        # and the shapes that lay a separator's message over the clique and over its parent
        self._sum_axes = [self._axes_outside(c, self.separator[c]) for c in range(len(self.cliques))]
        self._in_self = [self._layout(self.separator[c], c) for c in range(len(self.cliques))]
        self._in_parent = [self._layout(self.separator[c], self.parent[c]) if self.parent[c] >= 0 else ()
                           for c in range(len(self.cliques))]
        self._down_axes = [self._axes_outside(self.parent[c], self.separator[c]) if self.parent[c] >= 0 else ()
                           for c in range(len(self.cliques))]

    def _axes_outside(self, clique: int, scope: Sequence[str]) -> tuple[int, ...]:
        return tuple(1 + i for i, v in enumerate(self.cliques[clique]) if v not in scope)

    def _layout(self, scope: Sequence[str], clique: int) -> tuple[int, ...]:
        return tuple(self.cards[v] if v in scope else 1 for v in self.cliques[clique])

    def _free(self, names: Iterable[str]) -> tuple[str, ...]:
        return self.in_order(n for n in names if n not in self.fixed)

    def for_evidence(self, common: Mapping[str, int]) -> JunctionTree:
        """The tree to calibrate a batch on whose every scenario observes ``common`` (claim or
        source → state index): this one, or on a larger network the tree with them folded in."""
        if not common or self.fixed:
            return self
        # many variables, or large cliques (known from a triangulation that is cheap here)
        if self.free_count < FOLD_VARIABLES and sum(self.sizes) <= FOLD_FROM:
            return self
        return self.folded(common)

    def groups(self, scenarios: Sequence[Mapping[str, int]]) -> list[list[int]] | None:
        """On a network whose whole tree is costly to pass (above SPLIT_FROM entries), a batch
        in two groups: the scenarios that share the claim and source observations at least half
        of them make, which are then folded into a smaller tree, and the rest (the prior beside
        the posterior; a trajectory's later prefixes beside its earlier ones). None to calibrate
        the batch in one pass."""
        if len(scenarios) < 2 or self.fixed or self.free_count < FOLD_VARIABLES and sum(self.sizes) <= SPLIT_FROM:
            return None
        counts: dict[tuple[str, int], int] = defaultdict(int)
        for scenario in scenarios:
            for pair in scenario.items():
                if pair[0] in self.order:
                    counts[pair] += 1
        shared = {pair for pair, count in counts.items() if 2 * count >= len(scenarios)}
        if not shared:
            return None
        inside = [b for b, s in enumerate(scenarios) if shared <= set(s.items())]
        if not inside or len(inside) == len(scenarios):
            return None
        chosen = set(inside)
        return [inside, [b for b in range(len(scenarios)) if b not in chosen]]

    def folded(self, fixed: Mapping[str, int]) -> JunctionTree:
        """The tree of this network with ``fixed`` (claim or source → observed state index) folded
        into the tables; built once per evidence set (the last few are kept)."""
        key = tuple(sorted(fixed.items()))
        found = self._folded.pop(key, None)
        if found is None:
            found = JunctionTree(self.network, fixed)
            while len(self._folded) >= _FOLDED_KEPT:
                del self._folded[next(iter(self._folded))]  # the least recently used
        self._folded[key] = found
        return found

    def in_order(self, names: Iterable[str]) -> tuple[str, ...]:
        """Tree variables in the global order that every factor's axes follow."""
        return tuple(sorted(names, key=self.order.__getitem__))

    def clique_holding(self, scope: Sequence[str]) -> int:
        """The smallest clique that contains every variable of ``scope``."""
        if type(scope) is tuple and scope in self._cache:  # already in order, as most callers pass it
            return self._cache[scope]
        key = self.in_order(scope)
        if key not in self._cache:
            if len(key) == 1:
                holding = self._holders[key[0]]
            else:
                wanted = set(key)
                holding = [c for c in self._holders[key[0]] if wanted.issubset(self.cliques[c])]
            if not holding:
                raise ValueError(f"no clique holds {key}")
            sizes = self.sizes
            self._cache[key] = min(holding, key=lambda c: (sizes[c], c))
        return self._cache[key]

    # ------------------------------------------------------------------ building potentials

    def family_factor(self, name: str, cpt: np.ndarray | None = None) -> Factor:
        """A claim's or source's CPT as a factor in global order; ``cpt`` may carry a batch axis."""
        var = self.network.variables[name]
        table = var.cpt[None] if cpt is None else cpt
        if table.ndim == var.cpt.ndim:
            table = table[None]
        family = (*var.parents, name)
        return self._fold(*self._reorder(family, table))

    def item_factor(self, name: str, observed: np.ndarray, cpt: np.ndarray | None = None) -> Factor:
        """An item's likelihood over its parents: P(observed state | parents), shape (B, *parents).

        ``observed`` holds, per scenario, the item's observed state index or -1 (not observed: a
        factor of ones)."""
        var = self.network.variables[name]
        table = var.cpt[None] if cpt is None else (cpt if cpt.ndim > var.cpt.ndim else cpt[None])
        observed = np.asarray(observed).reshape(-1)
        index = np.clip(observed, 0, None).reshape((-1,) + (1,) * (table.ndim - 1))
        picked = np.take_along_axis(table, index, axis=-1)[..., 0]
        picked = np.where(observed.reshape((-1,) + (1,) * (picked.ndim - 1)) < 0, 1.0, picked)
        return self._fold(*self._reorder(var.parents, picked))

    def state_factor(self, name: str, index: np.ndarray) -> Factor:
        """Hard evidence on a claim: a one-hot vector per scenario (all ones where index is -1)."""
        index = np.asarray(index).reshape(-1)
        table = np.zeros((len(index), self.cards[name]))
        if len(index) == 1:  # one scenario (the common case) without the fancy indexing
            table[0, int(index[0]) if index[0] >= 0 else slice(None)] = 1.0
            return (name,), table
        table[np.arange(len(index)), np.clip(index, 0, None)] = 1.0
        table[index < 0] = 1.0
        return (name,), table

    def _fold(self, scope: tuple[str, ...], table: np.ndarray) -> Factor:
        """A factor (global order, batch axis first) sliced at the fixed variables' states."""
        if not self.fixed or not any(v in self.fixed for v in scope):
            return scope, table
        index = (slice(None),) + tuple(self.fixed.get(v, slice(None)) for v in scope)
        return tuple(v for v in scope if v not in self.fixed), table[index]

    def _reorder(self, scope: Sequence[str], table: np.ndarray) -> Factor:
        ordered = self.in_order(scope)
        if tuple(scope) != ordered:
            positions = [0] + [1 + list(scope).index(v) for v in ordered]
            table = np.transpose(table, positions)
        return ordered, table

    # ------------------------------------------------------------------ calibration

    def calibrate(self, factors: Iterable[Factor], cpts: Mapping[str, np.ndarray] | None = None,
                  batch: int = 1) -> Calibration:
        """Multiply the CPTs (``cpts`` overrides some, batched) and the evidence ``factors`` into
        the cliques, pass messages both ways and return every marginal for each of ``batch``
        scenarios (more if the factors say so).

        The memory it needs is worked out before anything is allocated: a batch too big for
        :func:`memory_limit` is calibrated in slices, and a network too big even for one
        scenario raises :class:`~argmap.errors.ArgmapError` saying what it would need."""
        cpts = dict(cpts or {})
        evidence = _combine_evidence(self._fold(scope, table) for scope, table in factors)
        width = max([1, *(t.shape[0] for _, t, _ in evidence),
                     *(c.shape[0] for n, c in cpts.items() if c.ndim > self.network.variables[n].cpt.ndim)])
        return self._calibrate(evidence, cpts, width, max(batch, width))

    def _calibrate(self, evidence: list, cpts: dict[str, np.ndarray], width: int, batch: int) -> Calibration:
        plan = self._plan(evidence, cpts, width)
        limit = memory_limit() if plan.bytes > _CHECK_FROM or MEMORY_ENV in os.environ else plan.bytes
        if plan.bytes > limit:
            step = width
            while step > 1 and self._sliced_plan(evidence, cpts, step, width).bytes > limit:
                step = (step + 1) // 2
            if step < width and self._sliced_plan(evidence, cpts, step, width).bytes <= limit:
                parts = []
                for start in range(0, width, step):
                    stop = min(start + step, width)
                    parts.append(self._calibrate(_slice_evidence(evidence, start, stop, width),
                                                 _slice_cpts(cpts, self.network, start, stop, width),
                                                 stop - start, stop - start))
                return _Chunked(parts)
            raise self._too_large(plan, limit)
        try:
            if not any(plan.lazy):
                return self._run(plan, evidence, cpts, width, batch)
            with _one_blas_thread():
                return self._run(plan, evidence, cpts, width, batch)
        except MemoryError:  # the estimate is a bound on argmap's tables, not on the machine
            raise self._too_large(plan, limit) from None

    def _sliced_plan(self, evidence: list, cpts: Mapping[str, np.ndarray], step: int, width: int) -> _Plan:
        return self._plan(_slice_evidence(evidence, 0, step, width), _slice_cpts(cpts, self.network, 0, step, width),
                          step)

    def _plan(self, evidence: list, cpts: Mapping[str, np.ndarray], width: int) -> _Plan:
        """Which cliques stay lazy, the contractions they need and the bytes the pass will hold."""
        lazy = [size * width > LAZY_FROM for size in self.sizes]
        batched = {n for n, c in cpts.items() if c.ndim > self.network.variables[n].cpt.ndim and c.shape[0] > 1}
        where: list[list[tuple[tuple[str, ...], bool]]] = [[] for _ in self.cliques]
        for scope, table, _ in evidence:
            if scope:  # an evidence factor over fixed variables only is a number, kept in the scale
                where[self.clique_holding(scope)].append((scope, table.shape[0] > 1))
        contractions: dict[tuple, _Contraction] = {}
        static = beliefs = transient = messages = 0
        largest, worst = 0, 0
        for c, clique in enumerate(self.cliques):
            size = self.sizes[c]
            sep = self.separator[c]
            messages += 2 * math.prod(self.cards[v] for v in sep) * width
            incoming = len(self.children[c]) + (self.parent[c] >= 0)
            if not lazy[c]:
                static += size
                beliefs += size * width
                if (incoming + 2) * size * width > transient:
                    transient = (incoming + 2) * size * width
                if size * width > largest:
                    largest, worst = size * width, c
                continue
            local = [(self.family_scope[n], n in batched) for n in self.assigned[c]] + where[c]
            ups = [(self.separator[k], width > 1) for k in self.children[c]]
            down = [(sep, width > 1)] if self.parent[c] >= 0 else []
            jobs = [("up", c, -1, local + ups, sep if self.parent[c] >= 0 else ())]
            for i, k in enumerate(self.children[c]):
                jobs.append(("down", c, k, local + down + ups[:i] + ups[i + 1:], self.separator[k]))
            for role, _, k, operands, out in jobs:
                job = self._contraction(operands, out, width)
                contractions[(role, c, k)] = job
                if job.largest > largest:
                    largest, worst = job.largest, c
                transient = max(transient, 3 * job.largest)
        total = 8 * (static + beliefs + messages + transient)
        return _Plan(lazy, contractions, total, largest, worst)

    def _contraction(self, operands: Sequence[tuple[tuple[str, ...], bool]], out: tuple[str, ...],
                     width: int) -> _Contraction:
        """An einsum over factors (scope, batched?) to ``out`` (plus the batch axis), its path
        optimised once and cached by the shapes it sees."""
        key = (tuple(operands), out, width)
        found = self._contractions.get(key)
        if found is not None:
            return found
        import opt_einsum

        letters: dict[str, str] = {}

        def term(scope: Sequence[str]) -> str:
            for v in scope:
                if v not in letters:
                    letters[v] = opt_einsum.get_symbol(len(letters) + 1)
            return "".join(letters[v] for v in scope)

        beta = opt_einsum.get_symbol(0)
        terms, shapes = [], []
        for scope, is_batched in operands:
            terms.append((beta if is_batched else "") + term(scope))
            shapes.append(((width,) if is_batched else ()) + tuple(self.cards[v] for v in scope))
        seen = set().union(*(scope for scope, _ in operands)) if operands else set()
        ones = tuple(v for v in out if v not in seen)  # an output axis no factor mentions: all ones
        for v in ones:
            terms.append(term((v,)))
            shapes.append((self.cards[v],))
        keep_batch = any(b for _, b in operands)
        equation = ",".join(terms) + "->" + (beta if keep_batch else "") + term(out)
        # a clique of up to a million entries costs milliseconds whatever the path: the greedy one
        # is found in microseconds, where opt_einsum's branch search takes milliseconds per message
        whole = math.prod(self.cards[v] for v in seen | set(ones)) * (width if keep_batch else 1)
        path, info = opt_einsum.contract_path(equation, *shapes, shapes=True,
                                              optimize="greedy" if whole <= GREEDY_PATH_UP_TO else "auto")
        steps = []
        for contraction in info.contraction_list:
            positions, text = contraction[0], contraction[2]
            inputs, output = text.split("->")
            steps.append((tuple(positions), tuple(inputs.split(",")), output))
        expression = _Steps(tuple(steps), tuple(terms), equation.split("->")[1])
        found = _Contraction(expression, tuple(self.cards[v] for v in ones), tuple(b for _, b in operands), width,
                             keep_batch,
                             max(int(info.largest_intermediate), math.prod(shapes[0]) if shapes else 1))
        self._contractions[key] = found
        return found

    def _run(self, plan: _Plan, evidence: list, cpts: Mapping[str, np.ndarray], width: int,
             batch: int) -> Calibration:
        lazy = plan.lazy
        count = len(self.cliques)
        local: list[list[Factor]] = [[] for _ in self.cliques]  # lazy cliques: their factor lists
        psi: list[np.ndarray | None] = [None] * count
        log_scale = np.zeros(1)
        extra: list[list[tuple[tuple[str, ...], np.ndarray]]] = [[] for _ in self.cliques]
        for scope, table, shift in evidence:
            if scope:
                extra[self.clique_holding(scope)].append((scope, table))
            log_scale = log_scale + shift
        for name in self.constants:  # P(fixed state | fixed parents): a number per scenario
            with np.errstate(divide="ignore"):
                log_scale = log_scale + np.log(self.family(name, cpts.get(name))[1])
        for c in range(count):
            if lazy[c]:
                local[c] = [self.family(n, cpts.get(n)) for n in self.assigned[c]] + extra[c]
            else:
                table = self._dense_psi(c, cpts)
                for scope, values in extra[c]:
                    table = table * self._expand(values, scope, c)
                psi[c] = table
        log_scale = np.broadcast_to(log_scale, (width,)).copy()

        up: list[np.ndarray] = [np.empty(0)] * count
        for c in reversed(self.topdown):  # leaves first
            if lazy[c]:
                operands = local[c] + [(self.separator[k], up[k]) for k in self.children[c]]
                message = _apply(plan.contractions[("up", c, -1)], operands)
                if self.parent[c] < 0:
                    message = message.reshape(message.shape[0], -1)
                message, shift = _rescale(message)
                up[c] = message
                log_scale = log_scale + shift
                continue
            table = psi[c]
            for child in self.children[c]:
                table = table * up[child].reshape((-1,) + self._in_parent[child])
            if self.parent[c] >= 0:
                axes = self._sum_axes[c]
                message, shift = _rescale(table.sum(axis=axes) if axes else table)
                up[c] = message
            else:
                message, shift = _rescale(table.reshape(table.shape[0], -1).sum(axis=1, keepdims=True))
            log_scale = log_scale + shift

        down: list[np.ndarray] = [np.empty(0)] * count
        beliefs: list[np.ndarray | None] = [None] * count
        for c in self.topdown:  # root first
            if lazy[c]:
                base = local[c] + ([(self.separator[c], down[c])] if self.parent[c] >= 0 else [])
                ups = [(self.separator[k], up[k]) for k in self.children[c]]
                for i, k in enumerate(self.children[c]):
                    message = _apply(plan.contractions[("down", c, k)], base + ups[:i] + ups[i + 1:])
                    down[k], _ = _rescale(message)
                continue
            incoming = []
            if self.parent[c] >= 0:
                incoming.append(down[c].reshape((-1,) + self._in_self[c]))
            incoming += [up[k].reshape((-1,) + self._in_parent[k]) for k in self.children[c]]
            # products of all incoming messages but one, from prefix and suffix products
            prefix = [psi[c]]
            for m in incoming:
                prefix.append(prefix[-1] * m)
            beliefs[c] = prefix[-1]
            suffix = None
            offset = 1 if self.parent[c] >= 0 else 0
            for i in range(len(incoming) - 1, offset - 1, -1):
                child = self.children[c][i - offset]
                without = prefix[i] if suffix is None else prefix[i] * suffix
                axes = self._down_axes[child]
                down[child], _ = _rescale(without.sum(axis=axes) if axes else without)
                suffix = incoming[i] if suffix is None else suffix * incoming[i]
        if batch > width:
            log_scale = np.broadcast_to(log_scale, (batch,)).copy()
        state = _LazyState(self, local, up, down, width) if any(lazy) else None
        return Calibration(self, beliefs, log_scale, state)

    def family(self, name: str, cpt: np.ndarray | None = None) -> Factor:
        """:meth:`family_factor`, cached for the network's own tables."""
        if cpt is not None:
            return self.family_factor(name, cpt)
        found = self._families.get(name)
        if found is None:
            found = self._families[name] = self.family_factor(name)
        return found

    def _dense_psi(self, c: int, cpts: Mapping[str, np.ndarray]) -> np.ndarray:
        """A small clique's product of its CPTs (``cpts`` overriding some); cached when none is."""
        overridden = [n for n in self.assigned[c] if n in cpts]
        if not overridden and c in self._static_psi:
            return self._static_psi[c]
        shape = (1,) + tuple(self.cards[v] for v in self.cliques[c])
        table = None
        for name in self.assigned[c]:
            scope, values = self.family(name, cpts.get(name))
            table = self._expand(values, scope, c) if table is None else table * self._expand(values, scope, c)
        if table is None or table.shape[1:] != shape[1:]:  # axes no table spans: ones along them
            table = np.ones(shape) if table is None else table * np.ones(shape)
        if not overridden:
            self._static_psi[c] = table
        return table

    def _too_large(self, plan: _Plan, limit: int) -> ArgmapError:
        # the claims with most parents first: they are the ones to simplify
        clique = sorted(self.cliques[plan.worst], key=lambda v: -len(self.network.variables[v].parents))
        shown = ", ".join(clique[:12]) + (f" and {len(clique) - 12} more" if len(clique) > 12 else "")
        return ArgmapError.at(
            Location("argmap"),
            f"this network is too large to compute exactly: it needs about {_bytes(plan.bytes)} of memory "
            f"(its largest table has {plan.largest:,} numbers, over {shown}) and argmap allows itself "
            f"{_bytes(limit)}. Give these claims fewer parents ('given') or fewer states, split the "
            f"model, or, on a machine with more memory, raise the allowance with the environment "
            f"variable {MEMORY_ENV} (e.g. {MEMORY_ENV}=32G)")

    def _expand(self, table: np.ndarray, scope: Sequence[str], clique: int) -> np.ndarray:
        """A factor in global order, reshaped to broadcast against the clique's table."""
        shape = [table.shape[0]] + [self.cards[v] if v in scope else 1 for v in self.cliques[clique]]
        return table.reshape(shape)


#: entries × batch above which a clique's table is never built: its messages and marginals are
#: contractions of its factor list (small tables are faster multiplied out, in few numpy calls)
LAZY_FROM = 1 << 15
#: the environment variable that sets the memory argmap's engine allows itself (bytes, or with a
#: K, M, G or T suffix); by default half the memory available when a large pass starts
MEMORY_ENV = "ARGMAP_MEMORY_LIMIT"
_CHECK_FROM = 64 << 20  # passes smaller than this never ask the system how much memory is free
#: total clique entries above which evidence common to a whole batch is folded into the tables
#: (a tree triangulated without the observed variables); below it one tree serves every batch
FOLD_FROM = 1 << 15
FOLD_VARIABLES = 64  # …or claims and sources from which it is folded whatever the cliques
_STRUCTURE = frozenset(("cliques", "neighbours", "_cache", "_holders", "sizes", "assigned", "constants", "home",
                        "home_axes", "roots", "parent", "topdown", "children", "separator", "_sum_axes",
                        "_in_self", "_in_parent", "_down_axes"))
_FOLDED_KEPT = 8  # folded trees kept per network (one per evidence set, least recently used dropped)
#: total clique entries above which a batch whose scenarios observe different claims may be
#: calibrated in two groups (see JunctionTree.groups)
SPLIT_FROM = 1 << 20
#: entries (× batch) of a lazy clique up to which its contraction paths are found greedily
GREEDY_PATH_UP_TO = 1 << 20
#: total clique entries of the min-fill tree above which min-weight is tried too (and kept if smaller)
TRY_WEIGHT_FROM = 1 << 20


_BLAS: list = []


def _one_blas_thread():
    """Lazy contractions run many small matrix products: a threaded BLAS spends longer waking its
    threads than computing them (40 ms instead of 0.1 ms for a 64×48×192 product on a busy
    machine), so they run on one thread."""
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency; without it BLAS keeps its threads
            import contextlib

            _BLAS.append(None)
            return contextlib.nullcontext()
        _BLAS.append(ThreadpoolController())
    if _BLAS[0] is None:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return _BLAS[0].limit(limits=1, user_api="blas")


def memory_limit() -> int:
    """Bytes one calibration may hold: ``$ARGMAP_MEMORY_LIMIT``, else half the available memory."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
        number = text.upper().removesuffix("B").removesuffix("I")  # 8G, 8GB and 8GiB alike
        scale = units.get(number[-1:], 1)
        number = number[:-1] if number[-1:] in units else number
        try:
            return int(float(number) * scale)
        except ValueError:
            raise ArgmapError.at(Location(MEMORY_ENV), f"{MEMORY_ENV}={text!r} is not a size; write bytes "
                                                      "or a number with K, M, G or T, e.g. 8G") from None
    return _available_memory() // 2


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 << 30


def _bytes(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""  # pragma: no cover


@attrs.frozen
class _Contraction:
    expression: object  # opt_einsum's compiled expression
    ones: tuple[int, ...]  # cards of output axes that no factor mentions
    flags: tuple[bool, ...]  # which operands carry the batch axis
    width: int
    batched: bool  # the result carries the batch axis (else it is added, of size 1)
    largest: int  # entries of the largest array it builds


@attrs.frozen
class _Plan:
    lazy: list[bool]
    contractions: dict
    bytes: int
    largest: int  # entries of the largest table or intermediate
    worst: int  # the clique it belongs to


def _apply(job: _Contraction, operands: Sequence[tuple[tuple[str, ...], np.ndarray]]) -> np.ndarray:
    """Run a planned contraction on (scope, table with batch axis) operands."""
    arrays = []
    for (_, table), batched in zip(operands, job.flags):
        if not batched:
            arrays.append(table[0])
        elif table.shape[0] != job.width:  # a message that happens not to vary across the batch
            arrays.append(np.broadcast_to(table, (job.width,) + table.shape[1:]))
        else:
            arrays.append(table)
    arrays += [np.ones(card) for card in job.ones]
    result = job.expression(*arrays)
    return result if job.batched else result[None]


class _Steps:
    """A contraction path executed pairwise: each pair as a batched matrix product (or a
    broadcast product when nothing is summed), which numpy runs far faster than the general
    einsum loop it would otherwise fall back to when the two share an axis that is kept."""

    def __init__(self, steps: tuple, terms: tuple[str, ...], output: str):
        self.steps, self.terms, self.output = steps, terms, output

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        operands = list(arrays)
        for positions, inputs, output in self.steps:
            picked = [operands.pop(i) for i in positions]
            if len(picked) == 1:
                result = _reduce(picked[0], inputs[0], output)
            else:
                result = _pair(picked[0], inputs[0], picked[1], inputs[1], output)
            operands.append(result)
        return operands[0]


def _reduce(a: np.ndarray, sa: str, out: str) -> np.ndarray:
    axes = tuple(i for i, x in enumerate(sa) if x not in out)
    if axes:
        a = a.sum(axis=axes)
        sa = "".join(x for x in sa if x in out)
    return a.transpose([sa.index(x) for x in out]) if sa != out else a


def _pair(a: np.ndarray, sa: str, b: np.ndarray, sb: str, out: str) -> np.ndarray:
    """The einsum ``sa,sb->out`` of two arrays, through matmul or broadcasting."""
    # an axis in one operand only and not kept is summed out of it first
    a_only = "".join(x for x in sa if x not in sb and x not in out)
    if a_only:
        a = _reduce(a, sa, "".join(x for x in sa if x not in a_only))
        sa = "".join(x for x in sa if x not in a_only)
    b_only = "".join(x for x in sb if x not in sa and x not in out)
    if b_only:
        b = _reduce(b, sb, "".join(x for x in sb if x not in b_only))
        sb = "".join(x for x in sb if x not in b_only)
    summed = "".join(x for x in sa if x in sb and x not in out)
    if not summed:  # a product with nothing summed: broadcast both straight into the output's order
        return _aligned(a, sa, out) * _aligned(b, sb, out)
    kept = "".join(x for x in sa if x in sb and x in out)
    free_a = "".join(x for x in sa if x not in sb)
    free_b = "".join(x for x in sb if x not in sa)
    size = dict(zip(sa, a.shape)) | dict(zip(sb, b.shape))
    k = math.prod(size[x] for x in kept)
    m = math.prod(size[x] for x in free_a)
    n = math.prod(size[x] for x in free_b)
    s = math.prod(size[x] for x in summed)
    at = a.transpose([sa.index(x) for x in kept + free_a + summed]).reshape(k, m, s)
    bt = b.transpose([sb.index(x) for x in kept + summed + free_b]).reshape(k, s, n)
    have = kept + free_a + free_b
    product = np.matmul(at, bt).reshape(tuple(size[x] for x in have))
    if have == out:
        return product
    # a contiguous result in the output's order: later products read it without strided copies
    return np.ascontiguousarray(product.transpose([have.index(x) for x in out]))


def _aligned(a: np.ndarray, sa: str, out: str) -> np.ndarray:
    """A view of ``a`` with its axes in the order of ``out`` and size 1 where it has none."""
    present = [x for x in out if x in sa]
    if "".join(present) != sa:
        a = a.transpose([sa.index(x) for x in present])
    return a.reshape(tuple(a.shape[present.index(x)] if x in sa else 1 for x in out))


class _LazyState:
    """What a lazy clique keeps after a pass: its factor list and the messages around it."""

    def __init__(self, tree: JunctionTree, local: list[list[Factor]], up: list[np.ndarray],
                 down: list[np.ndarray], width: int):
        self.tree, self.local, self.up, self.down, self.width = tree, local, up, down, width

    def joint(self, c: int, scope: tuple[str, ...]) -> np.ndarray:
        tree = self.tree
        wanted = set(scope)
        # a separator that holds the scope gives it cheaply: its belief is the product of the
        # two messages that cross it (Shafer–Shenoy)
        edges = [k for k in (c, *tree.children[c]) if tree.parent[k] >= 0 and wanted <= set(tree.separator[k])]
        if edges:
            k = min(edges, key=lambda e: len(tree.separator[e]))
            sep = tree.separator[k]
            table = self.up[k] * self.down[k]
            axes = tuple(1 + i for i, v in enumerate(sep) if v not in wanted)
            return table.sum(axis=axes) if axes else table
        operands = self.local[c] + ([(tree.separator[c], self.down[c])] if tree.parent[c] >= 0 else [])
        operands += [(tree.separator[k], self.up[k]) for k in tree.children[c]]
        signature = [(s, t.shape[0] > 1) for s, t in operands]
        return _apply(tree._contraction(signature, scope, self.width), operands)


def _slice_evidence(evidence: list, start: int, stop: int, width: int) -> list:
    return [(scope, table[start:stop] if table.shape[0] == width else table,
             shift[start:stop] if shift.shape[0] == width else shift) for scope, table, shift in evidence]


def _slice_cpts(cpts: Mapping[str, np.ndarray], network: Network, start: int, stop: int, width: int) -> dict:
    return {n: c[start:stop] if c.ndim > network.variables[n].cpt.ndim and c.shape[0] == width else c
            for n, c in cpts.items()}


def _rescale(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Divide each scenario's table by its largest entry; return it with log of that scale
    (-inf where the table is all zero: the evidence is impossible)."""
    if table.shape[0] == 1:  # the common case, without the per-row bookkeeping
        peak1 = float(table.max())
        if peak1 > 0:
            return table / peak1, np.array([math.log(peak1)])
        return table, np.array([-np.inf])
    peak = table.reshape(table.shape[0], -1).max(axis=1)
    safe = np.where(peak > 0, peak, 1.0)
    with np.errstate(divide="ignore"):
        shift = np.where(peak > 0, np.log(safe), -np.inf)
    return table / safe.reshape((-1,) + (1,) * (table.ndim - 1)), shift


def _combine_evidence(factors: Iterable[Factor]) -> list[tuple[tuple[str, ...], np.ndarray, np.ndarray]]:
    """Multiply evidence factors of the same scope in log space (thousands of items on one claim
    would underflow as a plain product); return (scope, rescaled table, log scale)."""
    grouped: dict[tuple[str, ...], list[np.ndarray]] = defaultdict(list)
    for scope, table in factors:
        grouped[scope].append(table)
    combined = []
    for scope, tables in grouped.items():
        if len(tables) == 1:  # nothing to multiply: only the scale to take out
            combined.append((scope, *_rescale(tables[0])))
            continue
        batch = max(t.shape[0] for t in tables)
        with np.errstate(divide="ignore"):
            logs = sum(np.log(np.broadcast_to(t, (batch,) + t.shape[1:])) for t in tables)
        peak = logs.reshape(batch, -1).max(axis=1)
        finite = np.isfinite(peak)
        shift = np.where(finite, peak, -np.inf)
        table = np.exp(logs - np.where(finite, peak, 0).reshape((-1,) + (1,) * (logs.ndim - 1)))
        table = np.where(finite.reshape((-1,) + (1,) * (logs.ndim - 1)), table, 0.0)
        combined.append((scope, table, shift))
    return combined


# ---------------------------------------------------------------------------- structure


def _smaller_tree(
    variables: Sequence[str],
    scopes: Sequence[Sequence[str]],
    cards: Mapping[str, int],
    order: Mapping[str, int],
) -> tuple[list[tuple[str, ...]], list[set[int]]]:
    """The junction tree of min-fill, or, when its cliques are large, of min-weight if that one's
    cliques hold fewer entries in all. Neither heuristic wins everywhere: min-weight halves
    munin1's tree (430 → 195 million entries, pyAgrum's size) and min-fill keeps link's at a
    third of min-weight's; a second triangulation costs milliseconds against a pass over
    millions of entries."""
    cliques, neighbours = _build_tree(variables, scopes, cards, order)
    entries = sum(math.prod(cards[v] for v in clique) for clique in cliques)
    if entries <= TRY_WEIGHT_FROM:
        return cliques, neighbours
    other, other_neighbours = _build_tree(variables, scopes, cards, order, by_weight=True)
    if sum(math.prod(cards[v] for v in clique) for clique in other) < entries:
        return other, other_neighbours
    return cliques, neighbours


def _build_tree(
    variables: Sequence[str],
    scopes: Iterable[Sequence[str]],
    cards: Mapping[str, int],
    order: Mapping[str, int],
    by_weight: bool = False,
) -> tuple[list[tuple[str, ...]], list[set[int]]]:
    """Triangulate the moral graph by greedy min-fill (ties: smallest clique weight), or with
    ``by_weight`` by greedy min-weight (the vertex whose clique has the fewest entries; ties:
    fewest fill-in edges), keep the maximal cliques and join them by a maximum-weight spanning
    forest on separator size."""
    # adjacency both as sets (to iterate) and as bitsets (to count fill-in edges by bit operations)
    index = {v: i for i, v in enumerate(variables)}
    near: list[set[int]] = [set() for _ in variables]
    for scope in scopes:
        members = [index[v] for v in scope]
        for a in members:
            near[a].update(members)
    for i in range(len(variables)):
        near[i].discard(i)
    mask = [sum(1 << a for a in nbrs) for nbrs in near]
    log_card = [math.log(cards[v]) for v in variables]

    weight = [log_card[i] + math.fsum(log_card[a] for a in near[i]) for i in range(len(variables))]

    def score(i: int) -> tuple[float, float, int]:
        own = mask[i]
        # each neighbour a: neighbours of i that a is not joined to (a itself is among them once)
        missing = sum((own & ~mask[a]).bit_count() - 1 for a in near[i]) // 2
        return (weight[i], missing, i) if by_weight else (missing, weight[i], i)

    scores = {i: score(i) for i in range(len(variables))}
    # a heap of scores with stale entries skipped when popped: the vertex of least score in
    # O(log n), not a scan of every vertex left (munin's thousand vertices: a million key calls)
    heap = [(s, i) for i, s in scores.items()]
    heapq.heapify(heap)
    position = [0] * len(variables)
    cliques: list[frozenset[int]] = []
    while scores:
        found, v = heapq.heappop(heap)
        if scores.get(v) != found:
            continue
        del scores[v]
        nbrs = near[v]
        position[v] = len(cliques)
        cliques.append(frozenset((*nbrs, v)))
        joined = mask[v]
        for a in nbrs:
            gained = nbrs - near[a]
            gained.discard(a)
            weight[a] += sum(log_card[u] for u in gained) - log_card[v]
            near[a] |= gained
            near[a].discard(v)
            mask[a] = (mask[a] | joined) & ~(1 << a) & ~(1 << v)
        # fill-in changes only for the clique's members and for nodes next to two of them
        affected = set(nbrs)
        for a in nbrs:
            affected.update(u for u in near[a] if (mask[u] & joined).bit_count() >= 2)
        near[v] = set()
        mask[v] = 0
        for a in affected:
            if a in scores:
                renewed = score(a)
                if renewed != scores[a]:
                    scores[a] = renewed
                    heapq.heappush(heap, (renewed, a))
    # The elimination tree: the clique of v hangs from the clique of the first vertex of N(v) to be
    # eliminated after v, which holds all of N(v) — the running intersection property for free.
    parent = []
    for k, clique in enumerate(cliques):
        later = [position[u] for u in clique if position[u] > k]
        parent.append(min(later) if later else -1)
    # A clique that another holds is one of its children's (no later clique contains the vertex
    # eliminated with it): the child takes its place, and its other children move to the child.
    children: list[list[int]] = [[] for _ in cliques]
    for k, p in enumerate(parent):
        if p >= 0:
            children[p].append(k)
    removed = [False] * len(cliques)
    for k in range(len(cliques)):
        holder = next((j for j in children[k] if cliques[k] <= cliques[j]), None)
        if holder is None:
            continue
        removed[k] = True
        parent[holder] = parent[k]
        if parent[k] >= 0:
            children[parent[k]] = [holder if c == k else c for c in children[parent[k]]]
        for j in children[k]:
            if j != holder:
                parent[j] = holder
                children[holder].append(j)
        children[k] = []
    kept = [k for k in range(len(cliques)) if not removed[k]]
    number = {k: i for i, k in enumerate(kept)}
    neighbours: list[set[int]] = [set() for _ in kept]
    for k in kept:
        if parent[k] >= 0:
            a, b = number[k], number[parent[k]]
            neighbours[a].add(b)
            neighbours[b].add(a)
    ordered = [tuple(sorted((variables[i] for i in cliques[k]), key=order.__getitem__)) for k in kept]
    return ordered, neighbours


def _orient(count: int, neighbours: list[set[int]]) -> tuple[list[int], list[int], list[int]]:
    """Roots, parent of each clique (-1 for a root) and a root-first order, per tree of the forest."""
    parent = [-2] * count
    roots, topdown = [], []
    for start in range(count):
        if parent[start] != -2:
            continue
        parent[start] = -1
        roots.append(start)
        queue = [start]
        while queue:
            c = queue.pop()
            topdown.append(c)
            for n in sorted(neighbours[c]):
                if parent[n] == -2:
                    parent[n] = c
                    queue.append(n)
    return roots, parent, topdown
