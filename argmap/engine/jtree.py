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

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from argmap.engine.compile import Network

__all__ = ["JunctionTree", "Calibration"]

#: a factor over ``scope`` (variables in the tree's global order) with a leading batch axis
Factor = tuple[tuple[str, ...], np.ndarray]


class Calibration:
    """The result of one pass: every tree variable's marginal, and log P(evidence), per scenario."""

    def __init__(self, tree: JunctionTree, beliefs: list[np.ndarray], log_evidence: np.ndarray):
        self._tree = tree
        self._beliefs = beliefs  # per clique, (B, *cards), unnormalised
        self.log_evidence = log_evidence  # (B,), -inf where the evidence is impossible
        self.possible = np.isfinite(log_evidence)
        self._all_possible = bool(self.possible.all())

    def marginal(self, name: str) -> np.ndarray:
        """(B, states) for a claim or source; NaN rows where the evidence is impossible."""
        clique, axes = self._tree.home_axes[name]
        table = self._beliefs[clique]
        table = table.sum(axis=axes) if axes else table
        totals = table.sum(axis=1, keepdims=True)
        if self._all_possible:
            return table / totals
        with np.errstate(invalid="ignore", divide="ignore"):
            marginal = table / totals
        # evidence impossible in another part of a disconnected network still makes it impossible
        return np.where(self.possible[:, None], marginal, np.nan)

    def joint(self, scope: Sequence[str]) -> np.ndarray:
        """(B, *cards) normalised joint of variables that share a clique (in global order)."""
        clique = self._tree.clique_holding(scope)
        variables = self._tree.cliques[clique]
        keep = [1 + variables.index(v) for v in scope]
        table = self._beliefs[clique]
        table = table.sum(axis=tuple(a for a in range(1, table.ndim) if a not in keep))
        flat = _normalise_rows(table.reshape(table.shape[0], -1))
        flat = np.where(self.possible[:, None], flat, np.nan)
        return flat.reshape(table.shape)


