"""Stage 6, verification: a model → the coherence properties of ``argmap check --deep``.

``strategies`` draws valid models and evidence with Hypothesis (the implementation behind the
public :mod:`argmap.testing`); ``coherence`` searches each property (signs, order independence,
expected evidence, false certainty, engine agreement with pgmpy, export round trips) and shrinks
a failure to a minimal counterexample. It exercises every stage before it.
"""
