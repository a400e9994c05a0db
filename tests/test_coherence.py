"""check --deep: every property holds on generated models and on the shipped case; each failure
is found, shrunk to a minimal counterexample and said in the model's own terms (ids, file:line)."""

from __future__ import annotations

import re
import sys
import tempfile

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHIPPED_MODEL
from hypothesis import HealthCheck, given, settings

import argmap
from argmap.verify import coherence
from argmap.cli import main
from argmap.verify.coherence import PROPERTIES, check_deep
from argmap.testing import CaseDocuments, case_documents, models

# check_deep searches with Hypothesis itself: inside a @given test that is a nested @given
NESTED = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.nested_given])
SEARCHED_CHEAPLY = ["sign", "order", "conservation", "certainty", "double_counting", "rivals"]


def case(claims: dict, items: list | None = None, **model) -> argmap.Model:
    documents = CaseDocuments({"argmap": 1, "title": "t", **model, "evidence": ["../evidence/case/"],
                               "claims": claims}, items or [])
    return argmap.load(documents.write(tempfile.mkdtemp()))


def result(report, name):
    return next(r for r in report.results if r.name == name)


# ----------------------------------------------------------------------------- what holds


@NESTED
@given(models())
def test_generated_models_break_no_property(model):
    report = check_deep(model, examples=5, properties=SEARCHED_CHEAPLY)
    assert report.ok, report.text()


@settings(NESTED, max_examples=5)
@given(models(max_claims=4, max_items=4))
def test_generated_models_agree_with_pgmpy_and_survive_the_round_trips(model):
    report = check_deep(model, examples=3, properties=["engines", "round_trips"])
    assert report.ok, report.text()


