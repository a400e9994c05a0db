"""The shipped case (models/russia_china.yaml): it loads, checks clean, updates, uses the
language as the issue asks, and its posteriors agree with pgmpy."""

from __future__ import annotations

import collections

import pytest
from click.testing import CliRunner
from conftest import SHIPPED_MODEL

import argmap
from argmap.cli import main
from argmap.engine.compile import compile_model
from argmap.engine.infer import evidence_assignment
from argmap.model import Likelihood, NoisyOr, Observation, Table, VanEveraTest


@pytest.fixture(scope="module")
def model() -> argmap.Model:
    return argmap.load(SHIPPED_MODEL)


def test_checks_clean():
    result = CliRunner().invoke(main, ["check", SHIPPED_MODEL])
    assert result.exit_code == 0, result.output
    assert "ok —" in result.stdout


def test_design_card_nodes_are_recognisable(model):
    for cid in ("us_threat", "sanctions", "cooperation"):
        assert cid in model.claims
    assert any("alliance" in cid for cid in model.claims)
    rivals = [c for c in model.claims.values() if len(c.states) > 2 and c.role == "hypothesis"]
    assert rivals, "the exclusive rival explanations are one multi-state hypothesis"
    assert any("threat" in s for s in rivals[0].states) and any("alliance" in s for s in rivals[0].states)


def test_evidence_is_dated_cited_and_uses_the_language(model):
    items = model.evidence
    assert sum(i.date is not None for i in items) >= 15
    assert all(i.cite or i.url for i in items if not i.expected), "every observed item names its source"
    by_source = collections.Counter(i.source for i in items if i.source)
    assert by_source and max(by_source.values()) >= 2, "some items come from one shared source"
    kinds = {type(i.bearing) for i in items}
    assert {Likelihood, Observation} <= kinds and (VanEveraTest in kinds or Table in kinds)
    assert any(not i.observed for i in items), "something looked for and not found"
    assert any(i.reliability is not None for i in items)
    assert any(isinstance(c.distribution, NoisyOr) for c in model.claims.values())


def test_updates_and_every_hypothesis_moves(model):
    beliefs = model.update()
    assert len(beliefs.counted) >= 15
    for cid in model.hypotheses:
        b = beliefs[cid]
        assert sum(b.posterior.values()) == pytest.approx(1)
        assert b.posterior != pytest.approx(b.prior, abs=1e-3)


def test_as_of_changes_what_counts(model):
    early = model.update(as_of="2013")
    late = model.update()
    assert len(early.counted) < len(late.counted)


def test_posteriors_equal_pgmpy(model):
    from pgmpy.inference import VariableElimination

    bn = model.to_pgmpy()
    assert bn.check_model()
    network = compile_model(model)
    beliefs = model.update()
    items = [model.item(i) for i in beliefs.counted]
    evidence = {n: network.variables[n].states[s] for n, s in evidence_assignment(model, network, items).items()}
    engine = VariableElimination(bn)
    for cid, b in beliefs.claims.items():
        if cid in evidence:
            continue
        factor = engine.query([cid], evidence=evidence, show_progress=False)
        for state in b.states:
            assert b.posterior[state] == pytest.approx(factor.get_value(**{cid: state}), abs=1e-9)
