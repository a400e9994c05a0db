"""Shared helpers: an independent brute-force posterior, and temporary cases on disk."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED_MODEL = os.path.join(ROOT, "models", "russia_china.yaml")


def enumerate_posteriors(network, evidence: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Every variable's marginal from the full joint distribution, built as one explicit
    array over all variables: no pruning, no elimination order, nothing shared with the engine
    but the conditional tables."""
    names, joint = enumerate_joint(network, evidence)
    total = joint.sum()
    return {n: joint.sum(axis=tuple(i for i, m in enumerate(names) if m != n)) / total for n in names}


def enumerate_joint(network, evidence: Mapping[str, int]) -> tuple[list[str], np.ndarray]:
    """The variables' names and P(all variables, evidence) as one explicit array (unnormalised:
    it sums to P(evidence))."""
    names = list(network.variables)
    axis = {n: i for i, n in enumerate(names)}
    shape = [len(network.variables[n].states) for n in names]
    joint = np.ones(shape)
    for name, var in network.variables.items():
        order = [*var.parents, name]
        # place the CPT's axes at their positions in the joint, broadcasting over the rest
        view_shape = [1] * len(names)
        for n in order:
            view_shape[axis[n]] = shape[axis[n]]
        cpt = np.moveaxis(var.cpt, list(range(len(order))), np.argsort(np.argsort([axis[n] for n in order])))
        joint = joint * cpt.reshape(view_shape)
    for name, state in evidence.items():
        mask = np.zeros(shape[axis[name]])
        mask[state] = 1
        view_shape = [1] * len(names)
        view_shape[axis[name]] = shape[axis[name]]
        joint = joint * mask.reshape(view_shape)
    return names, joint


@pytest.fixture
def case_dir():
    with tempfile.TemporaryDirectory() as root:
        yield root

#: the shipped case as it stood before its revision for issue 15 (three-state `driver`, `alliance`):
#: the tests of methods whose issue quotes that case's numbers (pairwise factors of 5.7 and
#: 20.8, the designed clues for `driver`) keep checking them on it
CASE_2025 = os.path.join(ROOT, "tests", "data", "case_2025", "models", "russia_china.yaml")
