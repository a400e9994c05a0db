"""Value of information: mutual information against brute-force enumeration, a textbook
number, and the shape of the ranking."""

from __future__ import annotations


import numpy as np
import pytest
from conftest import enumerate_posteriors
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sensitivity import asia_with

import argmap
from argmap.engine.compile import compile_model
from argmap.engine.infer import evidence_assignment
from argmap.testing import case_documents
from argmap.analysis.voi import next_evidence


def mutual_information_bits(joint: np.ndarray) -> float:
    joint = joint / joint.sum()
    px = joint.sum(axis=1, keepdims=True)
    py = joint.sum(axis=0, keepdims=True)
    nonzero = joint > 0
    return float((joint[nonzero] * np.log2(joint[nonzero] / (px @ py)[nonzero])).sum())


def test_asia_mutual_information_of_xray_with_lung_is_0_1848_bits():
    _, candidates = next_evidence(asia_with(), "lung")
    xray = next(c for c in candidates if c.id == "xray")
    assert xray.mutual_information == pytest.approx(0.1848, abs=5e-5)
    assert xray.kind == "claim"
    assert candidates[0].mutual_information >= candidates[-1].mutual_information


@settings(max_examples=40)
@given(case_documents(max_claims=4, max_items=4, max_parents=2), st.data())
def test_mutual_information_equals_enumeration(case, data):
    claims = case.model["claims"]
    target = data.draw(st.sampled_from(sorted(claims)))
    other = data.draw(st.sampled_from(sorted(claims)))
    states = claims[other].get("states", ["true", "false"])
    case.evidence.append({"id": "candidate", "text": "c", "bears_on": other, "expected": True,
                             "likelihood": {s: 0.2 + 0.6 * i / len(states) for i, s in enumerate(states)}})
    model = case.load()
    network = compile_model(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])
    if target in evidence:
        return
    _, candidates = next_evidence(model, target)
    by_id = {c.id: c for c in candidates}
    for name in ["candidate", *(c for c in model.claims if c != target and c not in evidence)]:
        cards = len(network.variables[name].states)
        joint = np.zeros((cards, len(network.variables[target].states)))
        p_x = enumerate_posteriors(network, evidence)[name]
        for x in range(cards):
            if p_x[x] > 0:
                joint[x] = p_x[x] * enumerate_posteriors(network, {**evidence, name: x})[target]
        assert by_id[name].mutual_information == pytest.approx(mutual_information_bits(joint), abs=1e-9)
        outcomes = list(by_id[name].outcomes.values())
        assert outcomes == pytest.approx(list(p_x), abs=1e-9)


def test_shipped_case_ranks_the_expected_items():
    from conftest import SHIPPED_MODEL

    now, candidates = next_evidence(argmap.load(SHIPPED_MODEL), "defence_alliance")
    items = [c for c in candidates if c.kind == "declared"]
    assert {c.id for c in items} == {"mutual_defence_treaty", "joint_command"}
    for c in items:
        assert set(c.posteriors) == {"found", "not found"}
        # conservation of expected evidence: the outcomes average back to the posterior now
        mean = sum(c.outcomes[o] * c.posteriors[o]["true"] for o in c.posteriors)
        assert mean == pytest.approx(now["true"], abs=1e-12)
