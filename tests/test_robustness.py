"""Robustness that can fail (issue 12 §3): a bare number's default uncertainty, tipping points
(tempering the evidence, shifting the target's prior) checked by recomputation on either side,
correlated Monte Carlo, model comparison, and claims fixed by hard evidence."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import yaml

import argmap
from argmap.analysis.sensitivity import input_range, inputs
from argmap.model import Prob

from test_infer import write


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# ----------------------------------------------------------------------------- uncertainty


@pytest.mark.parametrize("p, low, high", [(0.5, 0.3775, 0.6225), (0.9, 0.8452, 0.9369), (0.1, 0.0631, 0.1548)])
def test_a_bare_number_stands_for_its_logit_plus_or_minus_half(p, low, high):
    lo, hi, source = input_range(Prob.exactly(p), 0.5)
    assert (lo, hi) == pytest.approx((low, high), abs=1e-4)
    assert (lo, hi) == pytest.approx((_logistic(math.log(p / (1 - p)) - 0.5), _logistic(math.log(p / (1 - p)) + 0.5)))
    assert source == "±0.5 log-odds"
    if p in (0.5, 0.9):  # DESIGN §3's own reading: 0.5 as 0.38–0.62, 0.9 as 0.85–0.94
        assert (round(lo, 2), round(hi, 2)) == {0.5: (0.38, 0.62), 0.9: (0.85, 0.94)}[p]


def test_words_ranges_and_certainties_keep_their_own_range():
    assert input_range(Prob(0.55, 0.8, "likely"), 0.5) == (0.55, 0.8, "word 'likely'")
    assert input_range(Prob(0.2, 0.4, "[0.2, 0.4]"), 0.5) == (0.2, 0.4, "written range")
    assert input_range(Prob.exactly(1.0), 0.5)[:2] == (1.0, 1.0)
    assert input_range(Prob.exactly(0.0), 2.0)[:2] == (0.0, 0.0)


def _model(case_dir, **extra):
    claims = {"h": {"text": "h", "prior": 0.5}}
    items = [{"id": "e", "text": "x", "bears_on": "h", "likelihood": {"true": 0.9, "false": "unlikely"}}]
    return argmap.load(write(case_dir, {"claims": claims, **extra}, items))


def test_model_uncertainty_sets_the_ranges_and_zero_makes_bare_numbers_exact(case_dir):
    default = _model(os.path.join(case_dir, "a"))
    wide = _model(os.path.join(case_dir, "b"), uncertainty=1)
    exact = _model(os.path.join(case_dir, "c"), uncertainty=0)
    assert default.uncertainty == 0.5 and wide.uncertainty == 1.0 and exact.uncertainty == 0.0
    by_key = {name: {i.key: i for i in inputs(m)} for name, m in (("default", default), ("wide", wide), ("exact", exact))}

    prior = ("claim", "h", "prior", "true")
    assert (by_key["default"][prior].low, by_key["default"][prior].high) == pytest.approx((0.3775407, 0.6224593))
    assert (by_key["wide"][prior].low, by_key["wide"][prior].high) == pytest.approx((_logistic(-1), _logistic(1)))
    assert by_key["exact"][prior].low == by_key["exact"][prior].high == 0.5
    word = ("item", "e", "likelihood", "false")
    assert {(by_key[m][word].low, by_key[m][word].high) for m in by_key} == {(0.2, 0.45)}  # words unchanged
    # inference uses the written numbers, whatever the uncertainty: posteriors are identical
    assert default.update().posterior("h") == wide.update().posterior("h") == exact.update().posterior("h")
    assert default.update().posterior("h") == 0.5 * 0.9 / (0.5 * 0.9 + 0.5 * 0.325)


@pytest.mark.parametrize("bad", [-0.5, "wide", True, 6])
def test_a_bad_uncertainty_is_an_error_that_says_what_to_write(case_dir, bad):
    with pytest.raises(argmap.ArgmapError) as caught:
        _model(case_dir, uncertainty=bad)
    message = str(caught.value)
    assert "t.yaml:" in message and "uncertainty" in message and "write a number from 0" in message