def test_the_shipped_case_is_coherent_without_warnings():
    runner = CliRunner()
    first = runner.invoke(main, ["check", "--deep", SHIPPED_MODEL, "--examples", "20"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    statuses = {title: line.split()[0] for line in lines for title in PROPERTIES.values() if title in line[:30]}
    assert statuses == dict.fromkeys(PROPERTIES.values(), "ok")
    assert "coherent: all 8 properties hold" in first.output and "warn" not in first.output
    again = runner.invoke(main, ["check", "--deep", SHIPPED_MODEL, "--examples", "20"])
    assert again.output == first.output  # deterministic: the same seed gives the same run
    strict = runner.invoke(main, ["check", "--deep", "--strict", SHIPPED_MODEL, "--examples", "5"])
    assert strict.exit_code == 0, strict.output  # no warning to fail on (issue 15's done-when)


# ----------------------------------------------------------------------------- sign coherence

INCOHERENT = {
    "threat": {"text": "A threat.", "prior": "likely"},
    "rivalry": {"text": "A rivalry.", "prior": 0.5},
    "cooperation": {"text": "Cooperation.", "role": "hypothesis", "given": ["threat", "rivalry"],
                    "supports": ["threat"], "attacks": ["rivalry"],
                    "table": {"true, true": 0.7, "true, false": 0.6, "false, true": 0.8, "false, false": 0.3}},
    "balance": {"text": "Balancing.", "role": "hypothesis", "supported_by": {"threat": 0, "rivalry": 0.4}},
}


def test_a_table_that_contradicts_its_declared_signs_fails_with_the_rows_named():
    model = case(INCOHERENT)
    result_ = CliRunner().invoke(main, ["check", "--deep", model.path, "--examples", "5"])
    assert result_.exit_code == 3
    text = " ".join(result_.output.split())
    assert re.search(r"case\.yaml:\d+: 'threat' supports 'cooperation' but does not raise it: with rivalry = true, "
                     r"P\(cooperation\) is 0\.7 when threat is true and 0\.8 when it is false \(rows at lines \d+ "
                     r"and \d+\)", text)
    assert "'rivalry' attacks 'cooperation' but does not lower it: with threat = false" in text
    assert "'threat' supports 'balance' but never moves it" in text
    assert "1 property failed: sign coherence (exit status 3)" in result_.output
    assert "Traceback" not in result_.output


@settings(max_examples=30, deadline=None)
@given(case_documents(max_items=0))
def test_declaring_the_opposite_sign_is_always_caught(documents):
    flipped = False
    for body in documents.model["claims"].values():
        if "supports" in body or "attacks" in body:
            body["supports"], body["attacks"] = body.pop("attacks", []), body.pop("supports", [])
            body = {k: v for k, v in body.items() if v != []}
            flipped = True
    for cid, body in documents.model["claims"].items():
        documents.model["claims"][cid] = {k: v for k, v in body.items() if v != []}
    report = check_deep(documents.load(), properties=["sign"])
    assert (report.exit_code() == 3) == flipped


def test_a_declared_sign_that_words_let_reverse_is_a_warning():
    claims = {"a": {"text": "a", "prior": 0.5},
              "b": {"text": "b", "given": ["a"], "supports": ["a"], "table": {"true": "likely", "false": [0.5, 0.7]}}}
    sign = result(check_deep(case(claims), properties=["sign"]), "sign")
    assert sign.status == "warn"
    assert "the written ranges overlap (likely vs [0.5, 0.7])" in sign.findings[0].message


# ----------------------------------------------------------------------------- searched properties


def test_a_certainty_no_written_zero_or_one_forces_fails_with_a_minimal_evidence_set():
    items = [{"id": f"r{k}", "text": "r", "bears_on": "h", "lr": 1000} for k in range(9)]
    model = case({"h": {"text": "h", "role": "hypothesis", "prior": 0.5}}, items)
    certainty = result(check_deep(model, properties=["certainty"]), "certainty")
    assert certainty.status == "fail"
    message = certainty.findings[0].message
    named = re.search(r"given \[([^\]]*)\]", message).group(1).split(", ")
    assert "P(h) is exactly 1" in message and "no probability of 0 or 1 in the model forces it" in message

    def exactly_one(ids):
        variant = argmap.load(model.path, evidence=[])
        return attrs_evolve(variant, [i for i in model.evidence if i.id in ids]).update().posterior("h") == 1.0

    assert exactly_one(named)
    assert not any(exactly_one([i for i in named if i != drop]) for drop in named)  # nothing can go


def attrs_evolve(model, items):
    import attrs

    return attrs.evolve(model, evidence=tuple(items))


def test_a_certainty_a_written_one_forces_passes():
    model = case({"a": {"text": "a", "prior": 0.5}, "b": {"text": "b", "supported_by": {"a": 1}, "leak": 0}},
                 [{"id": "seen", "text": "s", "observe": {"a": "true"}}])
    assert model.update().posterior("b") == 1.0
    assert result(check_deep(model, properties=["certainty"]), "certainty").status == "ok"


class _Shifted:
    """A calibration whose marginals of one claim are moved: a stand-in for an engine bug."""

    def __init__(self, inner, claim, rows):
        self.inner, self.claim, self.rows = inner, claim, rows
        self.log_evidence, self.possible = inner.log_evidence, inner.possible

    def marginal(self, name):
        table = self.inner.marginal(name).copy()
        if name == self.claim:
            table[self.rows] = np.array([0.25, 0.75])
        return table


def test_an_engine_disagreement_is_shrunk_to_the_one_item_that_shows_it(monkeypatch):
    items = [{"id": f"e{k}", "text": "e", "bears_on": "h", "likelihood": {"true": 0.7, "false": 0.4}} for k in range(5)]
    model = case({"h": {"text": "h", "prior": 0.5}}, items)
    real = coherence.calibrate

    def broken(network, scenarios, cpts=None):  # wrong whenever e3 is in the evidence
        calibration = real(network, scenarios, cpts)
        rows = [k for k, s in enumerate(scenarios) if "e3" in s]
        return _Shifted(calibration, "h", rows) if rows else calibration

    monkeypatch.setattr(coherence, "calibrate", broken)
    engines = result(check_deep(model, properties=["engines"]), "engines")
    assert engines.status == "fail"
    assert engines.findings[0].message.startswith("given [e3], argmap's engine says P(h) = 0.25")


def test_a_broken_conservation_names_the_item_and_its_outcomes(monkeypatch):
    model = case({"h": {"text": "h", "prior": 0.5}},
                 [{"id": "probe", "text": "p", "bears_on": "h", "likelihood": {"true": 0.8, "false": 0.2}}])
    real = coherence.calibrate

    def broken(network, scenarios, cpts=None):  # the beliefs after each outcome (a batch of them) are wrong
        calibration = real(network, scenarios, cpts)
        return _Shifted(calibration, "h", list(range(len(scenarios)))) if len(scenarios) > 1 else calibration

    monkeypatch.setattr(coherence, "calibrate", broken)
    conservation = result(check_deep(model, properties=["conservation"]), "conservation")
    assert conservation.status == "fail"
    message = conservation.findings[0].message
    assert message.startswith("given no evidence, P(h) is 0.5, but looking at 'probe' would leave it at 0.25")
    assert "found (p = 0.5) → 0.25; not found (p = 0.5) → 0.25" in message


def test_an_order_dependence_is_reported_with_both_orders(monkeypatch):
    items = [{"id": f"e{k}", "text": "e", "bears_on": "h", "likelihood": {"true": 0.7, "false": 0.4}} for k in range(3)]
    model = case({"h": {"text": "h", "prior": 0.5}}, items)
    real = coherence.update

    def order_sensitive(variant, *args, **kwargs):  # an engine that weighs e2 more when it comes first
        beliefs = real(variant, *args, **kwargs)
        if len(variant.evidence) > 1 and variant.evidence[0].id == "e2":
            beliefs.claims["h"].posterior["true"] += 0.01
        return beliefs

    monkeypatch.setattr(coherence, "update", order_sensitive)
    order = result(check_deep(model, properties=["order"]), "order")
    assert order.status == "fail"
    # shrunk to two items, e2 first in one of the orders (or taken at once against item by item)
    assert re.match(r"P\(h\) is [\d.]+ after (\[e2, e\d\] but [\d.]+ after the same items in the order \[e\d, e2\]"
                    r"|\[e\d, e2\] but [\d.]+ after the same items in the order \[e2, e\d\]"
                    r"|\[e2, e\d\] taken at once but [\d.]+ taken item by item in that order)", order.findings[0].message)


# ----------------------------------------------------------------------------- warnings


def test_rivals_that_can_both_hold_are_flagged_and_nested_claims_are_not():
    claims = {"pressure": {"text": "US pressure drove it.", "role": "hypothesis", "prior": 0.5},
              "commerce": {"text": "Commerce drove it.", "role": "rival", "prior": 0.4},
              "alliance": {"text": "An alliance.", "role": "rival", "given": ["pressure"],
                           "table": {"true": 0.3, "false": 0.02}},
              "exclusive": {"text": "Not both.", "role": "rival", "given": ["commerce"],
                            "table": {"true": 0.01, "false": 0.5}}}
    rivals = result(check_deep(case(claims), properties=["rivals"]), "rivals")
    assert rivals.status == "warn"
    flagged = {re.search(r"rivals '(\w+)' and '(\w+)'", f.message).groups() for f in rivals.findings}
    assert ("pressure", "commerce") in flagged
    assert not any("alliance" in pair and "pressure" in pair for pair in flagged)  # nested: skipped
    assert not any("exclusive" in pair and "commerce" in pair for pair in flagged)
    assert "states: [pressure, commerce, other]" in rivals.findings[0].message
    assert "nested pair" in rivals.checked


def test_items_from_one_place_without_a_shared_source_are_flagged():
    claims = {"h": {"text": "h", "prior": 0.5}, "g": {"text": "g", "prior": 0.5}}
    items = [
        {"id": "a", "text": "a", "bears_on": "h", "lr": 2, "url": "https://example.org/report/"},
        {"id": "b", "text": "b", "bears_on": "g", "lr": 2, "url": "https://EXAMPLE.org/report"},
        {"id": "c", "text": "c", "bears_on": "h", "lr": 2, "quote": "The  same words."},
        {"id": "d", "text": "d", "bears_on": "h", "lr": 2, "quote": "the same words."},
        {"id": "e", "text": "e", "bears_on": "h", "likelihood": {"true": 0.6, "false": 0.3},
         "url": "https://example.org/wire", "source": "wire"},
        {"id": "f", "text": "f", "bears_on": "h", "likelihood": {"true": 0.6, "false": 0.3},
         "url": "https://example.org/wire", "source": "wire"},
    ]
    model = case(claims, items, sources={"wire": {"text": "w", "reliability": 0.7}})
    found = result(check_deep(model, properties=["double_counting"]), "double_counting")
    messages = sorted(f.message for f in found.findings)
    assert len(messages) == 2
    assert messages[0].startswith("'a', 'b' have the same URL") and messages[1].startswith("'c', 'd' have the same quote")


# ----------------------------------------------------------------------------- usage


def test_options_of_the_deep_check_need_deep_and_bad_input_is_exit_2(tmp_path):
    runner = CliRunner()
    alone = runner.invoke(main, ["check", SHIPPED_MODEL, "--seed", "3"])
    assert alone.exit_code == 2 and "--seed goes with --deep" in alone.output
    broken = tmp_path / "m.yaml"
    broken.write_text("argmap: 1\nclaims:\n  h: {text: h, prior: 2}\n")
    bad = runner.invoke(main, ["check", "--deep", str(broken)])
    assert bad.exit_code == 2 and "not a probability" in bad.output and "Deep check" not in bad.output
    zero = runner.invoke(main, ["check", "--deep", SHIPPED_MODEL, "--examples", "0"])
    assert zero.exit_code == 2


def test_without_hypothesis_the_deep_check_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(argmap.ArgmapError, match=r"pip install 'argmap\[testing\]'"):
        check_deep(argmap.load(SHIPPED_MODEL))


def test_the_python_api_rejects_unknown_properties():
    with pytest.raises(ValueError, match="unknown property signs"):
        check_deep(argmap.load(SHIPPED_MODEL), properties=["signs"])


# ----------------------------------------------------------------------------- the worked example


def test_the_worked_example_of_docs_coherence_runs(tmp_path):
    """docs/coherence.md's breakfast model, evidence and pytest file, run as a user would."""
    import os
    import subprocess

    from conftest import ROOT

    with open(os.path.join(ROOT, "docs", "coherence.md"), encoding="utf-8") as handle:
        blocks = re.findall(r"```(?:yaml|python)\n# ((?:models|evidence|tests)/[\w/.]+)\n(.*?)```", handle.read(), re.S)
    assert [name for name, _ in blocks] == ["models/breakfasts.yaml", "evidence/breakfasts/reports.yaml",
                                            "tests/test_breakfasts.py"]
    for name, body in blocks:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n{body}", encoding="utf-8")
    deep = CliRunner().invoke(main, ["check", "--deep", str(tmp_path / "models" / "breakfasts.yaml")])
    assert deep.exit_code == 0 and "coherent: all 8 properties hold" in deep.output
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_breakfasts.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout
