"""What a model file and its evidence files say → typed attrs objects: the data model.

Objects here are built by :mod:`argmap.loader.reader` and checked by :mod:`argmap.loader.validate`; each keeps
the :class:`~argmap.errors.Location` it was written at so that later stages can point at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from argmap.errors import Location

if TYPE_CHECKING:  # pragma: no cover
    from argmap.engine.infer import Beliefs

#: The façade's conveniences (:meth:`Model.update`, :meth:`Model.to_pgmpy`, the Jupyter views)
#: need later stages, which the data model must not import. ``argmap/__init__.py`` registers
#: them here by name when the package is imported — which every import of ``argmap.model``
#: does first — so the dependency points one way: from the stages to the data model.
STAGES: dict[str, Callable[..., Any]] = {}


def stage(name: str) -> Callable[..., Any]:
    """The later-stage function registered under ``name`` (see :data:`STAGES`)."""
    return STAGES[name]

ROLES = ("hypothesis", "rival", "factor", "mechanism", "assumption", "outcome")
BINARY = ("true", "false")
TESTS: dict[str, tuple[float, float]] = {  # Van Evera's tests: P(E | H), P(E | not H)
    "straw_in_the_wind": (0.6, 0.4),
    "hoop": (0.95, 0.6),
    "smoking_gun": (0.3, 0.03),
    "doubly_decisive": (0.9, 0.05),
}


@attrs.frozen
class Prob:
    """A probability as written: a number, a verbal word or a [low, high] range.

    Inference uses the midpoint (for a bare number, low == high: the number itself); analysis
    moves it across ``[low, high]``, and a bare number across logit(p) ± the model's
    ``uncertainty`` (:func:`argmap.analysis.sensitivity.input_range`)."""

    low: float
    high: float
    written: str = ""

    @classmethod
    def exactly(cls, p: float) -> Prob:
        return cls(p, p, _number_text(p))

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    def __str__(self) -> str:
        return self.written or _number_text(self.value)


def _number_text(p: float) -> str:
    return f"{p:.6g}"


@attrs.frozen
class PriorDist:
    """A claim without parents: P(state) for each state."""

    probs: Mapping[str, Prob]


@attrs.frozen
class NoisyOr:
    """A binary claim raised by supporters and lowered by attackers (DESIGN §3)."""

    supporters: Mapping[str, Prob]
    attackers: Mapping[str, Prob]
    leak: Prob


@attrs.frozen
class Table:
    """An explicit conditional table: parent states (in ``parents`` order) → P(state)."""

    parents: tuple[str, ...]
    rows: Mapping[tuple[str, ...], Mapping[str, Prob]]
    row_locations: Mapping[tuple[str, ...], Location] = attrs.field(factory=dict, eq=False)
    supports: tuple[str, ...] = ()
    attacks: tuple[str, ...] = ()


Distribution = PriorDist | NoisyOr | Table


@attrs.frozen
class Claim:
    """A statement that is true or false, or one of several exclusive states."""

    id: str
    text: str
    role: str
    states: tuple[str, ...]
    distribution: Distribution
    location: Location = attrs.field(eq=False)
    key_locations: Mapping[str, Location] = attrs.field(factory=dict, eq=False, repr=False)
    label: str = ""  # short display name for diagrams; the text is used where it is empty
    coupling: str = ""  # a table claim's counterfactual coupling, if the model assumes one ("comonotone")

    @property
    def parents(self) -> tuple[str, ...]:
        d = self.distribution
        if isinstance(d, NoisyOr):
            return (*d.supporters, *d.attackers)
        if isinstance(d, Table):
            return d.parents
        return ()

    @property
    def is_binary(self) -> bool:
        return self.states == BINARY

    def where(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@attrs.frozen
class Source:
    """A source several evidence items come from; they share its reliability."""

    id: str
    text: str
    reliability: Prob
    random_yes: Prob
    location: Location = attrs.field(eq=False)


@attrs.frozen(order=True)
class EvidenceDate:
    """A date written at year, month or day precision."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> dt.date:
        if self.day:
            return self.first_day
        if self.month:
            following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(self.year, 12, 31)

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text


@attrs.frozen
class Likelihood:
    """P(this observation | state) for each state of one target claim."""

    target: str
    probs: Mapping[str, Prob]
    stated_as: str = "likelihood"  # likelihood | lr | test name; kept for reports


@attrs.frozen
class VanEveraTest:
    """A process-tracing test, with the conventional P(E | H) and P(E | not H) of ``TESTS``.

    ``for_state`` names the state of a multi-state target that plays H."""

    target: str
    test: str
    for_state: str = "true"

    def likelihood(self, states: tuple[str, ...]) -> dict[str, float]:
        if_h, if_not = TESTS[self.test]
        return {s: if_h if s == self.for_state else if_not for s in states}


@attrs.frozen
class Observation:
    """Hard evidence: the states of some claims are known."""

    states: Mapping[str, str]


Bearing = Likelihood | VanEveraTest | Table | Observation


