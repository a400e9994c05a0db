"""scales: verbal words ↔ probabilities for the ICD 203, Kent and IPCC scales (DESIGN §5)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from argmap.scales import SCALES


@pytest.mark.parametrize(
    "scale, p, word",
    [
        ("icd203", 0.003, "almost no chance"), ("icd203", 0.2, "unlikely"), ("icd203", 0.5, "roughly even chance"),
        ("icd203", 0.55, "likely"), ("icd203", 0.8, "very likely"), ("icd203", 0.999, "almost certain"),
        ("kent", 0.15, "almost certainly not"), ("kent", 0.605, "chances about even"), ("kent", 0.75, "probable"),
        ("ipcc", 0.005, "exceptionally unlikely"), ("ipcc", 0.05, "very unlikely"), ("ipcc", 0.5, "about as likely as not"),
        ("ipcc", 0.7, "likely"), ("ipcc", 0.95, "very likely"), ("ipcc", 1.0, "virtually certain"),
    ],
)
def test_word_for(scale, p, word):
    assert SCALES[scale].word_for(p) == word


@given(st.sampled_from(sorted(SCALES)), st.data())
def test_a_words_midpoint_reads_back_as_the_word(name, data):
    scale = SCALES[name]
    word, low, high = data.draw(st.sampled_from(scale.terms))
    assert scale.word_for((low + high) / 2) == word


@given(st.sampled_from(sorted(SCALES)), st.floats(0, 1))
def test_every_probability_gets_a_word(name, p):
    assert SCALES[name].word_for(p) in SCALES[name].words


def test_words_are_read_case_and_space_insensitively():
    assert SCALES["icd203"].range_of("Very  Likely") == (0.8, 0.95)
    assert SCALES["icd203"].range_of("very_likely") == (0.8, 0.95)
    assert SCALES["kent"].range_of("probable") == (0.63, 0.87)
