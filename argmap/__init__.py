"""argmap: a plain-text model of a hypothesis, its rivals and the evidence → a Bayesian network
that says what to believe and why — argument maps you can test.

    >>> import argmap
    >>> model = argmap.load("models/russia_china.yaml")
    >>> beliefs = model.update(as_of="2020")
    >>> beliefs.posterior("cooperation")            # P(cooperation = true | evidence to 2020)

The package's folders are the pipeline's stages, in order: ``loader`` → ``engine`` →
``analysis`` → ``output`` → ``interop`` → ``verify`` → ``workflow``, with ``cli`` on top; the
data model (``model``, ``errors``, ``scales``) imports none of them.
"""

import sys
from typing import TYPE_CHECKING
from typing import Any as _Any

try:
    # the data model only: the stages behind the public API (numpy, the loader, the analyses)
    # are imported when a name of _LAZY is first used (PEP 562), so `import argmap`, and every
    # command of `python -m argmap`, pays only for what it uses
    from argmap import model as _model
    from argmap.errors import ArgmapError, Location, Problem
    from argmap.model import Claim, EvidenceDate, EvidenceItem, Model, Prob, Source
except (KeyboardInterrupt, RuntimeError) as _stopped:
    from argmap._interrupt import exit_interrupted, interrupted

    if sys.argv[:1] == ["-m"] and interrupted(_stopped):  # `python -m argmap` stopped while this imports
        exit_interrupted("\nargmap: interrupted\n")
    raise

__version__ = "0.1.0"

#: where each public name lives: ``argmap.NAME`` imports the module on first use
_LAZY = {
    "SCALES": "argmap.scales",
    "Beliefs": "argmap.engine.infer",
    "ClaimBelief": "argmap.engine.infer",
    "update": "argmap.engine.infer",
    "load": "argmap.loader.validate",
    **{name: "argmap.api" for name in ("cause", "compare", "diagram", "monte_carlo", "next_evidence", "pairwise",
                                       "report", "sensitivity", "sweep", "tipping_points", "tornado", "trajectory",
                                       "weigh", "weights")},
}

if TYPE_CHECKING:  # pragma: no cover - what type checkers and editors see
    from argmap.api import (cause, compare, diagram, monte_carlo, next_evidence, pairwise, report, sensitivity,
                            sweep, tipping_points, tornado, trajectory, weigh, weights)
    from argmap.engine.infer import Beliefs, ClaimBelief, update
    from argmap.loader.validate import load
    from argmap.scales import SCALES


def __getattr__(name: str) -> _Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'argmap' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # once: later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _update(model: _Any, *args: _Any, **kwargs: _Any) -> _Any:
    from argmap.engine.infer import update

    return update(model, *args, **kwargs)


def _to_pgmpy(model: _Any) -> _Any:
    from argmap.engine.compile import network_of, to_pgmpy

    return to_pgmpy(network_of(model))


def _beliefs_svg(beliefs: _Any) -> str | None:
    """Jupyter's picture of beliefs: the map, or None (the text form) with the problem on stderr."""
    from argmap.output.diagram import beliefs_svg, repr_svg  # Graphviz only when a notebook asks

    return repr_svg(lambda: beliefs_svg(beliefs))


def _pairwise(beliefs: _Any) -> _Any:
    from argmap.analysis.pairwise import pairwise

    return pairwise(beliefs)


_model.STAGES.update(update=_update, to_pgmpy=_to_pgmpy, beliefs_svg=_beliefs_svg, pairwise=_pairwise)

__all__ = [
    "SCALES",
    "ArgmapError",
    "Beliefs",
    "Claim",
    "ClaimBelief",
    "EvidenceDate",
    "EvidenceItem",
    "Location",
    "Model",
    "Prob",
    "Problem",
    "Source",
    "__version__",
    "cause",
    "compare",
    "diagram",
    "load",
    "monte_carlo",
    "next_evidence",
    "pairwise",
    "report",
    "sensitivity",
    "sweep",
    "tipping_points",
    "tornado",
    "trajectory",
    "update",
    "weigh",
    "weights",
]
