"""Stage 3, analysis: a model and its compiled network → numbers about the argument.

``weights`` (each item's decibels, Van Evera labels, leave-one-out), ``relations`` (the map:
which claim supports or attacks which, and how much each item moves its targets),
``sensitivity`` (one-way functions, ranges, Monte Carlo) and ``voi`` (what to look for next).
Every analysis reads the one compiled network of its model (:func:`argmap.engine.compile.network_of`)
and never compiles again. Imports the ground, :mod:`argmap.loader` and :mod:`argmap.engine`.
"""