def _normalise_rows(table: np.ndarray) -> np.ndarray:
    totals = table.reshape(table.shape[0], -1).sum(axis=1).reshape((-1,) + (1,) * (table.ndim - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, table / np.where(totals > 0, totals, 1), np.nan)


class JunctionTree:
    """The compiled structure: cliques, a spanning forest over them, and where each table goes."""

    def __init__(self, network: Network):
        self.network = network
        tree_vars = [n for n, v in network.variables.items() if v.kind != "evidence"]
        self.order = {n: i for i, n in enumerate(tree_vars)}
        self.cards = {n: len(network.variables[n].states) for n in tree_vars}
        families = [self.in_order((*v.parents, n)) for n, v in network.variables.items() if v.kind != "evidence"]
        # items are not in the tree, but their parents must share a clique to take their likelihood
        item_scopes = [self.in_order(v.parents) for v in network.variables.values() if v.kind == "evidence"]
        self.cliques, self.neighbours = _build_tree(tree_vars, [*families, *item_scopes], self.cards, self.order)
        self._cache: dict[tuple[str, ...], int] = {}
        self._holders: dict[str, list[int]] = defaultdict(list)
        for c, clique in enumerate(self.cliques):
            for v in clique:
                self._holders[v].append(c)
        self._static: list[np.ndarray] | None = None
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

    def in_order(self, names: Iterable[str]) -> tuple[str, ...]:
        """Tree variables in the global order that every factor's axes follow."""
        return tuple(sorted(names, key=self.order.__getitem__))

    def clique_holding(self, scope: Sequence[str]) -> int:
        """The smallest clique that contains every variable of ``scope``."""
        key = self.in_order(scope)
        if key not in self._cache:
            wanted = set(key)
            holding = [c for c in self._holders[key[0]] if wanted <= set(self.cliques[c])]
            if not holding:
                raise ValueError(f"no clique holds {key}")
            self._cache[key] = min(holding, key=lambda c: (math.prod(self.cards[v] for v in self.cliques[c]), c))
        return self._cache[key]

    # ------------------------------------------------------------------ building potentials

    def family_factor(self, name: str, cpt: np.ndarray | None = None) -> Factor:
        """A claim's or source's CPT as a factor in global order; ``cpt`` may carry a batch axis."""
        var = self.network.variables[name]
        table = var.cpt[None] if cpt is None else cpt
        if table.ndim == var.cpt.ndim:
            table = table[None]
        family = (*var.parents, name)
        return self._reorder(family, table)

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
        return self._reorder(var.parents, picked)

    def state_factor(self, name: str, index: np.ndarray) -> Factor:
        """Hard evidence on a claim: a one-hot vector per scenario (all ones where index is -1)."""
        index = np.asarray(index).reshape(-1)
        table = np.zeros((len(index), self.cards[name]))
        table[np.arange(len(index)), np.clip(index, 0, None)] = 1.0
        table[index < 0] = 1.0
        return (name,), table

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
        scenarios (more if the factors say so)."""
        psi = list(self._cpt_potentials(cpts or {}))
        log_scale = np.zeros(1)
        for scope, table, shift in _combine_evidence(factors):
            c = self.clique_holding(scope)
            psi[c] = psi[c] * self._expand(table, scope, c)
            log_scale = log_scale + shift
        batch = max([batch, *(p.shape[0] for p in psi)])
        if batch > 1:
            psi = [p if p.shape[0] == batch else np.broadcast_to(p, (batch,) + p.shape[1:]) for p in psi]
        log_scale = np.broadcast_to(log_scale, (batch,)).copy()

        up: list[np.ndarray] = [np.empty(0)] * len(self.cliques)
        for c in reversed(self.topdown):  # leaves first
            table = psi[c]
            for child in self.children[c]:
                table = table * up[child].reshape((batch,) + self._in_parent[child])
            if self.parent[c] >= 0:
                axes = self._sum_axes[c]
                message, shift = _rescale(table.sum(axis=axes) if axes else table)
                up[c] = message
            else:
                message, shift = _rescale(table.reshape(table.shape[0], -1).sum(axis=1, keepdims=True))
            log_scale = log_scale + shift

        down: list[np.ndarray] = [np.empty(0)] * len(self.cliques)
        beliefs: list[np.ndarray] = [np.empty(0)] * len(self.cliques)
        for c in self.topdown:  # root first
            incoming = []
            if self.parent[c] >= 0:
                incoming.append(down[c].reshape((batch,) + self._in_self[c]))
            incoming += [up[k].reshape((batch,) + self._in_parent[k]) for k in self.children[c]]
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
        return Calibration(self, beliefs, log_scale)

    def _cpt_potentials(self, cpts: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Each clique's product of the CPTs assigned to it; cached when no CPT is overridden."""
        if not cpts and self._static is not None:
            return self._static
        tables = [np.ones((1,) + tuple(self.cards[v] for v in clique)) for clique in self.cliques]
        for name in self.order:
            scope, values = self.family_factor(name, cpts.get(name))
            c = self.clique_holding(scope)
            tables[c] = tables[c] * self._expand(values, scope, c)
        if not cpts:
            self._static = tables
        return tables

    def _expand(self, table: np.ndarray, scope: Sequence[str], clique: int) -> np.ndarray:
        """A factor in global order, reshaped to broadcast against the clique's table."""
        shape = [table.shape[0]] + [self.cards[v] if v in scope else 1 for v in self.cliques[clique]]
        return table.reshape(shape)

    def _sum_to(self, table: np.ndarray, clique: int, scope: Sequence[str]) -> np.ndarray:
        variables = self.cliques[clique]
        axes = tuple(1 + i for i, v in enumerate(variables) if v not in scope)
        return table.sum(axis=axes) if axes else table


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


def _build_tree(
    variables: Sequence[str],
    scopes: Iterable[Sequence[str]],
    cards: Mapping[str, int],
    order: Mapping[str, int],
) -> tuple[list[tuple[str, ...]], list[set[int]]]:
    """Triangulate the moral graph by greedy min-fill (ties: smallest clique weight), keep the
    maximal cliques and join them by a maximum-weight spanning forest on separator size."""
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

    def score(i: int) -> tuple[int, float, int]:
        own = mask[i]
        # each neighbour a: neighbours of i that a is not joined to (a itself is among them once)
        missing = sum((own & ~mask[a]).bit_count() - 1 for a in near[i]) // 2
        return missing, weight[i], i

    scores = {i: score(i) for i in range(len(variables))}
    position = [0] * len(variables)
    cliques: list[frozenset[int]] = []
    while scores:
        v = min(scores, key=scores.__getitem__)
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
                scores[a] = score(a)
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
