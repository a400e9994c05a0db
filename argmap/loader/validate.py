"""A loaded :class:`~argmap.model.Model` → the list of problems that need the whole model to see.

Ids across files, references (with a "did you mean"), cycles (named), complete tables, states
that exist, likelihoods for every state, citations that resolve. :func:`load` runs
:mod:`argmap.loader.reader` and this stage and raises one :class:`~argmap.errors.ArgmapError` with all
problems of both.
"""

from __future__ import annotations

import itertools
import os
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from argmap._limits import MAX_TABLE_ENTRIES, table_problems
from argmap.errors import ArgmapError, Location, Problem, did_you_mean
from argmap.loader.reader import LoadResult, collector_paused, load_model, read_model
from argmap.model import (
    BINARY,
    Account,
    Claim,
    EvidenceItem,
    Likelihood,
    Model,
    NoisyOr,
    Observation,
    Table,
    VanEveraTest,
)

__all__ = ["account_warnings", "find_cycle", "load", "load_document", "validate"]


def load(path: str, *, evidence: Sequence[str] | None = None) -> Model:
    """Read and check a model with its evidence; raise ArgmapError listing every problem."""
    from argmap.errors import reset_suggestions

    reset_suggestions()
    path = os.fspath(path)  # str or pathlib.Path
    evidence = [os.fspath(e) for e in evidence] if evidence is not None else None
    with collector_paused():
        return _checked(load_model(path, evidence))


def load_document(document: Any, path: str) -> Model:
    """As :func:`load`, for a model file's document not read from ``path`` but given (with its
    evidence files named in it, read from beside ``path``)."""
    from argmap.errors import reset_suggestions

    reset_suggestions()
    with collector_paused():
        return _checked(read_model(document, path))


def _checked(result: LoadResult) -> Model:
    problems = list(result.problems)
    if result.model is not None:
        problems.extend(validate(result.model, skip=result.unreadable))
    if problems:
        raise ArgmapError(problems)
    assert result.model is not None
    return result.model


def validate(model: Model, *, skip: Iterable[str] = ()) -> list[Problem]:
    """Every cross-reference problem of ``model``; ids in ``skip`` failed to load and are not
    reported again as unknown."""
    return _Validator(model, set(skip)).run()


