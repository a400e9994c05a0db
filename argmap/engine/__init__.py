"""Stage 2, the engine: a :class:`~argmap.model.Model` → its compiled network → beliefs.

``compile`` makes the Bayesian network of numpy tables (:func:`~argmap.engine.compile.network_of`
compiles a model once and keeps it on the model, so every analysis of one command shares one
network and one junction tree); ``jtree`` is the exact, batched junction-tree engine;
``infer`` gives priors, posteriors and trajectories (:class:`~argmap.engine.infer.Beliefs`).
Imports the ground and :mod:`argmap.loader` only.
"""