@attrs.frozen
class EvidenceItem:
    """One dated, cited observation and how strongly it bears on the claims."""

    id: str
    text: str
    bearing: Bearing
    location: Location = attrs.field(eq=False)
    date: EvidenceDate | None = None
    cite: tuple[str, ...] = ()
    url: str | None = None
    quote: str | None = None
    page: str | None = None
    source: str | None = None
    reliability: Prob | None = None
    observed: bool = True
    expected: bool = False
    key_locations: Mapping[str, Location] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def targets(self) -> tuple[str, ...]:
        b = self.bearing
        if isinstance(b, Likelihood | VanEveraTest):
            return (b.target,)
        if isinstance(b, Table):
            return b.parents
        return tuple(b.states)

    @property
    def is_observation(self) -> bool:
        return isinstance(self.bearing, Observation)

    def counts_at(self, as_of: EvidenceDate | None) -> bool:
        """Whether the item is evidence at ``as_of``: looked for, and its whole dated period
        has passed (an undated item always counts)."""
        if self.expected:
            return False
        if as_of is None or self.date is None:
            return True
        return self.date.last_day <= as_of.last_day

    def where(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@attrs.frozen
class Account:
    """A complete story a study weighs: a conjunction of claim states (DESIGN §3 ``accounts``)."""

    name: str
    states: Mapping[str, str]  # claim → the state the account says it is in
    location: Location = attrs.field(eq=False, default=Location(""))
    key_locations: Mapping[str, Location] = attrs.field(factory=dict, eq=False, repr=False)

    def where(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@attrs.frozen
class Milestone:
    """A date the study looks back from (``milestones:``): the report shows what the evidence dated
    up to it supported, beside what all the evidence supports (e.g. when the paper was written)."""

    date: EvidenceDate
    label: str
    location: Location = attrs.field(eq=False, default=Location(""))


@attrs.frozen(repr=False)
class Model:
    """A research argument: claims, sources and the evidence that bears on them."""

    path: str
    claims: Mapping[str, Claim]
    evidence: tuple[EvidenceItem, ...] = ()
    sources: Mapping[str, Source] = attrs.field(factory=dict)
    title: str = ""
    question: str = ""
    hypothesis: str = ""
    theory: str = ""
    authors: tuple[str, ...] = ()
    scale: str = "icd203"
    #: half-width, in log-odds, of the range a bare number stands for in analysis (DESIGN §3);
    #: inference always uses the number itself
    uncertainty: float = 0.5
    bibliography: str | None = None
    evidence_paths: tuple[str, ...] = ()
    evidence_files: tuple[str, ...] = ()  # every file the evidence was read from, in reading order
    location: Location = attrs.field(eq=False, default=Location(""))
    key_locations: Mapping[str, Location] = attrs.field(factory=dict, eq=False, repr=False)
    bib_keys: frozenset[str] | None = attrs.field(default=None, eq=False, repr=False)
    bib: Any = attrs.field(default=None, eq=False, repr=False)  # the argmap.loader.bibliography.Bibliography read
    #: the causal claims the author wants assessed (argmap report): (CAUSE[=STATE], EFFECT[=STATE], where)
    causal_claims: tuple[tuple[str, str, Location], ...] = attrs.field(default=(), eq=False)
    accounts: Mapping[str, Account] = attrs.field(factory=dict)  # name → account, as written
    milestones: tuple[Milestone, ...] = ()  # in date order
    _items_by_id: dict[str, EvidenceItem] = attrs.field(init=False, eq=False, repr=False)
    #: the compiled network, kept by :func:`argmap.engine.compile.network_of` (compile once)
    _compiled: Any = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # looking items up by id is on hot paths (compiling 20,000 items), so index them once
        object.__setattr__(self, "_items_by_id", {item.id: item for item in self.evidence})

    @property
    def name(self) -> str:
        """The model's id: its file name without extension."""
        import os

        return os.path.splitext(os.path.basename(self.path))[0]

    @property
    def hypotheses(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.claims.values() if c.role in ("hypothesis", "rival"))

    def __repr__(self) -> str:
        # the full attrs repr of a real case runs to tens of kilobytes; name its parts instead
        def listed(ids: list[str], what: str) -> str:
            return ", ".join(ids) if len(ids) <= 12 else f"{len(ids)} {what}"

        return (f"<argmap.Model {self.path}: claims {listed(list(self.claims), 'claims')}; "
                f"evidence [{listed([i.id for i in self.evidence], 'items')}]>")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis and IPython print a model this way (e.g. in a falsifying example)."""
        printer.text(repr(self))

    def item(self, item_id: str) -> EvidenceItem:
        return self._items_by_id[item_id]

    def where(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    # The façade: these reach later stages through STAGES, imported lazily there, so that
    # `import argmap` stays light and the data model imports no stage.

    def update(
        self,
        as_of: str | dt.date | EvidenceDate | None = None,
        *,
        engine: str = "argmap",
    ) -> Beliefs:
        """Prior and posterior of every claim given the evidence that counts at ``as_of``."""
        return stage("update")(self, as_of=as_of, engine=engine)

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a model as its argument map (screen style, evidence summarised)."""
        return stage("beliefs_svg")(self.update())

    def to_pgmpy(self) -> Any:
        """The model as a pgmpy ``DiscreteBayesianNetwork`` (every evidence item a node)."""
        return stage("to_pgmpy")(self)
