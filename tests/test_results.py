"""The Python API's typed results: ``to_dict()`` is the command's ``--format json`` (the same
dict, built by the same code), ``to_pandas()`` has one row per item the result is about, and
``_repr_html_`` is well-formed HTML with every id, label, path and title escaped."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from test_load import case

import argmap
from argmap.analysis.sensitivity import inputs
from argmap.cli import main
from argmap.testing import models

HOSTILE = '<&>"'  # in the title, the case's folder (file paths) and a model's file name

MODEL = """\
argmap: 1
title: A test of <&> "escaping"
claims:
  f:
    text: A factor <&>
    role: factor
    prior: 0.6
  h:
    text: Which driver
    role: hypothesis
    states: [a, b, c]
    given: [f]
    table:
      "true": {a: 0.5, b: 0.3, c: 0.2}
      "false": {a: 0.2, b: 0.3, c: 0.5}
  g:
    text: The outcome
    role: outcome
    supported_by: {f: 0.7}
    leak: 0.1
accounts:
  one: {f: true, h: a}
  two: {f: false, h: c}
"""

EVIDENCE = """\
- id: e1
  date: 2015
  text: Seen <&>
  bears_on: h
  likelihood: {a: 0.8, b: 0.4, c: 0.1}
- id: e2
  date: 2016-03
  text: Another report
  bears_on: f
  lr: 3
- id: e3
  date: 2017
  text: Looked for, not found
  bears_on: g
  likelihood: {true: 0.7, false: 0.2}
  observed: false
- id: e4
  text: Not looked for yet
  bears_on: h
  likelihood: {a: 0.9, b: 0.5, c: 0.4}
  expected: true
