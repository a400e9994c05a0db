"""argmap.testing: the strategies generate valid models that use every construct, shrink to small
readable cases, validate their arguments, and give valid variants of a user's model."""

from __future__ import annotations

import math
import os

import attrs
import pytest
from conftest import SHIPPED_MODEL
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import argmap
from argmap.model import BINARY, Likelihood, NoisyOr, Observation, PriorDist, Table, VanEveraTest
from argmap.scales import SCALES
from argmap.testing import (
    CaseDocuments,
    case_documents,
    claims,
    evidence_items,
    evidence_sets,
    from_model,
    models,
    probabilities,
    probability_ranges,
    verbal_probabilities,
)
from argmap.loader.validate import validate

SHIPPED = argmap.load(SHIPPED_MODEL)


def drawn(strategy, count: int, seed: int = 0) -> list:
    """``count`` values of ``strategy`` (generation only: no shrinking), the same every run."""
    values: list = []

    @seeded(seed)
    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value):
        values.append(value)

    collect()
    return values


def features(model: argmap.Model) -> set[str]:
    """The constructs of the format a model uses."""
    found = {f"scale {model.scale}"}
    for claim in model.claims.values():
        d = claim.distribution
        found.add({PriorDist: "prior", NoisyOr: "noisy-OR", Table: "table"}[type(d)])
        found.add("true/false" if claim.is_binary else "two named states" if len(claim.states) == 2 else "multi-state")
        if claim.label:
            found.add("label")
        if isinstance(d, NoisyOr):
            found |= {"attacked_by"} if d.attackers else set()
            found |= {"leak"} if d.leak.written != "0.05" else set()
        if isinstance(d, Table) and (d.supports or d.attacks):
            found.add("declared supports/attacks")
        probs = list(d.probs.values()) if isinstance(d, PriorDist) else []
        probs += [*d.supporters.values(), *d.attackers.values()] if isinstance(d, NoisyOr) else []
        for p in probs:
            found.add("word" if p.written and p.written[0].isalpha() and not p.written.startswith("1 −") else
                      "range" if p.written.startswith("[") else "percentage" if p.written.endswith("%") else "number")
    for source in model.sources.values():
        found.add("shared source")
        if source.reliability.written in "ABCDEF":
            found.add("Admiralty letter")
    for item in model.evidence:
        b = item.bearing
        found.add({Likelihood: f"item {getattr(b, 'stated_as', '')}", VanEveraTest: "item test",
                   Table: "item table", Observation: "item observe"}[type(b)])
        if isinstance(b, VanEveraTest) and b.for_state != "true":
            found.add("test for")
        found |= {"absent item"} if not item.observed else set()
        found |= {"expected item"} if item.expected else set()
        found |= {"item from a shared source"} if item.source else set()
        found |= {"item reliability"} if item.reliability else set()
        found |= {"cite"} if item.cite else set()
        found |= {"url"} if item.url else set()
        found |= {"quote"} if item.quote else set()
        found |= {"page"} if item.page else set()
        if item.date:
            found.add("date day" if item.date.day else "date month" if item.date.month else "date year")
    return found


EVERY_CONSTRUCT = {
    "scale icd203", "scale kent", "scale ipcc", "prior", "noisy-OR", "table", "true/false", "two named states",
    "multi-state", "label", "attacked_by", "leak", "declared supports/attacks", "word", "range", "percentage",
    "number", "shared source", "Admiralty letter", "item likelihood", "item lr", "item test", "test for",
    "item table", "item observe", "absent item", "expected item", "item from a shared source", "item reliability",
    "cite", "url", "quote", "page", "date day", "date month", "date year",
}


def test_generated_models_use_every_construct_of_the_format():
    seen = set().union(*(features(m) for m in drawn(models(), 150)))
    assert EVERY_CONSTRUCT <= seen, EVERY_CONSTRUCT - seen


@given(models())
def test_generated_models_are_valid_and_their_files_load_again(model):
    assert validate(model) == []
    assert argmap.load(model.path) == model  # the files stay on disk while the process runs
    beliefs = model.update()  # no evidence is impossible: probabilities stay inside [0.01, 0.99]
    assert all(math.isfinite(p) for b in beliefs.claims.values() for p in b.posterior.values())


@given(models())
def test_declared_supports_and_attacks_hold_in_every_row(model):
    for claim in model.claims.values():
        d = claim.distribution
        if not isinstance(d, Table):
            continue
        first = claim.states[0]
        for parent, sign in [*((p, 1) for p in d.supports), *((p, -1) for p in d.attacks)]:
            k = d.parents.index(parent)
            for row, probs in d.rows.items():
                if row[k] == "true":
                    other = d.rows[row[:k] + ("false",) + row[k + 1:]]
                    assert sign * (probs[first].value - other[first].value) > 0


@given(st.data())
def test_bounds_are_respected(data):
    low_claims = data.draw(st.integers(1, 4))
    high_claims = data.draw(st.integers(low_claims, 5))
    max_states = data.draw(st.integers(2, 4))
    max_parents = data.draw(st.integers(0, 3))
    low_items = data.draw(st.integers(0, 3))
    documents = data.draw(case_documents(min_claims=low_claims, max_claims=high_claims, max_parents=max_parents,
                                         max_states=max_states, min_items=low_items, max_items=low_items + 2,
                                         max_sources=1, scale="kent"))
    model = documents.load()
    assert low_claims <= len(model.claims) <= high_claims
    assert all(len(c.states) <= max_states and len(c.parents) <= max_parents for c in model.claims.values())
    assert low_items <= len(model.evidence) <= low_items + 2
    assert len(model.sources) <= 1 and model.scale == "kent"


def test_a_failing_example_shrinks_to_a_small_readable_model():
    """The smallest case with a multi-state claim that depends on another: two claims, no items.
    (Shrunk as documents, which is what models() shrinks, without loading each attempt.)"""
    def multi_state_child(documents: CaseDocuments) -> bool:
        return any(len(body.get("states", [])) > 2 and "given" in body for body in documents.model["claims"].values())

    found = find(case_documents(), multi_state_child, settings=settings(database=None, max_examples=2000))
    assert found.model["claims"] == {
        "c0": {"text": "Claim c0", "role": "hypothesis", "prior": 0.5},
        "c1": {"text": "Claim c1", "role": "hypothesis", "states": ["lo", "mid", "hi"], "given": ["c0"],
               "table": {"true": {"lo": 0.3333, "mid": 0.3333, "hi": 0.3334},
                         "false": {"lo": 0.3333, "mid": 0.3333, "hi": 0.3334}}},
    }
    assert found.evidence == [] and "sources" not in found.model
    assert found.load().claims["c1"].parents == ("c0",)


def test_a_failing_test_shows_the_drawn_case_as_yaml():
    @settings(database=None, max_examples=200, deadline=None, phases=[Phase.generate])
    @given(models())
    def test_no_absent_items(model):
        assert all(item.observed for item in model.evidence)

    with pytest.raises(AssertionError) as failure:
        test_no_absent_items()
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    assert "argmap.testing drew this case:" in notes and "observed: false" in notes


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_from_type_draws_models_claims_and_items():
    assert isinstance(st.from_type(argmap.Model).example(), argmap.Model)
    assert isinstance(st.from_type(argmap.Claim).example(), argmap.Claim)
    assert isinstance(st.from_type(argmap.EvidenceItem).example(), argmap.EvidenceItem)


@given(probabilities(min_value=0.2, max_value=0.3), verbal_probabilities(scale="ipcc"),
       probability_ranges(min_value=0.1, max_value=0.9), claims(min_states=3, max_states=4, role="rival"))
def test_small_strategies(p, word, span, claim):
    assert 0.2 <= p <= 0.3 and round(p, 4) == p
    assert word in SCALES["ipcc"].words
    assert 0.1 <= span[0] <= span[1] <= 0.9
    assert claim.role == "rival" and 3 <= len(claim.states) <= 4 and not claim.parents


