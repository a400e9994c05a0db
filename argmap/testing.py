"""Bounds (or your model) → Hypothesis strategies: random valid models, claims and evidence, and
random variants of *your* model, for property-based tests of an argument's coherence.

Built on `Hypothesis <https://hypothesis.readthedocs.io>`_, which is installed with argmap
(``pip install 'argmap[testing]'`` also works).
Importing this module registers strategies for :class:`argmap.Model`, :class:`argmap.Claim` and
:class:`argmap.EvidenceItem`, so that ``st.from_type(argmap.Model)`` (and ``@given(model=...)``
with type annotations) draws valid models.

    >>> from hypothesis import given
    >>> import argmap
    >>> from argmap.testing import from_model
    >>> MINE = argmap.load("models/vaccine.yaml")
    >>> @given(from_model(MINE))
    ... def test_the_conclusion_survives_other_numbers_and_evidence(variant):
    ...     assert 0 < variant.update().posterior("works") < 1

Every generated model was written as files and read back with :func:`argmap.load`, so it is a
real, valid :class:`argmap.Model`; the files stay on disk while the process runs
(``model.path``). When a test fails, Hypothesis shrinks the example to a small model and prints
its YAML (as a note) with the failing example. See docs/coherence.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from argmap.verify import strategies as _impl
from argmap.verify.strategies import CaseDocuments
from argmap.errors import did_you_mean
from argmap.model import ROLES, Claim, EvidenceItem, Model

__all__ = [
    "CaseDocuments",
    "case_documents",
    "claims",
    "evidence_items",
    "evidence_sets",
    "from_model",
    "models",
    "probabilities",
    "probability_ranges",
    "verbal_probabilities",
]


def probabilities(*, min_value: float = 0.0, max_value: float = 1.0) -> SearchStrategy[float]:
    """Probabilities between ``min_value`` and ``max_value`` (inclusive), with at most four
    decimals, as a researcher writes them; they shrink towards round values (0.5, 0.4, 0.6 …)."""
    return _impl.probabilities(min_value, max_value)


def verbal_probabilities(*, scale: str = "icd203") -> SearchStrategy[str]:
    """Words of a verbal probability scale (``"icd203"``, ``"kent"`` or ``"ipcc"``), each of which
    a model file accepts wherever it accepts a probability."""
    return _impl.verbal_probabilities(scale)


def probability_ranges(*, min_value: float = 0.0, max_value: float = 1.0) -> SearchStrategy[list[float]]:
    """``[low, high]`` ranges (``low <= high``) within the bounds, as a model file writes them."""
    return _impl.probability_ranges(min_value, max_value)


def claims(*, min_states: int = 2, max_states: int = 3, role: str | None = None,
           scale: str = "icd203") -> SearchStrategy[Claim]:
    """Claims without parents: true/false, two named states or up to ``max_states`` states, with a
    prior written as a number, a word of ``scale``, a range, a percentage or a mapping.

    ``role`` fixes the role (default: any). A claim with parents only means something inside a
    model: draw those with :func:`models`."""
    _impl.check_count(min_states, "min_states", at_least=2)
    _impl.check_count(max_states, "max_states", at_least=2)
    _impl.check_order(min_states, max_states, "min_states", "max_states")
    if role is not None and role not in ROLES:
        raise InvalidArgument(f"role={role!r} is not a role of argmap" + (did_you_mean(str(role), ROLES)))
    return _impl.claims(min_states=min_states, max_states=max_states, role=role, scale=_impl.check_scale(scale))


def case_documents(*, min_claims: int = 1, max_claims: int = 6, max_parents: int = 3, max_states: int = 3,
                   min_items: int = 0, max_items: int = 6, max_sources: int = 2,
                   scale: str | None = None) -> SearchStrategy[CaseDocuments]:
    """The files of a random valid case, as plain data (:class:`CaseDocuments`: ``.model``,
    ``.evidence``, ``.bibliography``), for tests of tools that read model files:
    ``documents.write(folder)`` writes them and returns the model's path; ``documents.load()``
    reads them with :func:`argmap.load`. Bounds as for :func:`models`."""
    _impl.check_model_bounds(min_claims, max_claims, max_parents, max_states, min_items, max_items,
                             max_sources, scale)
    return _impl.case_documents(min_claims=min_claims, max_claims=max_claims, max_parents=max_parents,
                                max_states=max_states, min_items=min_items, max_items=max_items,
                                max_sources=max_sources, scale=scale)


def models(*, min_claims: int = 1, max_claims: int = 6, max_parents: int = 3, max_states: int = 3,
           min_items: int = 0, max_items: int = 6, max_sources: int = 2,
           scale: str | None = None) -> SearchStrategy[Model]:
    """Random valid models with their evidence, read with :func:`argmap.load`.

    Between ``min_claims`` and ``max_claims`` claims (``c0``, ``c1``, … each depending only on
    earlier ones, at most ``max_parents`` parents each), with up to ``max_states`` states; between
    ``min_items`` and ``max_items`` evidence items (``e0``, ``e1``, …; an item that would observe
    a claim a second time is left out, so a case may hold fewer than drawn, never fewer than
    ``min_items``); up to ``max_sources`` shared sources. ``scale`` fixes the verbal scale
    (default: any of argmap's).

    Together the models use every construct of the format: true/false, two-state and
    multi-state claims; priors as numbers, words, ranges, percentages and mappings; noisy-OR
    with supporters, attackers and leaks; tables, some declaring ``supports``/``attacks`` (which
    their rows then respect); labels; shared sources (reliability as a number, word or Admiralty
    letter, ``random_yes``); items with ``likelihood``, ``lr``, ``test`` (with ``for``),
    ``given`` + ``table`` and ``observe``; absent (``observed: false``) and expected items;
    per-item reliability; dates at year, month and day precision; citations to a bibliography,
    URLs, quotes and pages. Probabilities stay within [0.01, 0.99], so no evidence is ever
    impossible. Shrinking removes claims, items and features and rounds numbers."""
    _impl.check_model_bounds(min_claims, max_claims, max_parents, max_states, min_items, max_items,
                             max_sources, scale)
    return _impl.models(min_claims=min_claims, max_claims=max_claims, max_parents=max_parents,
                        max_states=max_states, min_items=min_items, max_items=max_items,
                        max_sources=max_sources, scale=scale)


def evidence_items(model: Model, *, targets: Sequence[str] | None = None, kinds: Sequence[str] | None = None,
                   shared_sources: bool = True) -> SearchStrategy[EvidenceItem]:
    """New evidence items for ``model``, bearing on claims among ``targets`` (default: any claim).
    Ids are ``newN``, never one of the model's.

    ``kinds`` are the ways an item may bear on its claims, any of ``"likelihood"``, ``"lr"``,
    ``"test"``, ``"table"`` and ``"observe"`` (default: all; ``lr`` on a target that is not
    true/false is written as a likelihood). Items may be absent (``observed: false``) or
    expected, dated, cited from the model's bibliography, with a URL or a quote; they come from
    one of the model's shared sources (unless ``shared_sources`` is False) or carry their own
    reliability, or neither. Each item is read by argmap's loader and checked against ``model``."""
    _impl.check_model(model)
    _impl.check_type(shared_sources, bool, "shared_sources")
    if kinds is not None:
        if isinstance(kinds, str) or not isinstance(kinds, Sequence) or not kinds:
            raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list, e.g. ['likelihood', 'test']")
        for kind in kinds:
            if kind not in _impl.ITEM_KINDS:
                raise InvalidArgument(f"kinds: {kind!r} is not a kind of evidence item"
                                      + (did_you_mean(str(kind), _impl.ITEM_KINDS)))
    if targets is not None:
        if isinstance(targets, str) or not isinstance(targets, Sequence) or not targets:
            raise InvalidArgument(f"targets={targets!r} must be a non-empty list of claim ids")
        for cid in targets:
            if cid not in model.claims:
                raise InvalidArgument(f"targets: {cid!r} is not a claim of {model.name}"
                                      + did_you_mean(str(cid), model.claims))
        targets = list(targets)
    return _impl.evidence_items(model, targets=targets, kinds=tuple(dict.fromkeys(kinds or _impl.ITEM_KINDS)),
                                shared_sources=shared_sources)


def evidence_sets(model: Model, *, elements: SearchStrategy[EvidenceItem] | None = None, min_size: int = 0,
                  max_size: int | None = None) -> SearchStrategy[tuple[EvidenceItem, ...]]:
    """Tuples of evidence items for ``model``, with distinct ids, in random order; where two
    observations of the same claim disagree, the later one is left out.

    ``elements`` defaults to the model's own items and new ones from :func:`evidence_items`.
    ``attrs.evolve(model, evidence=items)`` (or :func:`from_model`) gives the model with them.
    Generated items never make evidence impossible; the model's own probabilities of 0 or 1
    still can."""
    _impl.check_model(model)
    if elements is not None:
        _impl.check_strategy(elements, "elements")
    _impl.check_count(min_size, "min_size")
    if max_size is not None:
        _impl.check_count(max_size, "max_size")
        _impl.check_order(min_size, max_size, "min_size", "max_size")
    return _impl.evidence_sets(model, elements=elements, min_size=min_size, max_size=max_size)


def from_model(model: Model, *, evidence: SearchStrategy[tuple[EvidenceItem, ...]] | None = None,
               perturb: bool = True, log_odds: float = 0.5) -> SearchStrategy[Model]:
    """Variants of *your* model: its evidence replaced by a set drawn from ``evidence`` (default
    :func:`evidence_sets` of the model — its own items and new ones; pass
    ``st.just(model.evidence)`` to keep them) and, with ``perturb``, every probability moved
    within its range: a word or a written ``[low, high]`` anywhere inside it, a bare number up to
    ``log_odds`` either way on the log-odds scale (0.5: 0.7 moves within [0.59, 0.79]). A 0 or 1
    you wrote stays. Multi-state distributions are renormalised after moving. Shrinking leads
    back to your numbers and to fewer items; a note lists what moved."""
    _impl.check_model(model)
    if evidence is not None:
        _impl.check_strategy(evidence, "evidence")
    _impl.check_type(perturb, bool, "perturb")
    _impl.check_type(log_odds, (int, float), "log_odds")
    if isinstance(log_odds, bool) or not 0 <= log_odds < float("inf"):
        raise InvalidArgument(f"log_odds={log_odds!r} must be a finite number at least 0")
    return _impl.from_model(model, evidence=evidence, perturb=perturb, log_odds=float(log_odds))


_impl.register_types(st.register_type_strategy)