"""


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    root = os.path.join(str(tmp_path_factory.mktemp("results")), f"case {HOSTILE}")
    return case(root, MODEL, EVIDENCE)


@pytest.fixture(scope="module")
def model(path):
    return argmap.load(path)


def cli(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def jsonable(result) -> dict:
    """to_dict(), through strict JSON (no NaN, no infinity) and back."""
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


class _Checker(HTMLParser):
    """Every tag closed in order; the text as a browser shows it (character references read)."""

    VOID = frozenset({"br", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:] or 'nothing'}"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def html_text(markup: str) -> str:
    """Check that ``markup`` is well-formed; its text."""
    assert isinstance(markup, str) and markup
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    assert not checker.open, f"unclosed {checker.open}"
    assert set(checker.tags) <= {"table", "caption", "thead", "tbody", "tr", "th", "td", "p"}
    return "".join(checker.text)


def escaped(markup: str) -> None:
    """The hostile characters show as text, never as markup."""
    assert HOSTILE not in markup and "<&>" not in markup
    assert "<&>" in html_text(markup)


# ----------------------------------------------------------------------------- each result, against its command


def test_sensitivity_monte_carlo_and_tipping_points_are_the_commands_json(path, model):
    payload = cli("sensitivity", path, "--target", "h", "--draws", "300", "--seed", "3")
    analysis = argmap.sensitivity(model, "h")
    carlo = argmap.monte_carlo(model, "h", draws=300, seed=3)
    biased = argmap.monte_carlo(model, "h", draws=300, seed=3, correlated=True)
    tipping = argmap.tipping_points(model, "h")
    assert payload == {**jsonable(analysis), "monte_carlo": jsonable(carlo),
                       "monte_carlo_correlated": jsonable(biased), "tipping_points": jsonable(tipping)}
    assert set(payload["tipping_points"]) >= {"evidence_tempering", "prior_shift_db"}  # DESIGN §7

    frame = analysis.to_pandas()
    assert len(frame) == len(analysis) == len(inputs(model)) == len(payload["inputs"])
    assert list(frame["label"]) == [r.input.label for r in analysis]
    assert frame["swing"].is_monotonic_decreasing
    assert next(iter(analysis)) is analysis[0]  # still iterates as the list it used to be
    escaped(analysis._repr_html_())  # the case's folder is in the "written at" column
    assert "Sensitivity of h" in html_text(analysis._repr_html_())

    quantiles = carlo.to_pandas()
    assert list(quantiles.columns) == ["claim", "state", "low", "median", "high"]
    assert len(quantiles) == len(model.update().rows()) == 1 + 3 + 1  # f, h's three states, g
    assert (quantiles["low"] <= quantiles["median"]).all() and (quantiles["median"] <= quantiles["high"]).all()
    assert "flips in" in html_text(carlo._repr_html_()) and "biased together" in html_text(biased._repr_html_())
    assert "Tipping points of h" in html_text(tipping._repr_html_())


def test_pairwise_is_updates_accounts_and_comparisons(path, model):
    payload = cli("update", path)
    pairs = argmap.pairwise(model)
    assert jsonable(pairs) == {"accounts": payload["accounts"], "comparisons": payload["comparisons"]}
    assert argmap.pairwise(model.update()) == pairs
    frame = pairs.to_pandas()
    assert list(frame.columns) == ["of", "a", "b", "prior_odds", "posterior_odds", "bayes_factor", "decibels"]
    assert [tuple(r) for r in frame[["of", "a", "b"]].itertuples(index=False)] == [
        ("h", "a", "b"), ("h", "a", "c"), ("h", "b", "c"), ("accounts", "one", "two")]
    assert frame["bayes_factor"].tolist() == pytest.approx([c.bayes_factor for c in pairs.comparisons])
    accounts = pairs.to_pandas("accounts")
    assert accounts["account"].tolist() == ["one", "two"] and accounts["states"][0] == "f = true, h = a"
    text = html_text(pairs._repr_html_())
    assert "accounts" in text and "rivals compared in pairs" in text
    assert html_text(pairs.comparisons[0]._repr_html_()).count("h") >= 1
    with pytest.raises(argmap.ArgmapError, match="table= is 'comparisons' or 'accounts'"):
        pairs.to_pandas("pairs")
    with pytest.raises(argmap.ArgmapError, match="as_of= goes with a Model"):
        argmap.pairwise(model.update(), as_of="2016")
    # the beliefs' own HTML shows the same two tables after the claims, escaped
    beliefs = model.update()
    escaped(beliefs._repr_html_())
    assert beliefs._repr_html_().endswith(pairs._repr_html_())


def test_weigh_and_cause_are_the_commands_json(path, model):
    weighing = argmap.weigh(model, "h")
    assert jsonable(weighing) == cli("weigh", path, "--target", "h")
    frame = weighing.to_pandas()
    counted = model.update().counted
    assert len(frame) == len(counted) * 3  # every counted item on each of the three pairs
    assert list(frame.columns) == ["item", "date", "written", "a", "b", "decibels", "leave_one_out_db"]
    escaped(weighing._repr_html_())  # the title is in the caption

    answer = argmap.cause(model, "f", "g")
    assert jsonable(answer) == cli("cause", path, "--cause", "f", "--effect", "g")
    frame = answer.to_pandas()
    assert frame["state"].tolist() == ["true", "false"]
    assert frame["do"].tolist() == pytest.approx([answer.do["true"], answer.do["false"]])
    assert frame["necessity"][1] == pytest.approx(answer.necessity)
    assert math.isnan(frame["necessity"][0])  # no contrast of the cause's own state
    text = html_text(answer._repr_html_())
    assert "Does f = true make the difference to g = true?" in text and "PN necessity" in text


def test_next_is_the_commands_json(path, model):
    plan = argmap.next_evidence(model, "h")
    assert jsonable(plan) == cli("next", path, "--target", "h")
    frame = plan.to_pandas()
    assert len(frame) == len(plan.candidates) and frame["id"].tolist() == [c.id for c in plan.candidates]
    assert "e4" in frame["id"].tolist()  # the expected item is a candidate
    assert "What to look for next about h" in html_text(plan._repr_html_())
    paired = argmap.next_evidence(model, "h", pair=("a", "c"), set_size=2)
    assert jsonable(paired) == cli("next", path, "--target", "h", "--pair", "a,c", "--set", "2")
    assert "E|Δ| a:c" in html_text(paired._repr_html_())
    with pytest.raises(argmap.ArgmapError, match="pair=: 'z' is not a state of 'h'"):
        argmap.next_evidence(model, "h", pair="a,z")
    with pytest.raises(argmap.ArgmapError, match="set_size= takes 0 to 6"):
        argmap.next_evidence(model, "h", set_size=7)
    with pytest.raises(argmap.ArgmapError, match="test_likelihoods=: unknown test 'hop'; did you mean 'hoop'"):
        argmap.next_evidence(model, "h", test_likelihoods={"hop": (0.9, 0.5)})
    assert argmap.next_evidence(model, "h", test_likelihoods={"hoop": (0.9, 0.5)}).tests["hoop"] == (0.9, 0.5)


def test_compare_is_the_commands_json(path, model, tmp_path):
    other = os.path.join(os.path.dirname(path), f"rival {HOSTILE}.yaml")
    with open(other, "w", encoding="utf-8") as out:
        out.write(MODEL.replace("prior: 0.6", "prior: 0.3") + "evidence: [../evidence/m/]\n")
    result = argmap.compare([model, argmap.load(other)])
    assert jsonable(result) == cli("compare", path, other)
    frame = result.to_pandas()
    names = list(result.models)
    assert list(frame.columns) == ["claim", "state", *names, "difference"]
    assert len(frame) == 5  # f, h's three states, g
    assert frame["difference"].max() == pytest.approx(result.shared[0].spread)
    escaped(result._repr_html_())  # the second model's file name is a column


def test_trajectory_and_weights(model):
    path = argmap.trajectory(model)
    beliefs = model.update()
    assert len(path) == len(beliefs.counted) + 1 and path[0].item is None
    frame = path.to_pandas()
    assert list(frame.columns) == ["item", "date", "f", "h=a", "h=b", "h=c", "g"]
    assert frame["item"].tolist()[1:] == list(beliefs.counted) and frame["item"].isna()[0]  # the prior
    assert frame.iloc[-1]["h=a"] == pytest.approx(beliefs.posterior("h", "a"))
    assert frame.iloc[0]["f"] == pytest.approx(beliefs.prior("f"))
    data = jsonable(path)
    assert data["steps"][-1]["posterior"]["g"]["true"] == pytest.approx(beliefs.posterior("g"))
    escaped(path._repr_html_())
    assert list(argmap.trajectory(model, claims="h").to_pandas().columns) == ["item", "date", "h=a", "h=b", "h=c"]
    with pytest.raises(argmap.ArgmapError, match="claims=: unknown claim 'hh'; did you mean 'h'"):
        argmap.trajectory(model, claims=["hh"])

    weights = argmap.weights(model, "h", "a")
    frame = weights.to_pandas()
    assert frame["item"].tolist() == ["e1", "e2", "e3", "e4"] and len(weights) == 4
    assert frame["decibels"][0] == pytest.approx(weights[0].decibels)
    assert jsonable(weights)["items"][0]["van_evera"] == weights[0].van_evera
    assert "The weight of each item on h=a" in html_text(weights._repr_html_())
    with pytest.raises(argmap.ArgmapError, match="state=: 'h' has no state 'aa'; did you mean 'a'"):
        argmap.weights(model, "h", "aa")


def test_beliefs_name_the_state_or_the_claim_to_write(model):
    beliefs = model.update()
    with pytest.raises(argmap.ArgmapError) as caught:
        beliefs.posterior("h")
    assert "state=: 'h' has several states (a, b, c): name one, e.g. posterior('h', 'a')" in str(caught.value)
    with pytest.raises(argmap.ArgmapError, match="claim=: unknown claim 'hh'; did you mean 'h'"):
        beliefs.posterior("hh")
    with pytest.raises(argmap.ArgmapError, match="state=: 'h' has no state 'bb'; did you mean 'b'"):
        beliefs.prior("h", "bb")


def test_results_leave_pandas_unimported_until_asked(path):
    probe = ("import sys, argmap; m = argmap.load({path!r}); a = argmap.sensitivity(m, 'h'); a._repr_html_(); "
             "a.to_dict(); argmap.pairwise(m)._repr_html_(); print('pandas' in sys.modules, end=' '); "
             "a.to_pandas(); print('pandas' in sys.modules)").format(path=path)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False True"


# ----------------------------------------------------------------------------- laws on random models


@settings(max_examples=25)
@given(models(max_claims=4, max_items=4, max_states=3))
def test_a_row_per_item_and_well_formed_html_on_any_model(model):
    beliefs = model.update()
    target = next(iter(model.claims))
    results = {
        "sensitivity": argmap.sensitivity(model, target),
        "monte_carlo": argmap.monte_carlo(model, target, draws=16),
        "trajectory": argmap.trajectory(model),
        "pairwise": argmap.pairwise(beliefs),
        "weigh": argmap.weigh(model, target),
        "weights": argmap.weights(model, target, model.claims[target].states[0]),
        "next": argmap.next_evidence(model, target),
        "tipping": argmap.tipping_points(model, target),
    }
    for name, result in results.items():
        data = result.to_dict()
        assert json.loads(json.dumps(data, allow_nan=False)) == data, name  # JSON values only: lists, str keys
        html_text(result._repr_html_())
    html_text(beliefs._repr_html_())
    assert len(results["sensitivity"].to_pandas()) == len(inputs(model))
    assert len(results["monte_carlo"].to_pandas()) == len(beliefs.rows()) == len(beliefs.to_pandas())
    assert results["trajectory"].to_pandas().shape == (len(beliefs.counted) + 1, 2 + len(beliefs.rows()))
    assert len(results["pairwise"].to_pandas()) == len(results["pairwise"].comparisons)
    assert len(results["pairwise"].to_pandas("accounts")) == len(model.accounts)
    weighing = results["weigh"]
    assert len(weighing.to_pandas()) == len(weighing.rows) * len(weighing.pairs)
    assert len(results["weights"].to_pandas()) == len(results["weights"])
    assert len(results["next"].to_pandas()) == len(results["next"].candidates)
