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
from typing import Any as _Any

try:
    from argmap import model as _model
    from argmap.engine.infer import Beliefs, ClaimBelief
    from argmap.engine.infer import update as _update
    from argmap.errors import ArgmapError, Location, Problem
    from argmap.loader.validate import load
    from argmap.model import Claim, EvidenceDate, EvidenceItem, Model, Prob, Source
    from argmap.scales import SCALES
    from argmap.api import (cause, compare, diagram, monte_carlo, next_evidence, pairwise, report, sensitivity,
                            sweep, tipping_points, tornado, trajectory, weigh, weights)
except KeyboardInterrupt:
    if sys.argv[:1] == ["-m"]:  # `python -m argmap` stopped while this package imports (runpy's argv)
        sys.stderr.write("\nargmap: interrupted\n")
        raise SystemExit(130) from None
    raise

__version__ = "0.1.0"


def _to_pgmpy(model: Model) -> _Any:
    from argmap.engine.compile import network_of, to_pgmpy

    return to_pgmpy(network_of(model))


def _beliefs_svg(beliefs: Beliefs) -> str | None:
    """Jupyter's picture of beliefs: the map, or None (the text form) with the problem on stderr."""
    from argmap.output.diagram import beliefs_svg, repr_svg  # Graphviz only when a notebook asks

    return repr_svg(lambda: beliefs_svg(beliefs))


update = _update
def _pairwise(beliefs: Beliefs) -> _Any:
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