class _Validator:
    def __init__(self, model: Model, skip: set[str]):
        self.model = model
        self.skip = skip
        self.problems: list[Problem] = []
        self._names: frozenset[str] | None = None

    def run(self) -> list[Problem]:
        self._ids()
        for claim in self.model.claims.values():
            self._claim(claim)
        cycle = find_cycle({c.id: c.parents for c in self.model.claims.values()})
        if cycle:
            first = self.model.claims[cycle[0]]
            shown = cycle if len(cycle) <= 12 else [*cycle[:6], f"… {len(cycle) - 9} more …", *cycle[-3:]]
            self.problems.append(Problem(first.location, "cycle: " + " → ".join(shown) + " (each claim "
                                         "depends on the one before); remove one of these links"))
        for cause, effect, at in self.model.causal_claims:
            for spec in (cause, effect):
                cid, _, state = spec.partition("=")
                if cid in self.skip:
                    continue
                if cid not in self.model.claims:
                    self._report(at, f"causal_claims: unknown claim '{cid}'" + did_you_mean(cid, self.model.claims))
                elif state and state not in self.model.claims[cid].states:
                    self._report(at, f"causal_claims: '{state}' is not a state of '{cid}'"
                                 + did_you_mean(state, self.model.claims[cid].states))
        observed: dict[str, tuple[str, EvidenceItem]] = {}
        for item in self.model.evidence:
            self._item(item, observed)
        self.problems.extend(table_problems(self.model, self.skip))  # before anything allocates them
        for account in self.model.accounts.values():
            self._account(account)
        return self.problems

    def _account(self, account: Account) -> None:
        what = f"account '{account.name}'"
        for cid, state in account.states.items():
            claim = self._known(cid, account.where(cid), what)
            if claim is not None and state not in claim.states:
                self._report(account.where(cid), f"{what}: claim '{cid}' has no state '{state}'; its states are "
                                                 f"{', '.join(claim.states)}" + did_you_mean(state, claim.states))

    def _report(self, at: Location, message: str) -> None:
        self.problems.append(Problem(at, message))

    def _ids(self) -> None:
        first: dict[str, tuple[str, Location]] = {}
        named = itertools.chain(
            (("claim", c.id, c.location) for c in self.model.claims.values()),
            (("source", s.id, s.location) for s in self.model.sources.values()),
            (("evidence", e.id, e.location) for e in self.model.evidence),
        )
        for kind, identifier, at in named:
            if identifier in first:
                other_kind, other_at = first[identifier]
                self._report(at, f"duplicate id '{identifier}': {kind} here and {other_kind} at {other_at}; "
                                 "ids must be unique across the model and all its evidence files")
            else:
                first[identifier] = (kind, at)

    def _known(self, identifier: str, at: Location, what: str) -> Claim | None:
        claim = self.model.claims.get(identifier)
        if claim is None and identifier not in self.skip:
            if self._names is None:  # once, not once per unknown id
                self._names = frozenset({*self.model.claims, *self.skip})
            self._report(at, f"{what}: unknown claim '{identifier}'" + did_you_mean(identifier, self._names))
        return claim

    def _claim(self, claim: Claim) -> None:
        d = claim.distribution
        what = f"claim '{claim.id}'"
        if isinstance(d, NoisyOr):
            for key, strengths in (("supported_by", d.supporters), ("attacked_by", d.attackers)):
                for pid in strengths:
                    parent = self._known(pid, claim.where(key), f"{what}: {key}")
                    if pid == claim.id:
                        self._report(claim.where(key), f"{what} cannot {key.split('_')[0]} itself")
                    elif parent is not None and not parent.is_binary:
                        self._report(claim.where(key), f"{what}: {key} '{pid}' has states "
                                     f"{list(parent.states)}; noisy-OR needs true/false parents, so "
                                     "write given + table")
        elif isinstance(d, Table):
            self._table(d, claim.states, claim.where("table"), claim.where("given"), what)
            for key, ids in (("supports", d.supports), ("attacks", d.attacks)):
                for pid in ids:
                    if pid not in d.parents:
                        self._report(claim.where(key), f"{what}: {key} '{pid}' is not in given "
                                                       f"{list(d.parents)}")
                    elif (parent := self.model.claims.get(pid)) is not None and not parent.is_binary:
                        self._report(claim.where(key), f"{what}: {key} '{pid}' must be a true/false claim")

    def _table(self, table: Table, states: Sequence[str], table_at: Location, given_at: Location, what: str) -> None:
        parents = [self._known(pid, given_at, f"{what}: given") for pid in table.parents]
        if any(p is None for p in parents):
            return
        state_lists = [p.states for p in parents]  # type: ignore[union-attr]
        # each parent's states as written, all rows at once; row by row only to say where one is wrong
        located = table.row_locations
        known = all(len(row) == len(state_lists) for row in located) and all(
            set(map(operator.itemgetter(k), located)) <= set(allowed) for k, allowed in enumerate(state_lists))
        if not known:
            for row, at in located.items():
                for pid, state, allowed in zip(table.parents, row, state_lists):
                    if state not in allowed:
                        self._report(at, f"{what}: row '{', '.join(row)}': '{state}' is not a state of "
                                         f"'{pid}'" + did_you_mean(state, allowed))
        size = math.prod(map(len, state_lists))
        if size > MAX_TABLE_ENTRIES:
            return  # too large to list; table_problems reports it
        if known and len(table.rows) == size and table.rows.keys() == located.keys():
            return  # as many distinct rows as combinations, each one of them: none is missing
        every = list(itertools.product(*state_lists))
        missing = [row for row in every if row not in table.rows]
        if missing:
            shown = "; ".join(f'"{", ".join(r)}"' for r in missing[:4]) + (" …" if len(missing) > 4 else "")
            self._report(table_at, f"{what}: table has no row for {shown} ({len(missing)} missing of "
                                   f"{len(every)}); add a row for every combination "
                                   f"of {', '.join(table.parents)}")

    def _item(self, item: EvidenceItem, observed: dict[str, tuple[str, EvidenceItem]]) -> None:
        what = f"evidence '{item.id}'"
        bearing = item.bearing
        if item.source is not None and item.source not in self.model.sources and item.source not in self.skip:
            self._report(item.where("source"), f"{what}: unknown source '{item.source}'"
                         + did_you_mean(item.source, self.model.sources)
                         + " (declare it under the model's 'sources:')")
        self._citations(item, what)
        if isinstance(bearing, Observation):
            for cid, state in bearing.states.items():
                claim = self._known(cid, item.where("observe"), f"{what}: observe")
                if claim is None:
                    continue
                if state not in claim.states:
                    self._report(item.where("observe"), f"{what}: '{state}' is not a state of '{cid}'"
                                 + did_you_mean(state, claim.states))
                elif cid in observed and observed[cid][0] != state:
                    other = observed[cid][1]
                    self._report(item.where("observe"), f"{what} observes {cid} = {state} but "
                                 f"'{other.id}' ({other.location}) observes {cid} = {observed[cid][0]}; "
                                 "both cannot hold — correct one of them")
                else:
                    observed.setdefault(cid, (state, item))
            return
        if isinstance(bearing, Table):
            self._table(bearing, BINARY, item.where("table"), item.where("given"), what)
            return
        target = self._known(bearing.target, item.where("bears_on"), f"{what}: bears_on")
        if target is None:
            return
        if isinstance(bearing, VanEveraTest):
            if not target.is_binary and "for" not in item.key_locations:
                self._report(item.where("test"), f"{what}: '{target.id}' has states {list(target.states)}; "
                                                 f"say which one the test is for with 'for: STATE'")
            elif bearing.for_state not in target.states:
                self._report(item.where("for"), f"{what}: '{bearing.for_state}' is not a state of "
                             f"'{target.id}'" + did_you_mean(bearing.for_state, target.states))
            return
        assert isinstance(bearing, Likelihood)
        if bearing.stated_as == "lr" and not target.is_binary:
            self._report(item.where("lr"), f"{what}: lr needs a true/false target, and '{target.id}' has "
                                           f"states {list(target.states)}; write likelihood: {{state: p, ...}}")
            return
        self._likelihood_states(bearing.probs, target, item.where("likelihood"), what)

    def _likelihood_states(self, probs: Mapping[str, object], target: Claim, at: Location, what: str) -> None:
        for state in probs:
            if state not in target.states:
                self._report(at, f"{what}: '{state}' is not a state of '{target.id}'"
                                 + did_you_mean(state, target.states))
        missing = [s for s in target.states if s not in probs]
        if missing:
            self._report(at, f"{what}: likelihood has no value for {', '.join(missing)}; give "
                             f"P(this observation | state) for every state of '{target.id}'")

    def _citations(self, item: EvidenceItem, what: str) -> None:
        if not item.cite:
            return
        keys = self.model.bib_keys
        if self.model.bibliography is None:
            self._report(item.where("cite"), f"{what}: cites '{item.cite[0]}' but the model has no "
                                             "'bibliography:'; add one (a BibTeX file) or use 'url:'")
        elif keys is not None:
            for key in item.cite:
                if key not in keys:
                    self._report(item.where("cite"), f"{what}: '{key}' is not in the bibliography "
                                 f"{self.model.bibliography}" + did_you_mean(key, keys))
            if self.model.bib is not None:
                from argmap.loader.bibliography import cited_problems

                for key, (where, wrong) in cited_problems(self.model.bib, item.cite).items():
                    for message in wrong:  # at the entry; the same text for every item citing it
                        self._report(where, f"'{key}' is cited but a report cannot list it: {message}")


def account_warnings(model: Model) -> list[Problem]:
    """Pairs of accounts that can both hold (they disagree on no claim): a Bayes factor between
    overlapping stories compares them where they overlap too. Warnings, not errors (DESIGN §3)."""
    warnings = []
    for a, b in itertools.combinations(model.accounts.values(), 2):
        shared = [c for c in a.states if c in b.states]
        if not any(a.states[c] != b.states[c] for c in shared):
            both = {**a.states, **b.states}
            warnings.append(Problem(b.location, f"warning: accounts '{a.name}' and '{b.name}' can both hold "
                                    f"({', '.join(f'{c} = {s}' for c, s in both.items())}); make them "
                                    "disagree on some claim (e.g. name a state of the same rival) so that "
                                    "their Bayes factor compares rival stories"))
    return warnings


def find_cycle(parents: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A directed cycle read in the direction of influence (parent → child), as [a, b, …, a],
    or None. Iterative, so that a chain of thousands of claims cannot exhaust the stack."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(parents):
        if start in state:
            continue
        path: list[str] = [start]
        pending = [iter(parents.get(start, ()))]
        state[start] = 1
        while pending:
            step = next(pending[-1], None)
            if step is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if step not in parents or state.get(step) == 2:
                continue
            if state.get(step) == 1:
                cycle = path[path.index(step):] + [step]
                return cycle[::-1]
            state[step] = 1
            path.append(step)
            pending.append(iter(parents.get(step, ())))
    return None