@pytest.mark.parametrize("make, words", [
    (lambda: models(min_claims=0), "min_claims=0 must be at least 1"),
    (lambda: models(min_claims=4, max_claims=2), "min_claims=4 is greater than max_claims=2"),
    (lambda: models(max_states=1), "max_states=1 must be at least 2"),
    (lambda: models(max_items=2.5), "must be of type int"),
    (lambda: models(scale="icd"), "did you mean 'icd203'"),
    (lambda: probabilities(min_value=0.9, max_value=0.1), "min_value=0.9 is greater than max_value=0.1"),
    (lambda: probabilities(max_value=1.5), "must be a probability"),
    (lambda: probabilities(min_value=0.12341, max_value=0.12342), "widen the bounds"),
    (lambda: verbal_probabilities(scale="nato"), "is not a verbal scale"),
    (lambda: claims(role="rivl"), "did you mean 'rival'"),
    (lambda: evidence_items("models/x.yaml"), "must be an argmap.Model"),
    (lambda: evidence_items(SHIPPED, targets=["cooperatoin"]), "did you mean 'cooperation'"),
    (lambda: evidence_items(SHIPPED, targets="cooperation"), "non-empty list of claim ids"),
    (lambda: evidence_items(SHIPPED, kinds=["likelyhood"]), "did you mean 'likelihood'"),
    (lambda: evidence_items(SHIPPED, kinds=[]), "must be a non-empty list"),
    (lambda: evidence_items(SHIPPED, shared_sources=1), "shared_sources=1 must be of type bool"),
    (lambda: evidence_sets(SHIPPED, elements=SHIPPED.evidence), "must be a Hypothesis strategy"),
    (lambda: evidence_sets(SHIPPED, min_size=3, max_size=1), "min_size=3 is greater than max_size=1"),
    (lambda: from_model(SHIPPED, log_odds=-1), "log_odds=-1 must be a finite number"),
    (lambda: from_model(SHIPPED, perturb="yes"), "perturb='yes' must be of type bool"),
])
def test_bad_arguments_are_invalid_argument_errors(make, words):
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(").replace("[", r"\[")):
        make()


@settings(max_examples=30, deadline=None)
@given(models(max_claims=4), st.data())
def test_evidence_sets_are_valid_evidence_for_the_model(model, data):
    items = data.draw(evidence_sets(model, max_size=5))
    assert len({i.id for i in items}) == len(items) <= 5
    with_them = attrs.evolve(model, evidence=items)
    assert validate(with_them) == []  # ids, targets, states, and observations that agree
    with_them.update()
    target = data.draw(st.sampled_from(list(model.claims)))
    item = data.draw(evidence_items(model, targets=[target]))
    assert set(item.targets) >= {target} and item.id not in {i.id for i in model.evidence}


def test_evidence_items_of_chosen_kinds_and_without_shared_sources():
    items = drawn(evidence_items(SHIPPED, kinds=["test", "lr"], shared_sources=False), 40)
    assert {type(i.bearing).__name__ for i in items} <= {"VanEveraTest", "Likelihood"}
    assert not any(i.source for i in items)


def test_evidence_items_for_the_shipped_case_are_of_every_kind():
    items = drawn(evidence_items(SHIPPED), 120)
    kinds = {type(i.bearing).__name__ for i in items}
    assert kinds == {"Likelihood", "VanEveraTest", "Table", "Observation"}
    assert any(i.source in SHIPPED.sources for i in items) and any(i.cite for i in items)
    for item in items:
        assert validate(attrs.evolve(SHIPPED, evidence=(item,))) == []


@settings(max_examples=40, deadline=None)
@given(from_model(SHIPPED, log_odds=0.5))
def test_from_model_moves_inputs_within_their_ranges_and_stays_valid(variant):
    assert validate(variant) == []
    for cid, claim in SHIPPED.claims.items():
        moved = variant.claims[cid].distribution
        if isinstance(claim.distribution, NoisyOr):
            pairs = [(claim.distribution.leak, moved.leak), *zip(claim.distribution.supporters.values(),
                                                                  moved.supporters.values())]
        elif isinstance(claim.distribution, PriorDist) and claim.is_binary:
            pairs = [(claim.distribution.probs["true"], moved.probs["true"])]
        else:
            continue
        for before, after in pairs:
            if before.is_point:
                shift = abs(math.log(after.value / (1 - after.value)) - math.log(before.value / (1 - before.value)))
                assert shift <= 0.5 + 1e-9
            else:
                assert before.low - 1e-12 <= after.value <= before.high + 1e-12
    for belief in variant.update().claims.values():
        assert math.fsum(belief.posterior.values()) == pytest.approx(1)


def test_from_model_shrinks_to_the_model_as_written():
    found = find(from_model(SHIPPED), lambda v: True, settings=settings(database=None, deadline=None))
    assert found.claims == SHIPPED.claims and found.sources == SHIPPED.sources and found.evidence == ()
    kept = find(from_model(SHIPPED, evidence=st.just(SHIPPED.evidence), perturb=False), lambda v: True)
    assert kept == SHIPPED


def test_case_documents_write_spread_over_files_and_read_back(tmp_path):
    documents = drawn(case_documents(min_items=4, max_items=6), 1, seed=3)[0]
    path = documents.write(str(tmp_path), files=3)
    parts = sorted(os.listdir(tmp_path / "evidence" / "case"))
    assert [p for p in parts if p.endswith(".yaml")] == ["part0.yaml", "part1.yaml", "part2.yaml"]
    model = argmap.load(path)
    assert {i.id for i in model.evidence} == {i["id"] for i in documents.evidence}
    assert CaseDocuments.from_dict(documents.as_dict()) == documents
    assert "# models/case.yaml" in documents.text()


def test_binary_constants_stay_what_the_generator_assumes():
    assert BINARY == ("true", "false")
