"""argmap: argument maps you can test — a plain-text model of a hypothesis, its rivals and the
evidence, compiled into a Bayesian network that says what to believe and why.

    >>> import argmap
    >>> model = argmap.load("models/russia_china.yaml")
    >>> beliefs = model.update(as_of="2020")
    >>> beliefs.posterior("cooperation")            # P(cooperation = true | evidence to 2020)
"""

import sys

try:
    from .errors import ArgmapError, Location, Problem
    from .infer import Beliefs, ClaimBelief
    from .model import Claim, EvidenceDate, EvidenceItem, Model, Prob, Source
    from .scales import SCALES
    from .validate import load
except KeyboardInterrupt:
    if sys.argv[:1] == ["-m"]:  # `python -m argmap` stopped while this package imports (runpy's argv)
        sys.stderr.write("\nargmap: interrupted\n")
        raise SystemExit(130) from None
    raise

__version__ = "0.1.0"

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
    "load",
]
